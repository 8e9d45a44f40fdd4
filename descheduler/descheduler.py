"""karmada-descheduler: every ``--descheduling-interval``, the replicas of dynamically divided
Deployments that stay unschedulable in a member longer than ``--unschedulable-threshold`` are
taken from that member's assignment, so the scheduler places them elsewhere."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from pykarmada.descheduler.core import is_candidate, plan, undesired_clusters
from pykarmada.karmada import constants as C
from pykarmada.karmada.estimation.client import EstimatorClient, EstimatorClientOptions
from pykarmada.kube.client import KubeClient, resource_path
from pykarmada.kube.errors import ApiError
from pykarmada.kube.events import NORMAL, WARNING, EventRecorder
from pykarmada.kube.informer import Informer

log = logging.getLogger("pykarmada.descheduler")
COMPONENT = "karmada-descheduler"


@dataclass(frozen=True)
class Settings:
    kubeconfig: str
    leader_elect: bool = True
    leader_elect_namespace: str = "karmada-system"
    descheduling_interval: float = 120.0
    unschedulable_threshold: float = 300.0
    estimator: EstimatorClientOptions = field(default_factory=EstimatorClientOptions)


class Descheduler:
    def __init__(self, client: KubeClient, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self.bindings = Informer(client, C.RESOURCE_BINDINGS_PATH, name="resourcebindings")
        self.estimators = EstimatorClient(client, settings.estimator)
        self.recorder = EventRecorder(client, COMPONENT)

    async def run(self) -> None:
        log.info("starting karmada descheduler")
        self.bindings.start()
        try:
            await self.bindings.wait_synced()
            while True:
                await self.deschedule_once()
                await asyncio.sleep(self.settings.descheduling_interval)
        finally:
            await self.bindings.stop()
            await self.estimators.close()
            log.info("shutting down karmada descheduler")

    async def deschedule_once(self) -> None:
        for binding in self.bindings.list():
            if (binding.get("metadata") or {}).get("deletionTimestamp") or not is_candidate(binding):
                continue
            try:
                await self.deschedule(binding)
            except ApiError as e:
                log.warning("ResourceBinding(%s/%s): %s", binding["metadata"].get("namespace"), binding["metadata"].get("name"), e)

    async def deschedule(self, binding: dict) -> None:
        undesired = undesired_clusters(binding)
        if not undesired:
            return
        resource = (binding.get("spec") or {}).get("resource") or {}
        unschedulable = await self.estimators.unschedulable_replicas(undesired, resource, self.settings.unschedulable_threshold)
        result = plan(binding, unschedulable)
        if result is None:
            return
        meta = binding["metadata"]
        path = resource_path(C.WORK_V1ALPHA2, "resourcebindings", namespace=meta["namespace"], name=meta["name"])
        updated = {**binding, "spec": {**binding["spec"], "clusters": result.clusters}}
        try:
            await self.client.replace(path, updated)
        except ApiError as e:
            self._events(binding, WARNING, C.EVENT_DESCHEDULE_BINDING_FAILED, str(e))
            raise
        log.info("ResourceBinding(%s/%s): %s", meta["namespace"], meta["name"], result.message)
        self._events(binding, NORMAL, C.EVENT_DESCHEDULE_BINDING_SUCCEED, result.message)

    def _events(self, binding: dict, type_: str, reason: str, message: str) -> None:
        self.recorder.event(binding, type_, reason, message)
        resource = (binding.get("spec") or {}).get("resource")
        if resource:
            self.recorder.event(resource, type_, reason, message)
