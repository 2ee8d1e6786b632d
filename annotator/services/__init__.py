"""Use cases over a workspace: import, review, export, summary. No Qt."""
