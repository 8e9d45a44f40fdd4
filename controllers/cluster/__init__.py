"""Cluster lifecycle: execution namespace, finalizer, readiness taints (cluster) and the proxy's impersonation RBAC in members (unifiedAuth)."""
