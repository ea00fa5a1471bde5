"""The notify store: the eventsourcing environment for SQLite or PostgreSQL."""
