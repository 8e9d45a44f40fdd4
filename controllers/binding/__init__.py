"""Bindings turned into Works, one per target cluster, with overrides applied."""
