"""The aggregated API server: ``cluster.karmada.io/v1alpha1`` served to kube-apiserver's
aggregation layer, stored in etcd, with the ``proxy`` subresource to member clusters."""
