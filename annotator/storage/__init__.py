"""SQLite workspaces through SQLModel: tables, engine, schema version and migrations."""
