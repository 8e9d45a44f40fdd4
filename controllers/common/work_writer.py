"""Create-or-update of Works shared by the binding and namespace-sync controllers.

The stored Work is read from the shared Work informer; a write happens only when the desired
Work, folded into the stored one and passed through the Work webhook's mutation, differs from
it, and always carries the stored resourceVersion (a concurrent change answers 409). A new Work
gets its permanent id here, as the webhook would give it, so the output is the same with or
without the webhook.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from pykarmada.controllers.common.apiutil import work_path
from pykarmada.karmada import constants as C
from pykarmada.karmada.mutation import mutate_work
from pykarmada.karmada.works import merge_work, work_changed
from pykarmada.kube.client import KubeClient
from pykarmada.kube.controller import RetryableError
from pykarmada.kube.errors import ApiError
from pykarmada.kube.informer import Informer

log = logging.getLogger(__name__)
Obj = dict[str, Any]


class WorkBeingDeleted(RetryableError):
    """The Work is being deleted: it is written again once it is gone."""


class WorkWriter:
    def __init__(self, client: KubeClient, works: Informer) -> None:
        self.client, self.works = client, works

    async def ensure(self, desired: Obj) -> bool:
        """Create or update one Work; True when something was written."""
        meta = desired["metadata"]
        namespace, name = meta["namespace"], meta["name"]
        existing = self.works.get(namespace, name)
        if existing is None:
            try:
                await self.client.create(work_path(namespace), mutate_work(desired, new_id=str(uuid.uuid4())))
                log.info("created work %s/%s", namespace, name)
                return True
            except ApiError as e:
                if not e.already_exists:
                    raise
            existing = await self.client.get(work_path(namespace, name))  # the cache is behind
        if (existing.get("metadata") or {}).get("deletionTimestamp"):
            raise WorkBeingDeleted(f"work {namespace}/{name} is being deleted")
        work_id = ((existing.get("metadata") or {}).get("labels") or {}).get(C.WORK_PERMANENT_ID_LABEL) or ""
        merged = merge_work(existing, mutate_work(desired, new_id=work_id) if work_id else desired)
        if not work_changed(existing, merged):
            return False
        await self.client.replace(work_path(namespace, name), merged)
        log.info("updated work %s/%s", namespace, name)
        return True

    async def delete(self, namespace: str, name: str) -> None:
        try:
            await self.client.delete(work_path(namespace, name))
        except ApiError as e:
            if not e.not_found:
                raise
