"""The event loop of every long-running process: uvloop.

Profiles of the aggregated API server and the controller process spent a third of their time in
the standard loop's selector, socket writes and TLS record handling; uvloop does that work in C
(libuv). One function, so that every server, controller and agent runs on the same loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import uvloop

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` on a uvloop event loop."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)
