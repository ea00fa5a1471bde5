"""The notification itself: what was asked, tried, sent or given up, and nothing secret."""
