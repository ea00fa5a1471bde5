"""Case intelligence, learned locally from the city's own cases: similar and duplicate cases,
dispatch suggestions, hot issues and the knowledge base. Nothing is downloaded and nothing
leaves the machine."""
