"""The complaints service: event-sourced cases from filing to closing."""
