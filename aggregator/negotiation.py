"""What a client asked to get back: JSON objects, a ``Table``, or ``PartialObjectMetadata``."""

from __future__ import annotations

from dataclasses import dataclass

from pykarmada.kube.status import StatusError


@dataclass(frozen=True)
class Representation:
    kind: str  # "object", "Table", "PartialObjectMetadata"
    version: str = "v1"


OBJECT = Representation("object")


def _params(media: str) -> tuple[str, dict[str, str]]:
    parts = [p.strip() for p in media.split(";")]
    params = {}
    for p in parts[1:]:
        if "=" in p:
            k, v = p.split("=", 1)
            params[k.strip()] = v.strip()
    return parts[0].lower(), params


def negotiate(accept: str | None) -> Representation:
    """The first representation in ``Accept`` that we serve (JSON only); 406 when there is none."""
    if not accept:
        return OBJECT
    for media in accept.split(","):
        mime, params = _params(media)
        if mime not in ("application/json", "*/*", "application/*"):
            continue
        as_kind = params.get("as")
        if as_kind is None:
            return OBJECT
        if params.get("g") != "meta.k8s.io" or params.get("v") not in ("v1", "v1beta1"):
            continue
        if as_kind == "Table":
            return Representation("Table", params["v"])
        if as_kind in ("PartialObjectMetadata", "PartialObjectMetadataList"):
            return Representation("PartialObjectMetadata", params["v"])
    raise StatusError(406, f"only the following media types are accepted: application/json (asked: {accept})", "NotAcceptable")


def partial_metadata(obj: dict, version: str) -> dict:  # type: ignore[type-arg]
    return {"apiVersion": f"meta.k8s.io/{version}", "kind": "PartialObjectMetadata", "metadata": obj.get("metadata", {})}
