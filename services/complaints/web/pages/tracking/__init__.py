"""The filer's own case, followed with its reference and access code."""
