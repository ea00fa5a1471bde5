"""The landing page: what Huiyin is, and the ways in."""
