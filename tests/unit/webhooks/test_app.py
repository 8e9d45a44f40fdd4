"""The webhook server over HTTP(S): routes, status codes, concurrency, TLS client authentication."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import ssl
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import REGISTRY

from pykarmada.certs import CertificateAuthority, issue_client_cert, issue_serving_cert
from pykarmada.karmada import constants as c
from pykarmada.webhooks.app import ROUTES, ServerSettings, build_app, serve

PP = {
    "apiVersion": "policy.karmada.io/v1alpha1",
    "kind": "PropagationPolicy",
    "metadata": {"name": "p", "namespace": "demo"},
    "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx"}]},
}


def _review(obj: Any, *, uid: str = "u1", operation: str = "CREATE", old: Any = None) -> dict[str, Any]:
    request = {"uid": uid, "operation": operation, "namespace": "demo", "name": "p", "kind": {"kind": "PropagationPolicy"}, "object": obj}
    if old is not None:
        request["oldObject"] = old
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}


def _run(test: Callable[[TestClient], Awaitable[None]]) -> None:
    async def main() -> None:
        async with TestClient(TestServer(build_app())) as client:
            await test(client)

    asyncio.run(main())


def test_routes_are_upstream_paths() -> None:
    assert sorted(ROUTES) == sorted(
        ["/mutate-propagationpolicy", "/validate-propagationpolicy", "/mutate-clusterpropagationpolicy",
         "/validate-clusterpropagationpolicy", "/mutate-overridepolicy", "/validate-overridepolicy",
         "/validate-clusteroverridepolicy", "/mutate-resourcebinding", "/validate-resourcebinding",
         "/mutate-clusterresourcebinding", "/mutate-work", "/validate-clustertaintpolicy"]
    )  # fmt: skip


def test_mutation_answers_a_json_patch() -> None:
    async def check(client: TestClient) -> None:
        resp = await client.post("/mutate-propagationpolicy", json=_review(PP))
        assert resp.status == 200
        body = (await resp.json())["response"]
        assert body["uid"] == "u1" and body["allowed"] and body["patchType"] == "JSONPatch"
        ops = json.loads(base64.b64decode(body["patch"]))
        assert {"op": "add", "path": "/spec/resourceSelectors/0/namespace", "value": "demo"} in ops
        assert any(op["path"] == "/metadata/labels" and c.PROPAGATION_POLICY_PERMANENT_ID_LABEL in op["value"] for op in ops)

    _run(check)


def test_refusal_is_403_forbidden_with_field_errors() -> None:
    async def check(client: TestClient) -> None:
        resp = await client.post("/validate-propagationpolicy", json=_review(PP))
        body = (await resp.json())["response"]
        assert resp.status == 200 and body["allowed"] is False
        assert body["status"]["code"] == 403 and body["status"]["reason"] == "Forbidden"
        assert body["status"]["message"] == (
            f"[metadata.labels[{c.PROPAGATION_POLICY_PERMANENT_ID_LABEL}]: Required value: the mutating admission webhook "
            'sets it at creation and updates must keep it, spec.resourceSelectors[0].namespace: Invalid value: "": '
            'must be the namespace of the policy, "demo"]'
        )

    _run(check)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [pytest.param(b"{nope", "application/json", id="not-json"), pytest.param(b"{}", "application/json", id="not-a-review"),
     pytest.param(json.dumps(_review(PP)).encode(), "text/plain", id="wrong-content-type")],
)
def test_malformed_reviews_are_http_400(body: bytes, content_type: str) -> None:
    async def check(client: TestClient) -> None:
        resp = await client.post("/mutate-work", data=body, headers={"Content-Type": content_type})
        assert resp.status == 400
        assert (await resp.json())["reason"] == "BadRequest"

    _run(check)


def test_undecodable_object_is_code_400_in_the_review() -> None:
    async def check(client: TestClient) -> None:
        bad = {**PP, "spec": {"resourceSelectors": "nginx"}}
        body = (await (await client.post("/validate-propagationpolicy", json=_review(bad))).json())["response"]
        assert body["allowed"] is False and body["status"]["code"] == 400
        assert "spec.resourceSelectors" in body["status"]["message"]

    _run(check)


def test_update_without_old_object_is_400() -> None:
    async def check(client: TestClient) -> None:
        body = (await (await client.post("/validate-propagationpolicy", json=_review(PP, operation="UPDATE"))).json())["response"]
        assert body["status"]["code"] == 400 and "oldObject" in body["status"]["message"]

    _run(check)


def test_health_and_unknown_paths() -> None:
    async def check(client: TestClient) -> None:
        for path in ("/readyz", "/readyz/", "/healthz", "/livez"):
            resp = await client.get(path)
            assert resp.status == 200 and await resp.text() == "ok"
        assert (await client.post("/mutate-cluster", json={})).status == 404
        assert (await client.get("/mutate-work")).status == 405

    _run(check)


def test_concurrent_requests_get_their_own_answers() -> None:
    async def check(client: TestClient) -> None:
        async def one(i: int) -> str:
            resp = await client.post("/mutate-propagationpolicy", json=_review(PP, uid=f"u{i}"))
            return (await resp.json())["response"]["uid"]

        uids = await asyncio.gather(*(one(i) for i in range(200)))
        assert uids == [f"u{i}" for i in range(200)]

    _run(check)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_tls_requires_client_certificates_from_the_ca(tmp_path: Path) -> None:
    ca = CertificateAuthority.create("test-ca")
    ca.write(tmp_path, "ca")
    serving_cert, serving_key = issue_serving_cert(ca, "karmada-webhook", dns_names=("localhost",), ip_addresses=("127.0.0.1",)).write(tmp_path, "serving")
    client_cert, client_key = issue_client_cert(ca, "apiserver").write(tmp_path, "client")
    other = CertificateAuthority.create("other-ca")
    stranger_cert, stranger_key = issue_client_cert(other, "stranger").write(tmp_path, "stranger")
    port = _free_port()
    settings = ServerSettings(str(serving_cert), str(serving_key), bind_address="127.0.0.1", secure_port=port, client_ca_file=str(tmp_path / "ca.crt"))

    def context(cert: Path | None, key: Path | None, maximum: ssl.TLSVersion | None = None) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=str(tmp_path / "ca.crt"))
        if cert and key:
            ctx.load_cert_chain(str(cert), str(key))
        if maximum:
            ctx.maximum_version = maximum
        return ctx

    async def get(ctx: ssl.SSLContext) -> int:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"https://127.0.0.1:{port}/readyz", ssl=ctx) as resp:
                return resp.status

    async def main() -> None:
        stop = asyncio.Event()
        server = asyncio.create_task(serve(settings, stop=stop))
        try:
            for _ in range(100):
                try:
                    assert await get(context(client_cert, client_key)) == 200
                    break
                except aiohttp.ClientConnectorError:
                    await asyncio.sleep(0.05)
            for ctx in (context(None, None), context(stranger_cert, stranger_key), context(client_cert, client_key, ssl.TLSVersion.TLSv1_2)):
                with pytest.raises(aiohttp.ClientError):
                    await get(ctx)
        finally:
            stop.set()
            await server

    asyncio.run(main())


def test_requests_are_counted_per_webhook_path_and_code() -> None:
    def count(code: str) -> float:
        return REGISTRY.get_sample_value("controller_runtime_webhook_requests_total", {"webhook": "/mutate-work", "code": code}) or 0.0

    async def check(client: TestClient) -> None:
        ok, bad = count("200"), count("400")
        assert (await client.post("/mutate-work", json=_review({"kind": "Work"}))).status == 200
        assert (await client.post("/mutate-work", data=b"{", headers={"Content-Type": "application/json"})).status == 400
        assert count("200") == ok + 1 and count("400") == bad + 1
        assert REGISTRY.get_sample_value("controller_runtime_webhook_requests_in_flight", {"webhook": "/mutate-work"}) == 0
        assert (REGISTRY.get_sample_value("controller_runtime_webhook_latency_seconds_count", {"webhook": "/mutate-work"}) or 0) >= 2

    _run(check)
