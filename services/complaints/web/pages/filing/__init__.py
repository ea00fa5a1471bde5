"""The enterprise's filing form, without signing in."""
