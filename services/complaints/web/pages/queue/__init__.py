"""A department's queue of open cases."""
