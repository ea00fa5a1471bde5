"""The HTTP edge of the complaints service: the app factory and what every request goes
through; the JSON API in `api/`, the server-rendered pages in `pages/`."""
