"""Pieces several controllers share: API paths and patches, member clients and informers, template reads, Work writes."""
