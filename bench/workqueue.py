"""Micro-benchmark of the work queue on its hot path: add + get + done per key, in bursts of
1,000 distinct keys, on a named queue (client-go's metrics) and an unnamed one (none).

    python bench/workqueue.py               # 200,000 keys per run, best of 5
    python bench/workqueue.py --scale 0.1   # a quick look

Scenarios: ``live`` (every add at the default priority, as before priorities existed),
``mixed`` (alternately low and high), ``raised`` (each key added low, then again live: two adds
per key). For a before/after, give it an older queue's file too: it runs ``live`` without
metrics on that one as well (an older queue may not fit today's metrics, nor have priorities):

    git show REV:pykarmada/kube/workqueue.py > /tmp/old_workqueue.py
    python bench/workqueue.py --old /tmp/old_workqueue.py

Times are CPU seconds of this process, best of ``--rounds``. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import time
from collections.abc import Callable
from typing import Any

from pykarmada.kube.workqueue import LOW_PRIORITY as LOW
from pykarmada.kube.workqueue import WorkQueue

BURST = 1000


def _fill_live(q: WorkQueue[int], keys: range) -> None:
    for i in keys:
        q.add(i)


def _fill_mixed(q: WorkQueue[int], keys: range) -> None:
    for i in keys:
        if i % 2:
            q.add(i, LOW)
        else:
            q.add(i)


def _fill_raised(q: WorkQueue[int], keys: range) -> None:
    for i in keys:
        q.add(i, LOW)
    for i in keys:
        q.add(i)


SCENARIOS: dict[str, Callable[[WorkQueue[int], range], None]] = {"live": _fill_live, "mixed": _fill_mixed, "raised": _fill_raised}


def load_queue_class(path: str) -> Any:
    spec = importlib.util.spec_from_file_location("old_workqueue", path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.WorkQueue


def cycles(n: int, name: str, fill: Callable[[WorkQueue[int], range], None], queue_class: Any = WorkQueue) -> float:
    async def run() -> float:
        q: WorkQueue[int] = queue_class(name=name)
        take = getattr(q, "get_with_priority", None)
        started = time.process_time()
        for first in range(0, n, BURST):
            fill(q, range(first, min(first + BURST, n)))
            while len(q):
                if take is not None:  # as the Controller takes keys
                    q.done((await take())[0])
                else:  # an older queue
                    q.done(await q.get())
        return time.process_time() - started

    return asyncio.run(run())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", type=float, default=1.0, help="multiply the key count by this")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--old", metavar="FILE", help="an older workqueue.py to time too (live, no metrics)")
    a = p.parse_args()
    n = max(int(200_000 * a.scale), BURST)
    runs: list[tuple[str, str, str, Callable[[], float]]] = []
    if a.old:
        old = load_queue_class(a.old)
        runs.append(("old", "live", "without", lambda: cycles(n, "", _fill_live, old)))
    for scenario, fill in SCENARIOS.items():
        for label, queue_name in (("with metrics", "bench-workqueue"), ("without", "")):
            runs.append(("new", scenario, label, lambda fill=fill, queue_name=queue_name: cycles(n, queue_name, fill)))
    best = [float("inf")] * len(runs)
    for i in range(a.rounds):  # interleaved, so drifting load on the machine weighs on all alike
        for j in range(len(runs)) if i % 2 == 0 else reversed(range(len(runs))):
            best[j] = min(best[j], runs[j][3]())
    print(f"work queue add+get+done, {n:,} keys per run, best of {a.rounds}:")
    for (queue, scenario, label, _), seconds in zip(runs, best):
        print(f"  {queue} {scenario:<7} {label:<13} {seconds / n * 1e6:6.2f} µs per key")


if __name__ == "__main__":
    main()
