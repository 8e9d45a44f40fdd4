"""local-up step: run karmada-webhook as a local process and register it with the control plane.

The server listens on loopback with the control plane's serving certificate for
``karmada-webhook`` and requires the client certificate kube-apiserver presents to webhooks
(``components.admission_config``). Registration applies ``manifests/webhook-configuration.yaml``
with each URL pointed at ``https://127.0.0.1:<port>/<path>`` and the control-plane CA as caBundle.
"""

from __future__ import annotations

import base64
import copy
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pykarmada.karmada.commandlines import MODULES, webhook_args
from pykarmada.kube.apply import apply_objects, load_manifests
from pykarmada.kube.client import KubeClient
from pykarmada.kube.config import Connection
from pykarmada.kube.discovery import RESTMapper
from pykarmada.localup.install_context import InstallContext
from pykarmada.localup.processes import ProcessSpec
from pykarmada.localup.starter import http_ok

COMPONENT = "karmada-webhook"
PROCESS_NAME = f"karmada/{COMPONENT}"
CONFIGURATION_FILE = "webhook-configuration.yaml"


def webhook_spec(ctx: InstallContext) -> ProcessSpec:
    plan = ctx.control_plane
    serving = plan.pki.serving[COMPONENT]
    argv = [
        sys.executable,
        "-m",
        MODULES[COMPONENT],
        *webhook_args(
            bind_address="127.0.0.1",
            secure_port=plan.ports[COMPONENT],
            cert=str(serving.cert),
            key=str(serving.key),
            client_ca=str(plan.pki.ca.cert),
            metrics_bind_address=f"127.0.0.1:{plan.ports[f'{COMPONENT}/metrics']}",
            health_probe_bind_address=f"127.0.0.1:{plan.ports[f'{COMPONENT}/health']}",
        ),
    ]
    if not ctx.upstream_defaults:
        argv.append("--allow-no-execute-taint-policy=true")  # ClusterTaintPolicies may evict (see controllers.FAILOVER_FLAGS)
    return ProcessSpec(PROCESS_NAME, argv, ctx.layout.log_file(PROCESS_NAME))


def local_configurations(objects: list[dict[str, Any]], *, port: int, ca_pem: bytes) -> list[dict[str, Any]]:
    """The shipped configurations with every webhook URL moved to loopback (same path) and the
    caBundle set. Pure; the input is left unchanged."""
    bundle = base64.b64encode(ca_pem).decode()
    out = []
    for obj in objects:
        obj = copy.deepcopy(obj)
        for webhook in obj.get("webhooks") or []:
            client = webhook.setdefault("clientConfig", {})
            path = urlsplit(client.get("url", "")).path
            client["url"] = f"https://127.0.0.1:{port}{path}"
            client["caBundle"] = bundle
        out.append(obj)
    return out


async def install_webhook(
    ctx: InstallContext, client: KubeClient, mapper: RESTMapper, *, manifests: Path, field_manager: str
) -> None:
    """Start the server, wait for ``/readyz``, then register it (fail closed from then on)."""
    plan = ctx.control_plane
    record = ctx.starter.start(webhook_spec(ctx))
    probe_client = plan.pki.clients["apiserver-webhook-client"]
    probe = Connection(
        server=f"https://127.0.0.1:{plan.ports[COMPONENT]}",
        ca_pem=plan.pki.ca.cert.read_bytes(),
        client_cert_pem=probe_client.cert.read_bytes(),
        client_key_pem=probe_client.key.read_bytes(),
    )
    await ctx.starter.wait(record, lambda: http_ok(probe, "/readyz"), ctx.timeout)
    shipped = load_manifests(manifests / CONFIGURATION_FILE)
    configurations = local_configurations(shipped, port=plan.ports[COMPONENT], ca_pem=plan.pki.ca.cert.read_bytes())
    await apply_objects(client, mapper, configurations, field_manager=field_manager)
