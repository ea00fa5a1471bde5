"""What both Huiyin services use: configuration, logging, and (later) the wire contract."""
