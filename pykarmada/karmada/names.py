"""Name formulas of Karmada objects (exact upstream strings)."""

EXECUTION_SPACE_PREFIX = "karmada-es-"


def execution_namespace(cluster: str) -> str:
    """``karmada-es-<cluster>``: where the Works for one member cluster live."""
    return EXECUTION_SPACE_PREFIX + cluster


def cluster_from_execution_namespace(namespace: str) -> str | None:
    return namespace[len(EXECUTION_SPACE_PREFIX):] if namespace.startswith(EXECUTION_SPACE_PREFIX) else None


# ---- binding, work and reference names (api.md 11) ----------------------------------------------

from pykarmada.karmada.hashing import fnv32a  # noqa: E402 - appended section

_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
DERIVED_SERVICE_PREFIX = "derived-"


def _encode_hash(value: int) -> str:
    """Each decimal digit of ``value`` mapped through Karmada's safe alphabet."""
    return "".join(_NAME_ALPHABET[ord(ch) % len(_NAME_ALPHABET)] for ch in str(value))


def _lower_name(name: str) -> str:
    return name.replace(":", ".").lower()


def binding_name(kind: str, name: str) -> str:
    """``lower(<name with ':' -> '.'>-<kind>)``: the (Cluster)ResourceBinding of a template."""
    return f"{name.replace(':', '.')}-{kind}".lower()


def work_name(kind: str, name: str, namespace: str = "") -> str:
    """``<lname>-<enc(fnv32a(key))>``; the same in every execution namespace."""
    lname = _lower_name(name)
    key = f"{namespace}-{lname}-{kind}" if namespace else f"{lname}-{kind}"
    return f"{lname}-{_encode_hash(fnv32a(key.lower()))}"


def binding_reference_key(namespace: str, name: str) -> str:
    """``enc(fnv32a(ns/name))`` (or of ``name`` when cluster-scoped): the depended-by label suffix."""
    return _encode_hash(fnv32a(f"{namespace}/{name}" if namespace else name))


def derived_service_name(service_import: str) -> str:
    return DERIVED_SERVICE_PREFIX + service_import


def generated_policy_name(namespace: str, name: str, gvk: str) -> str:
    """The policy karmadactl's apply and promote create for one object: ``<name>-<enc(fnv32a(ns+gvk))>``
    lower-cased; ``gvk`` as Go prints a GroupVersionKind (``apps/v1, Kind=Deployment``)."""
    return f"{name.replace(':', '.')}-{_encode_hash(fnv32a(namespace + gvk))}".lower()


def gvk_string(api_version: str, kind: str) -> str:
    group, _, version = api_version.rpartition("/")
    return f"{group}/{version}, Kind={kind}"
