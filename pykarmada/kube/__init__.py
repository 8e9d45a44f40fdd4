"""Shared async Kubernetes runtime on aiohttp. Knows nothing about Karmada."""
