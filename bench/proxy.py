"""Benchmark of the cluster proxy: 1,000 GETs of one member object through
``/apis/cluster.karmada.io/v1alpha1/clusters/member1/proxy`` (kube-apiserver -> aggregated server
-> member) against the same GETs sent straight to the member; latency p50/p99, throughput, and the
aggregated server's memory.

    python bench/proxy.py [--requests 1000] [--concurrency 16] [--state-dir DIR]

Without --state-dir it starts its own environment (1 member) in a temporary directory. Prints
figures; asserts nothing. Targets (issue 14): proxy p50 within 1.5x of direct, throughput within 2x.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from figures import pct_ms, rss_mib

from pykarmada.kube.client import KubeClient
from pykarmada.kube.config import connection_from_kubeconfig
from pykarmada.localup.state import Layout, load_state

KARMADACTL = [sys.executable, "-m", "pykarmada.karmadactl"]
OBJECT = "/api/v1/namespaces/kube-system"


async def _latencies(client: KubeClient, path: str, n: int) -> list[float]:
    await client.get(path)  # warm the connection pool
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        await client.get(path)
        out.append(time.perf_counter() - t0)
    return out


async def _throughput(client: KubeClient, path: str, n: int, concurrency: int) -> float:
    sem = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with sem:
            await client.get(path)

    t0 = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(n)))
    return n / (time.perf_counter() - t0)


async def measure(state_dir: Path, n: int, concurrency: int) -> None:
    state = load_state(Layout(state_dir))
    assert state is not None, f"no environment in {state_dir}"
    cp = connection_from_kubeconfig(state.karmada_kubeconfig)
    direct = connection_from_kubeconfig(state.members_kubeconfig, state.members[0])
    proxy_prefix = f"/apis/cluster.karmada.io/v1alpha1/clusters/{state.members[0]}/proxy"
    hop_path = "/apis/cluster.karmada.io/v1alpha1"  # served by the aggregated server from memory
    async with KubeClient(cp) as via_cp, KubeClient(direct) as to_member:
        proxied = await _latencies(via_cp, proxy_prefix + OBJECT, n)
        straight = await _latencies(to_member, OBJECT, n)
        # Where the time goes: the control plane serving its own object, and the control plane's
        # hop to the aggregated server without a member behind it.
        own = await _latencies(via_cp, OBJECT, n)
        hop = await _latencies(via_cp, hop_path, n)
        proxied_rps = await _throughput(via_cp, proxy_prefix + OBJECT, n, concurrency)
        straight_rps = await _throughput(to_member, OBJECT, n, concurrency)
    aggregator = next(p for p in state.processes if p.name.endswith("karmada-aggregated-apiserver"))
    p50p, p99p, p50d, p99d = pct_ms(proxied, 0.5), pct_ms(proxied, 0.99), pct_ms(straight, 0.5), pct_ms(straight, 0.99)
    print(f"GET {OBJECT} x {n}, sequential")
    print(f"  via proxy : p50 {p50p:6.2f} ms   p99 {p99p:6.2f} ms   mean {statistics.mean(proxied) * 1000:6.2f} ms")
    print(f"  direct    : p50 {p50d:6.2f} ms   p99 {p99d:6.2f} ms   mean {statistics.mean(straight) * 1000:6.2f} ms")
    print(f"  ratio     : p50 {p50p / p50d:.2f}x   p99 {p99p / p99d:.2f}x   (target p50 < 1.5x)")
    print(f"  control plane's own GET {OBJECT}: p50 {pct_ms(own, 0.5):6.2f} ms")
    print(f"  control plane -> aggregated server, GET {hop_path}: p50 {pct_ms(hop, 0.5):6.2f} ms")
    print(f"throughput with {concurrency} in flight: via proxy {proxied_rps:.0f} req/s, direct {straight_rps:.0f} req/s")
    print(f"aggregated API server RSS after the run: {rss_mib(aggregator.pid):.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--state-dir", type=Path)
    args = parser.parse_args()
    if args.state_dir:
        asyncio.run(measure(args.state_dir, args.requests, args.concurrency))
        return
    with tempfile.TemporaryDirectory(prefix="pykarmada-bench-proxy-") as tmp:
        state, kube = f"{tmp}/state", f"{tmp}/kube"
        subprocess.run([*KARMADACTL, "local-up", "--members=1", "--pull-members=0", "--nodes-per-member=1", f"--state-dir={state}", f"--kubeconfig-dir={kube}"], check=True, capture_output=True)
        try:
            asyncio.run(measure(Path(state), args.requests, args.concurrency))
        finally:
            subprocess.run([*KARMADACTL, "local-down", "--purge", f"--state-dir={state}", f"--kubeconfig-dir={kube}"], check=True, capture_output=True)


if __name__ == "__main__":
    main()
