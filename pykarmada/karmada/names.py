"""Name formulas of Karmada objects (exact upstream strings)."""

EXECUTION_SPACE_PREFIX = "karmada-es-"


def execution_namespace(cluster: str) -> str:
    """``karmada-es-<cluster>``: where the Works for one member cluster live."""
    return EXECUTION_SPACE_PREFIX + cluster


def cluster_from_execution_namespace(namespace: str) -> str | None:
    return namespace[len(EXECUTION_SPACE_PREFIX):] if namespace.startswith(EXECUTION_SPACE_PREFIX) else None
