"""The complaints service's side of the event stream: the relay out, the receipts back in."""
