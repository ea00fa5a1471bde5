"""The notify service: tells filers and departments what happened (built in a later issue)."""
