"""The wire contract between the services: topics, the versioned envelope, and its payloads."""
