"""The event stream both services speak: Kafka when configured, an embedded log otherwise."""
