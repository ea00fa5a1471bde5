"""Staff signing in to the pages, and their home page."""
