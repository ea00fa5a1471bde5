"""The notify service: tells filers and departments what happened to a case, in their language."""
