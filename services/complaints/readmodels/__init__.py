"""Read models: projections of the case events into tables that queues and search query."""
