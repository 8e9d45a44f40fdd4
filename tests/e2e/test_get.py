"""``karmadactl get`` output formats, selectors and watch (issue 13), against the control plane
and members through the proxy."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import uuid

import yaml

from tests.e2e.framework.env import KARMADACTL, LocalEnv, karmadactl


def test_object_output_formats(local_env: LocalEnv) -> None:
    kc = f"--kubeconfig={local_env.karmada_kubeconfig}"
    names = karmadactl("get", "clusters", "-o", "jsonpath={.items[*].metadata.name}", kc).stdout.strip()
    assert names.split() == local_env.state.members
    one = yaml.safe_load(karmadactl("get", "clusters", "member1", "-o", "yaml", kc).stdout)
    assert one["kind"] == "Cluster" and one["metadata"]["name"] == "member1"
    listed = karmadactl("get", "namespaces", "default", "kube-system", "-s", "all", "-C", "member1", "-o", "name", kc).stdout.split()
    assert listed == ["namespace/default", "namespace/kube-system"] * 2  # control plane, then member1
    selected = karmadactl("get", "namespaces", "-s", "members", "-C", "member2", "--field-selector", "metadata.name=kube-system", "-o", "name", kc).stdout.split()
    assert selected == ["namespace/kube-system"]
    bad = karmadactl("get", "clusters", "-o", "jsonpath={.items[0].nope}", kc, check=False)
    assert bad.returncode == 1 and "nope is not found" in bad.stderr
    unknown = karmadactl("get", "clusters", "-o", "xml", kc, check=False)
    assert unknown.returncode == 2 and "unable to match a printer" in unknown.stderr


def test_watch_prints_changes_with_their_cluster(local_env: LocalEnv) -> None:
    kc = f"--kubeconfig={local_env.karmada_kubeconfig}"
    name = f"watched-{uuid.uuid4().hex[:6]}"
    watcher = subprocess.Popen([*KARMADACTL, "get", "configmaps", "-n", "default", "--watch-only", "--output-watch-events", kc],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    assert watcher.stdout is not None
    threading.Thread(target=lambda: [lines.put(line) for line in watcher.stdout], daemon=True).start()  # type: ignore[union-attr]
    try:
        # The watch opens after start-up; create until our ADDED line shows (each name once).
        for attempt in range(20):
            cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"{name}-{attempt}", "namespace": "default", "labels": {"watched": name}}}
            local_env.kubectl("apply", "-f", "-", input=json.dumps(cm))
            try:
                line = lines.get(timeout=5)
            except queue.Empty:
                continue
            assert line.startswith("ADDED") and f"{name}-" in line and "Karmada" in line, line
            break
        else:
            raise AssertionError("no watch event printed")
    finally:
        watcher.kill()
        watcher.wait()
        local_env.kubectl("delete", "configmap", "-n", "default", "-l", f"watched={name}", check=False)
