"""Scraping our components' ``/metrics`` as Prometheus would: plain HTTP for the controller
process and the webhook server, HTTPS with client certificates for the aggregated API server.
The endpoints come from the state local-up recorded."""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from pykarmada.certs import CertificateAuthority, issue_client_cert
from pykarmada.localup.state import Layout
from tests.e2e.framework.env import LocalEnv


@dataclass(frozen=True)
class Scrape:
    """One scrape: every sample by (name, sorted labels)."""

    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float]

    def has(self, family: str) -> bool:
        """Whether the family was exposed (a histogram by its ``_count`` series)."""
        return any(n in (family, f"{family}_count") for n, _ in self.samples)

    def value(self, metric: str, **labels: str) -> float:
        """The sample with exactly these labels, 0 when absent (a counter not yet moved)."""
        return self.samples.get((metric, tuple(sorted(labels.items()))), 0.0)

    def total(self, metric: str, **labels: str) -> float:
        """The sum over every sample of ``metric`` whose labels include ``labels``."""
        want = set(labels.items())
        return sum(v for (n, ls), v in self.samples.items() if n == metric and want <= set(ls))


def endpoint(env: LocalEnv, name: str) -> str:
    """The URL local-up recorded, e.g. ``karmada-controller-manager/metrics``."""
    return env.state.endpoints[name]


def client_tls(env: LocalEnv, client: str | None) -> ssl.SSLContext:
    """TLS trusting the control plane's CA, as ``client`` (a certificate of its PKI) or, with
    None, presenting no certificate."""
    pki = Layout(env.state_dir).pki / "karmada"
    ctx = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    if client is not None:
        ctx.load_cert_chain(str(pki / f"{client}.crt"), str(pki / f"{client}.key"))
    return ctx


def user_tls(env: LocalEnv, user: str, directory: Path) -> ssl.SSLContext:
    """TLS as a new user ``user`` (no groups): a client certificate from the control plane's CA,
    written to ``directory``."""
    ca = CertificateAuthority.load_or_create(Layout(env.state_dir).pki / "karmada", "ca", "karmada-ca")
    cert, key = issue_client_cert(ca, user).write(directory, "user")
    ctx = client_tls(env, None)
    ctx.load_cert_chain(str(cert), str(key))
    return ctx


def get(url: str, tls: ssl.SSLContext | None = None) -> tuple[int, str]:
    """Status and body of a GET; HTTP errors are answers too."""
    try:
        with urllib.request.urlopen(url, timeout=10, context=tls) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def scrape(url: str, tls: ssl.SSLContext | None = None) -> Scrape:
    status, body = get(url, tls)
    assert status == 200, f"GET {url}: {status} {body[:200]}"
    samples = {}
    for family in text_string_to_metric_families(body):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return Scrape(samples)
