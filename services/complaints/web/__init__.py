"""The HTTP edge of the complaints service: the Flask app, its blueprints, schemas and errors."""
