"""Namespaces synchronised to every member cluster."""
