"""The workspace's SQLite database: its schema, and all the SQL the app issues.

``db`` opens a workspace (pragmas, schema version, migrations, the write lock); ``tables``
declares the schema; then one module per aggregate holds its SQL, as plain functions that take
a connection and return plain values or domain objects: ``cases`` (cases, their text, ratings,
imports; the queue's conditions in ``queue`` and its reads in ``queue_reads``), ``decisions``
(decisions with their status, history, drafts, tags), ``reviews`` (reviewers' decisions merged
in, and the files they came from), ``schemes`` and ``project``. Services call these; nothing
above storage writes SQL, and the window never imports this package.

SQL is issued three ways, each where it is right:

- **SQLModel sessions** for the few one-row records that read best as objects (the project
  row a new workspace gets) and to create the schema from ``tables``.
- **SQLAlchemy ``text()`` on a connection**, with named parameters: the default, for every
  query and for batches of up to some thousands of rows (``executemany``).
- **The raw ``sqlite3`` cursor** (``db.driver_connection``), only where a benchmark shows
  SQLAlchemy's per-row cost matters (docs/benchmarks.md): the import's inserts
  (``cases.CaseWriter``), reading a queue's ids (``queue_reads``: a million rows, and the
  progress handler and interrupt of a load the window may abandon), and the summary's one pass
  over every case (``cases.summary_rows``).

Every write goes through ``db.writing`` (BEGIN IMMEDIATE), which raises ``WorkspaceBusy``
when another connection holds the lock past the busy timeout.
"""
