"""The intake desk: filing for a caller, and dispatching new cases."""
