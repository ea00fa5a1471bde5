"""Marshmallow schemas of the JSON API: what each endpoint accepts and answers."""
