"""The auditor's pages: a case's every event, as it stood at any of them, and its chain checked."""
