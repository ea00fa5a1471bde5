"""The application: commands that load a case, call it, and save it; queries that read it."""
