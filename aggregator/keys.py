"""Paths and keys of the cluster API, in one place."""

GROUP = "cluster.karmada.io"
VERSION = "v1alpha1"
CLUSTERS_PATH = f"/apis/{GROUP}/{VERSION}/clusters"
# Upstream's etcd key layout, so that data stays compatible: <prefix>/cluster.karmada.io/clusters/<name>
STORAGE_SUBPATH = "/cluster.karmada.io/clusters/"
