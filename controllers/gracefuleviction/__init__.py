"""Graceful eviction tasks removed once the new placement is healthy or their time is up."""
