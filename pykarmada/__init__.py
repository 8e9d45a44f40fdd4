"""pykarmada: a Python implementation of Karmada, the Kubernetes multi-cluster manager."""
