"""Handling an event: who is told, rendering, delivery with retries, receipts and fallbacks."""
