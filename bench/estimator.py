"""Benchmark of karmada-scheduler-estimator: MaxAvailableReplicas answers per second and latency.

    python bench/estimator.py [--requests 2000] [--concurrency 16] [--nodes 3] [--state-dir DIR]

Without ``--state-dir`` starts a local-up environment (1 member, ``--nodes`` kwok nodes) in a
temporary directory and stops it afterwards; with it, uses member1's estimator of that running
environment. Sends ``--requests`` MaxAvailableReplicas calls over HTTPS with the client
certificate local-up issued, ``--concurrency`` in flight, half of them with a node selector and a
toleration; prints answers/s and latency p50/p99. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from pykarmada.localup.pki import ESTIMATOR, ESTIMATOR_CLIENT
from pykarmada.localup.state import Layout, load_state

KARMADACTL = [sys.executable, "-m", "pykarmada.karmadactl"]
BODIES = [
    {"cluster": "member1", "replicaRequirements": {"namespace": "default", "resourceRequest": {"cpu": "250m", "memory": "512Mi"}}},
    {
        "cluster": "member1",
        "replicaRequirements": {
            "namespace": "default",
            "resourceRequest": {"cpu": "1"},
            "nodeClaim": {"nodeSelector": {"type": "kwok"}, "tolerations": [{"key": "kwok.x-k8s.io/node", "operator": "Exists"}]},
        },
    },
]


async def run(state_dir: Path, requests: int, concurrency: int) -> None:
    layout = Layout(state_dir)
    state = load_state(layout)
    assert state is not None, f"no environment in {state_dir}"
    pki = layout.pki / "karmada"
    ctx = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    ctx.load_cert_chain(pki / f"{ESTIMATOR_CLIENT}.crt", pki / f"{ESTIMATOR_CLIENT}.key")
    url = f"https://localhost:{state.ports[f'member1/{ESTIMATOR}']}/v1/MaxAvailableReplicas"
    latencies: list[float] = []
    pending = iter(range(requests))

    async def worker(session: aiohttp.ClientSession) -> None:
        for i in pending:
            started = time.perf_counter()
            async with session.post(url, json=BODIES[i % 2]) as resp:
                await resp.read()
                assert resp.status == 200, resp.status
            latencies.append(time.perf_counter() - started)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx, limit=concurrency)) as session:
        for body in BODIES:  # warm up
            async with session.post(url, json=body) as resp:
                print(f"answer {await resp.json()} for {body['replicaRequirements']['resourceRequest']}")
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"{requests} answers in {elapsed:.2f}s: {requests / elapsed:.0f} answers/s (concurrency {concurrency})")
    print(f"latency p50 {statistics.median(latencies) * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=2000)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--nodes", type=int, default=3)
    p.add_argument("--state-dir", type=Path)
    a = p.parse_args()
    if a.state_dir is not None:
        asyncio.run(run(a.state_dir, a.requests, a.concurrency))
        return
    with tempfile.TemporaryDirectory(prefix="bench-estimator-") as tmp:
        state_dir, kube_dir = Path(tmp) / "state", Path(tmp) / "kube"
        up = ["local-up", "--members=1", f"--nodes-per-member={a.nodes}", f"--state-dir={state_dir}", f"--kubeconfig-dir={kube_dir}"]
        subprocess.run([*KARMADACTL, *up], check=True, capture_output=True)
        try:
            asyncio.run(run(state_dir, a.requests, a.concurrency))
        finally:
            subprocess.run([*KARMADACTL, "local-down", "--purge", f"--state-dir={state_dir}", f"--kubeconfig-dir={kube_dir}"], check=False)


if __name__ == "__main__":
    main()
