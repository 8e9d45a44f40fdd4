"""karmada-search (search.karmada.io/v1alpha1), served by the aggregated API server as a second
route group: ResourceRegistry objects, the multi-cluster cache and the ``proxying`` and ``search``
resources."""
