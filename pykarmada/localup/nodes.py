"""The simulated nodes of a member cluster: Node objects that kwok manages.

Capacities are those of a realistic worker (8 CPU, 32Gi, 110 pods). Regions and zones differ
between members so that placement by region or zone has something to choose between: members
alternate between two regions, and each member has a zone of its own.
"""

from __future__ import annotations

from typing import Any

REGIONS = ("us-east-1", "us-west-2")
ZONE_SUFFIXES = "abcdefgh"
KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node"
NODE_CAPACITY = {"cpu": "8", "memory": "32Gi", "pods": "110", "ephemeral-storage": "100Gi"}


def member_region_zone(index: int) -> tuple[str, str]:
    """Region and zone of the ``index``-th member (1-based): member1 us-east-1a, member2 us-west-2a,
    member3 us-east-1b, ..."""
    region = REGIONS[(index - 1) % len(REGIONS)]
    suffix = ZONE_SUFFIXES[((index - 1) // len(REGIONS)) % len(ZONE_SUFFIXES)]
    return region, region + suffix


def build_node(cluster: str, index: int, member_index: int) -> dict[str, Any]:
    region, zone = member_region_zone(member_index)
    name = f"{cluster}-node-{index}"
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {KWOK_NODE_ANNOTATION: "fake", "node.alpha.kubernetes.io/ttl": "0"},
            "labels": {
                "kubernetes.io/arch": "amd64",
                "kubernetes.io/os": "linux",
                "kubernetes.io/hostname": name,
                "node-role.kubernetes.io/worker": "",
                "node.kubernetes.io/instance-type": "kwok.8c32g",
                "topology.kubernetes.io/region": region,
                "topology.kubernetes.io/zone": zone,
                "type": "kwok",
            },
        },
        "spec": {},
        "status": {
            "allocatable": dict(NODE_CAPACITY),
            "capacity": dict(NODE_CAPACITY),
            "nodeInfo": {"architecture": "amd64", "operatingSystem": "linux", "kubeletVersion": "fake"},
            "phase": "Running",
        },
    }


def is_node_ready(node: dict[str, Any]) -> bool:
    for cond in (node.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return cond.get("status") == "True"
    return False
