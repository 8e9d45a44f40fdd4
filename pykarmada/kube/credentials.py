"""Credentials that change while a client runs: what an exec plugin prints, what a tokenFile holds.

A :class:`CredentialCache` hands every request the current :class:`Credential`. It fetches a new
one when the current one is within ``leeway`` of its expiry (one fetch at a time, however many
requests wait), and forgets the one the server answered 401 to, so the next request fetches
again; as client-go does, a credential that was already replaced is not fetched twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pykarmada.kube.errors import ConfigError

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True, eq=False)
class Credential:
    """A bearer token and/or a client certificate, valid until ``expires_at`` (None: no expiry)."""

    token: str | None = field(default=None, repr=False)
    client_cert_pem: bytes | None = None
    client_key_pem: bytes | None = field(default=None, repr=False)
    expires_at: datetime | None = None


class CredentialCache:
    """The current credential of one kubeconfig user, fetched again before it expires."""

    def __init__(
        self,
        fetch: Callable[[], Awaitable[Credential]],
        *,
        leeway: timedelta,
        initial: Credential | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._fetch = fetch
        self._leeway = leeway
        self._clock = clock
        self._current = initial
        # A lock per event loop: a Connection may outlive one asyncio.run (the CLI runs several).
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    def usable(self, cred: Credential | None) -> bool:
        return cred is not None and (cred.expires_at is None or self._clock() < cred.expires_at - self._leeway)

    async def get(self) -> Credential:
        if self.usable(self._current):
            return self._current  # type: ignore[return-value]
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        async with self._lock:
            if not self.usable(self._current):
                self._current = await self._fetch()
            return self._current  # type: ignore[return-value]

    def invalidate(self, used: Credential) -> None:
        """The server refused ``used``: fetch anew next time, unless it was replaced meanwhile."""
        if self._current is used:
            self._current = None


class TokenFile:
    """A ``tokenFile`` read as client-go reads it: again every minute (a projected service-account
    token is rotated underneath us), keeping the last good token when a read fails."""

    PERIOD = timedelta(minutes=1)
    LEEWAY = timedelta(seconds=10)

    def __init__(self, path: str, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.path = path
        self._clock = clock
        self._last: str | None = None

    def read(self) -> Credential:
        """Read the file now; ConfigError when it cannot be read or is empty."""
        try:
            token = Path(self.path).read_text().strip()
        except OSError as e:
            raise ConfigError(f"cannot read tokenFile {self.path}: {e.strerror}") from None
        if not token:
            raise ConfigError(f"tokenFile {self.path} is empty")
        self._last = token
        return Credential(token=token, expires_at=self._clock() + self.PERIOD)

    async def fetch(self) -> Credential:
        try:
            return self.read()
        except ConfigError as e:
            if self._last is None:
                raise
            log.warning("keeping the last token: %s", e)
            return Credential(token=self._last, expires_at=self._clock() + self.PERIOD)

    def cache(self, *, fallback: str | None = None) -> CredentialCache:
        """A cache over this file. Without an inline token the file is read now, so that a missing
        file fails at load as in kubectl; with one (``fallback``), the file still wins whenever it
        can be read, and the inline token serves while it cannot."""
        self._last = fallback
        initial = None if fallback else self.read()
        return CredentialCache(self.fetch, leeway=self.LEEWAY, initial=initial, clock=self._clock)
