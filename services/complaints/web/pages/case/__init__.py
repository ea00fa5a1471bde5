"""A case on the staff pages: what the reader's role may see, and a form per step."""
