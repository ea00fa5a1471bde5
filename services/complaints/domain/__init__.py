"""The domain: the Case aggregate, its events and rules, and the values they carry."""
