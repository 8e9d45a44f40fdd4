"""OpenAPI v2 and v3 documents and discovery for cluster.karmada.io/v1alpha1, so that
``kubectl explain clusters``, ``kubectl apply`` and strict field validation work.

The v3 PATCH operation lists JSON patch, merge patch and apply patch but not strategic merge
patch, so client-side ``kubectl apply`` sends merge patches (what a type without merge keys needs).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

GROUP, VERSION = "cluster.karmada.io", "v1alpha1"
GROUP_VERSION = f"{GROUP}/{VERSION}"
CLUSTER_REF = "io.karmada.cluster.v1alpha1.Cluster"
LIST_REF = "io.karmada.cluster.v1alpha1.ClusterList"
META_REF = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
LISTMETA_REF = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"


def _s(description: str = "", **kw: Any) -> dict[str, Any]:
    schema = {"type": "string", **kw}
    if description:
        schema["description"] = description
    return schema


def _obj(properties: dict[str, Any], description: str = "", required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if description:
        schema["description"] = description
    if required:
        schema["required"] = required
    return schema


_QUANTITY = {"description": "Quantity, e.g. 500m, 32Gi", "x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}]}
_RESOURCE_LIST = {"type": "object", "additionalProperties": _QUANTITY}
_LOCAL_REF = _obj({"namespace": _s("Namespace of the referent."), "name": _s("Name of the referent.")}, required=["namespace", "name"])
_CONDITION = _obj(
    {
        "type": _s("Type of condition in CamelCase."),
        "status": _s("True, False, or Unknown."),
        "observedGeneration": {"type": "integer", "format": "int64"},
        "lastTransitionTime": _s(format="date-time"),
        "reason": _s("A programmatic identifier of the last transition."),
        "message": _s("A human readable message about the last transition."),
    },
    required=["type", "status", "lastTransitionTime", "reason", "message"],
)

SPEC = _obj(
    {
        "id": _s("ID is the unique identifier of the cluster, the UID of its kube-system namespace by default."),
        "syncMode": _s("SyncMode describes how a cluster syncs resources from the control plane.", enum=["Push", "Pull"]),
        "apiEndpoint": _s("The API endpoint of the member cluster, an URL with scheme and host."),
        "secretRef": {**_LOCAL_REF, "description": "Secret holding the member's credentials: keys token and caBundle."},
        "impersonatorSecretRef": {**_LOCAL_REF, "description": "Secret holding the token the proxy impersonates callers with."},
        "insecureSkipTLSVerification": {"type": "boolean", "description": "Skip verifying the member's serving certificate."},
        "proxyURL": _s("Proxy to reach the member through: http, https or socks5."),
        "proxyHeader": {"type": "object", "additionalProperties": _s(), "description": "Headers sent to the proxy."},
        "provider": _s("Cloud provider name of the member cluster."),
        "region": _s("Region of the member cluster."),
        "zone": _s("Deprecated: use zones."),
        "zones": {"type": "array", "items": _s(), "description": "Failure zones of the member cluster."},
        "taints": {
            "type": "array",
            "description": "Taints of the cluster; policies must tolerate them to be scheduled there.",
            "items": _obj(
                {"key": _s(), "value": _s(), "effect": _s(enum=["NoSchedule", "NoExecute"]), "timeAdded": _s(format="date-time")},
                required=["key", "effect"],
            ),
        },
        "resourceModels": {
            "type": "array",
            "description": "Resource grades used to estimate how many replicas the cluster can hold.",
            "items": _obj(
                {
                    "grade": {"type": "integer", "format": "int32"},
                    "ranges": {
                        "type": "array",
                        "items": _obj({"name": _s(), "min": _QUANTITY, "max": _QUANTITY}, required=["name", "min", "max"]),
                    },
                },
                required=["grade", "ranges"],
            ),
        },
    },
    "ClusterSpec defines the desired state of a member cluster.",
    required=["syncMode"],
)

STATUS = _obj(
    {
        "kubernetesVersion": _s("Version of the member's Kubernetes."),
        "apiEnablements": {
            "type": "array",
            "items": _obj({"groupVersion": _s(), "resources": {"type": "array", "items": _obj({"name": _s(), "kind": _s()})}}),
        },
        "conditions": {"type": "array", "items": _CONDITION},
        "nodeSummary": _obj({"totalNum": {"type": "integer", "format": "int32"}, "readyNum": {"type": "integer", "format": "int32"}}),
        "resourceSummary": _obj(
            {
                "allocatable": _RESOURCE_LIST,
                "allocating": _RESOURCE_LIST,
                "allocated": _RESOURCE_LIST,
                "allocatableModelings": {
                    "type": "array",
                    "items": _obj({"grade": {"type": "integer", "format": "int32"}, "count": {"type": "integer", "format": "int32"}}),
                },
            }
        ),
        "remedyActions": {"type": "array", "items": _s()},
    },
    "ClusterStatus contains information about the current status of a cluster, updated periodically.",
)

GVK = [{"group": GROUP, "version": VERSION, "kind": "Cluster"}]


def _schemas(ref_prefix: str) -> dict[str, Any]:
    def ref(name: str) -> dict[str, Any]:
        return {"$ref": ref_prefix + name}

    meta = {
        "type": "object",
        "description": "Standard object metadata.",
        "properties": {
            "name": _s(),
            "generateName": _s(),
            "uid": _s(),
            "resourceVersion": _s(),
            "generation": {"type": "integer", "format": "int64"},
            "creationTimestamp": _s(format="date-time"),
            "deletionTimestamp": _s(format="date-time"),
            "deletionGracePeriodSeconds": {"type": "integer", "format": "int64"},
            "labels": {"type": "object", "additionalProperties": _s()},
            "annotations": {"type": "object", "additionalProperties": _s()},
            "finalizers": {"type": "array", "items": _s()},
            "ownerReferences": {"type": "array", "items": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
            "managedFields": {"type": "array", "items": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
            "namespace": _s(),
            "selfLink": _s(),
        },
    }
    cluster = _obj(
        {
            "apiVersion": _s("APIVersion defines the versioned schema of this representation of an object."),
            "kind": _s("Kind is a string value representing the REST resource this object represents."),
            "metadata": {**ref(META_REF), "description": "Standard object's metadata."} if ref_prefix.startswith("#/definitions") else {"allOf": [ref(META_REF)], "description": "Standard object's metadata."},
            "spec": SPEC,
            "status": STATUS,
        },
        "Cluster represents the desired state and status of a member cluster.",
        required=["spec"],
    )
    cluster["x-kubernetes-group-version-kind"] = GVK
    cluster_list = _obj(
        {"apiVersion": _s(), "kind": _s(), "metadata": ref(LISTMETA_REF), "items": {"type": "array", "items": ref(CLUSTER_REF)}},
        "ClusterList contains a list of member clusters.",
        required=["items"],
    )
    cluster_list["x-kubernetes-group-version-kind"] = [{"group": GROUP, "version": VERSION, "kind": "ClusterList"}]
    return {
        CLUSTER_REF: cluster,
        LIST_REF: cluster_list,
        META_REF: meta,
        LISTMETA_REF: _obj({"resourceVersion": _s(), "continue": _s(), "remainingItemCount": {"type": "integer", "format": "int64"}}),
    }


def cluster_schema() -> dict[str, Any]:
    """The Cluster schema with references resolved enough for field validation."""
    schema = _schemas("#/definitions/")[CLUSTER_REF]
    return {**schema, "properties": {**schema["properties"], "metadata": _schemas("")[META_REF]}}


_BASE = f"/apis/{GROUP_VERSION}/clusters"
_OBJECT = _BASE + "/{name}"


def _ops_v3() -> dict[str, Any]:
    def op(op_id: str, kind_ref: str, action: str, body: bool = False, patch: bool = False) -> dict[str, Any]:
        o: dict[str, Any] = {
            "operationId": op_id,
            "tags": [f"cluster_{VERSION}"],
            "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{kind_ref}"}}}}},
            "x-kubernetes-action": action,
            "x-kubernetes-group-version-kind": GVK[0],
        }
        if body:
            o["requestBody"] = {"content": {"*/*": {"schema": {"$ref": f"#/components/schemas/{CLUSTER_REF}"}}}}
        if patch:
            o["requestBody"] = {
                "content": {t: {"schema": {"type": "object"}} for t in ("application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml")}
            }
        return o

    name_param = [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}]
    return {
        _BASE.lstrip("/"): None,
        _BASE: {
            "get": op("listClusterV1alpha1Cluster", LIST_REF, "list"),
            "post": op("createClusterV1alpha1Cluster", CLUSTER_REF, "post", body=True),
            "delete": op("deleteClusterV1alpha1CollectionCluster", "Status", "deletecollection"),
        },
        _OBJECT: {
            "parameters": name_param,
            "get": op("readClusterV1alpha1Cluster", CLUSTER_REF, "get"),
            "put": op("replaceClusterV1alpha1Cluster", CLUSTER_REF, "put", body=True),
            "patch": op("patchClusterV1alpha1Cluster", CLUSTER_REF, "patch", patch=True),
            "delete": op("deleteClusterV1alpha1Cluster", "Status", "delete"),
        },
        _OBJECT + "/status": {
            "parameters": name_param,
            "get": op("readClusterV1alpha1ClusterStatus", CLUSTER_REF, "get"),
            "put": op("replaceClusterV1alpha1ClusterStatus", CLUSTER_REF, "put", body=True),
            "patch": op("patchClusterV1alpha1ClusterStatus", CLUSTER_REF, "patch", patch=True),
        },
    }


def openapi_v3() -> dict[str, Any]:
    paths = {k: v for k, v in _ops_v3().items() if v is not None}
    schemas = _schemas("#/components/schemas/")
    schemas["Status"] = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    return {"openapi": "3.0.0", "info": {"title": "pykarmada aggregated API", "version": VERSION}, "paths": paths, "components": {"schemas": schemas}}


def openapi_v2() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for path, ops in _ops_v3().items():
        if ops is None:
            continue
        entry: dict[str, Any] = {}
        for method, o in ops.items():
            if method == "parameters":
                entry["parameters"] = [{"name": "name", "in": "path", "required": True, "type": "string"}]
                continue
            ref = o["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].replace("#/components/schemas/", "#/definitions/")
            v2 = {
                "operationId": o["operationId"],
                "tags": o["tags"],
                "produces": ["application/json"],
                "consumes": ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"] if method == "patch" else ["*/*"],
                "responses": {"200": {"description": "OK", "schema": {"$ref": ref}}},
                "x-kubernetes-action": o["x-kubernetes-action"],
                "x-kubernetes-group-version-kind": o["x-kubernetes-group-version-kind"],
            }
            if method in ("post", "put", "patch"):
                v2["parameters"] = [{"name": "body", "in": "body", "required": True, "schema": {"type": "object"}}]
            entry[method] = v2
        paths[path] = entry
    definitions = _swagger2(_schemas("#/definitions/"))
    definitions["Status"] = {"type": "object"}
    return {"swagger": "2.0", "info": {"title": "pykarmada aggregated API", "version": VERSION}, "paths": paths, "definitions": definitions}


def _swagger2(schema: Any) -> Any:
    """Swagger 2.0 has no anyOf: quantities (int or string) become strings, as Kubernetes' are."""
    if isinstance(schema, dict):
        if schema.get("x-kubernetes-int-or-string"):
            return {"type": "string", "description": schema.get("description", "")}
        return {k: _swagger2(v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_swagger2(v) for v in schema]
    return schema


def openapi_v3_index(hash_of: str) -> dict[str, Any]:
    return {"paths": {f"apis/{GROUP_VERSION}": {"serverRelativeURL": f"/openapi/v3/apis/{GROUP_VERSION}?hash={hash_of}"}}}


def document_hash(doc: dict[str, Any]) -> str:
    return hashlib.sha512(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:64].upper()


def api_group() -> dict[str, Any]:
    gv = {"groupVersion": GROUP_VERSION, "version": VERSION}
    return {"kind": "APIGroup", "apiVersion": "v1", "name": GROUP, "versions": [gv], "preferredVersion": gv}


def api_group_list() -> dict[str, Any]:
    group = api_group()
    group.pop("kind")
    group.pop("apiVersion")
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [group]}


def api_resource_list() -> dict[str, Any]:
    common = {"namespaced": False, "kind": "Cluster"}
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": GROUP_VERSION,
        "resources": [
            {"name": "clusters", "singularName": "cluster", **common, "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"], "storageVersionHash": "pykarmada1"},
            {"name": "clusters/proxy", "singularName": "", "namespaced": False, "kind": "ClusterProxyOptions", "verbs": ["create", "delete", "get", "patch", "update"]},
            {"name": "clusters/status", "singularName": "", **common, "verbs": ["get", "patch", "update"]},
        ],
    }


def unknown_fields(obj: Any, schema: dict[str, Any], path: str = "") -> list[str]:
    """Paths of fields that ``schema`` does not declare (for fieldValidation=Strict/Warn)."""
    if schema.get("x-kubernetes-preserve-unknown-fields") or not isinstance(obj, (dict, list)):
        return []
    if isinstance(obj, list):
        items = schema.get("items") or {}
        return [f for i, v in enumerate(obj) for f in unknown_fields(v, items, f"{path}[{i}]")]
    if "additionalProperties" in schema:
        extra = schema["additionalProperties"] if isinstance(schema["additionalProperties"], dict) else {}
        return [f for k, v in obj.items() for f in unknown_fields(v, extra, f"{path}.{k}" if path else k)]
    props = schema.get("properties")
    if props is None:
        return []
    found = []
    for key, value in obj.items():
        child = f"{path}.{key}" if path else key
        if key not in props:
            found.append(child)
        else:
            found += unknown_fields(value, props[key], child)
    return found
