"""Leader election on a coordination.k8s.io Lease, as client-go's leaderelection: acquire when the
lease is free or expired, renew every ``retry_period``, and stop leading (raise) when renewal has
failed for ``renew_deadline``. Writes use the Lease's resourceVersion, so two candidates never
both win."""

from __future__ import annotations

import asyncio
import datetime
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from pykarmada.kube.client import KubeClient
from pykarmada.kube.errors import ApiError

log = logging.getLogger(__name__)


def _micro_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(ts: str | None) -> float:
    if not ts:
        return 0.0
    return datetime.datetime.strptime(ts.replace("Z", "").split(".")[0], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc).timestamp()


class LeaderElector:
    def __init__(
        self,
        client: KubeClient,
        namespace: str,
        name: str,
        identity: str,
        *,
        lease_duration: float = 15.0,
        renew_deadline: float = 10.0,
        retry_period: float = 2.0,
    ) -> None:
        self.client, self.namespace, self.name, self.identity = client, namespace, name, identity
        self.lease_duration, self.renew_deadline, self.retry_period = lease_duration, renew_deadline, retry_period
        self.path = f"/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases"

    async def _try_acquire_or_renew(self) -> bool:
        now = _micro_now()
        try:
            lease = await self.client.get(f"{self.path}/{self.name}")
        except ApiError as e:
            if not e.not_found:
                raise
            body = {
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {"name": self.name, "namespace": self.namespace},
                "spec": self._spec(now, now, 0),
            }
            try:
                await self.client.create(self.path, body)
                return True
            except ApiError as e2:
                if e2.already_exists:
                    return False
                raise
        spec: dict[str, Any] = lease.get("spec") or {}
        holder = spec.get("holderIdentity")
        renewed = _parse(spec.get("renewTime"))
        expired = time.time() > renewed + float(spec.get("leaseDurationSeconds") or self.lease_duration)
        if holder and holder != self.identity and not expired:
            return False
        transitions = int(spec.get("leaseTransitions") or 0) + (0 if holder == self.identity else 1)
        acquired = spec.get("acquireTime") if holder == self.identity else now
        lease["spec"] = self._spec(acquired or now, now, transitions)
        try:
            await self.client.replace(f"{self.path}/{self.name}", lease)
            return True
        except ApiError as e:
            if e.conflict:
                return False
            raise

    def _spec(self, acquired: str, renewed: str, transitions: int) -> dict[str, Any]:
        return {
            "holderIdentity": self.identity,
            "leaseDurationSeconds": int(self.lease_duration),
            "acquireTime": acquired,
            "renewTime": renewed,
            "leaseTransitions": transitions,
        }

    async def release(self) -> None:
        """Give the lease up (when shutting down), so that a successor need not wait for it to expire."""
        try:
            lease = await self.client.get(f"{self.path}/{self.name}")
            if (lease.get("spec") or {}).get("holderIdentity") != self.identity:
                return
            lease["spec"].update(holderIdentity=None, leaseDurationSeconds=1, renewTime=_micro_now())
            await self.client.replace(f"{self.path}/{self.name}", lease)
            log.info("%s: released %s/%s", self.identity, self.namespace, self.name)
        except (ApiError, OSError) as e:
            log.warning("leader election: could not release the lease: %s", e)

    async def run(self, lead: Callable[[], Awaitable[None]]) -> None:
        """Wait until leader, then run ``lead()`` while renewing; return when leadership is lost.
        Cancelled (shutdown), it stops leading and releases the lease."""
        while True:
            try:
                if await self._try_acquire_or_renew():
                    break
            except ApiError as e:
                log.warning("leader election: %s", e)
            await asyncio.sleep(self.retry_period)
        log.info("%s: became leader of %s/%s", self.identity, self.namespace, self.name)
        leading = asyncio.create_task(lead(), name="leading")
        last_renew = time.monotonic()
        try:
            while not leading.done():
                await asyncio.sleep(self.retry_period)
                try:
                    if await self._try_acquire_or_renew():
                        last_renew = time.monotonic()
                except (ApiError, OSError) as e:
                    log.warning("leader election: renew failed: %s", e)
                if time.monotonic() - last_renew > self.renew_deadline:
                    log.error("%s: lost leadership of %s/%s", self.identity, self.namespace, self.name)
                    return
        except asyncio.CancelledError:
            leading.cancel()
            await asyncio.gather(leading, return_exceptions=True)
            await asyncio.shield(self.release())
            raise
        finally:
            leading.cancel()
            await asyncio.gather(leading, return_exceptions=True)
        leading.result()
