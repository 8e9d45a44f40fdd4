"""Discovery and OpenAPI of search.karmada.io/v1alpha1, beside the cluster group's."""

from __future__ import annotations

from typing import Any

from pykarmada.karmada.resourceregistry import GROUP, KIND, VERSION

GROUP_VERSION = f"{GROUP}/{VERSION}"
BASE = f"/apis/{GROUP_VERSION}"
REGISTRIES_PATH = f"{BASE}/resourceregistries"
# Upstream's etcd key layout: <prefix>/search.karmada.io/resourceRegistries/<name>
STORAGE_SUBPATH = "/search.karmada.io/resourceRegistries/"
_GVK = [{"group": GROUP, "version": VERSION, "kind": KIND}]


def api_group() -> dict[str, Any]:
    gv = {"groupVersion": GROUP_VERSION, "version": VERSION}
    return {"kind": "APIGroup", "apiVersion": "v1", "name": GROUP, "versions": [gv], "preferredVersion": gv}


def api_resource_list() -> dict[str, Any]:
    connect = ["create", "delete", "get", "patch", "update"]
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": GROUP_VERSION,
        "resources": [
            {"name": "proxying", "singularName": "", "namespaced": False, "kind": "Proxying", "verbs": []},
            {"name": "proxying/proxy", "singularName": "", "namespaced": False, "kind": "Proxying", "verbs": connect},
            {"name": "resourceregistries", "singularName": "resourceregistry", "namespaced": False, "kind": KIND, "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"], "storageVersionHash": "pykarmada1"},
            {"name": "resourceregistries/status", "singularName": "", "namespaced": False, "kind": KIND, "verbs": ["get", "patch", "update"]},
            {"name": "search", "singularName": "", "namespaced": False, "kind": "Search", "verbs": []},
            {"name": "search/cache", "singularName": "", "namespaced": False, "kind": "Search", "verbs": ["get"]},
        ],
    }


def registry_schema() -> dict[str, Any]:
    """Permissive (validation is the strategy's, with field paths); kubectl only needs the kind."""
    return {"type": "object", "x-kubernetes-preserve-unknown-fields": True, "x-kubernetes-group-version-kind": _GVK}


def openapi_v3() -> dict[str, Any]:
    ref = {"$ref": "#/components/schemas/io.karmada.search.v1alpha1.ResourceRegistry"}
    ok = {"200": {"description": "OK", "content": {"application/json": {"schema": ref}}}}
    op = {"tags": ["searchKarmadaIo_v1alpha1"], "responses": ok, "x-kubernetes-group-version-kind": _GVK[0]}
    paths = {
        REGISTRIES_PATH: {"get": {**op, "operationId": "listSearchKarmadaIoV1alpha1ResourceRegistry", "x-kubernetes-action": "list"},
                          "post": {**op, "operationId": "createSearchKarmadaIoV1alpha1ResourceRegistry", "x-kubernetes-action": "post"}},
        REGISTRIES_PATH + "/{name}": {"get": {**op, "operationId": "readSearchKarmadaIoV1alpha1ResourceRegistry", "x-kubernetes-action": "get"},
                                      "put": {**op, "operationId": "replaceSearchKarmadaIoV1alpha1ResourceRegistry", "x-kubernetes-action": "put"},
                                      "patch": {**op, "operationId": "patchSearchKarmadaIoV1alpha1ResourceRegistry", "x-kubernetes-action": "patch"}},
    }  # fmt: skip
    schemas = {"io.karmada.search.v1alpha1.ResourceRegistry": registry_schema()}
    return {"openapi": "3.0.0", "info": {"title": "pykarmada search API", "version": VERSION}, "paths": paths, "components": {"schemas": schemas}}
