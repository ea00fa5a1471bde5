"""Adapters: the event stores (SQLite, PostgreSQL) and the extra tables kept beside them."""
