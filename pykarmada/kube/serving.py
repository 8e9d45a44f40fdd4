"""Serving an aiohttp application until SIGTERM or SIGINT, and shutting it down within a bound.

aiohttp's graceful shutdown waits for every open request, and a watch never ends by itself, so a
server with watches open would hang until its shutdown timeout. Here shutdown is: stop listening,
tell the application's streams to end (``stopping`` is set; a stream run through
:func:`until_stopping` ends its response cleanly, so clients see the end of the stream and watch
again), give the other requests in flight ``grace`` seconds, then cancel what is left and run the
application's cleanup.
"""

from __future__ import annotations

import asyncio
import signal
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

SHUTDOWN_GRACE = 0.5
STOPPING = web.AppKey("stopping", asyncio.Event)


def stop_on_signals(stop: asyncio.Event) -> None:
    """Set ``stop`` on SIGTERM and SIGINT (where the loop supports signal handlers)."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass


def track_stopping(app: web.Application) -> asyncio.Event:
    """Give ``app`` the event its streams watch; it is set when the server begins to shut down."""
    if STOPPING not in app:
        app[STOPPING] = asyncio.Event()

        async def _set(app: web.Application) -> None:
            app[STOPPING].set()

        app.on_shutdown.append(_set)
    return app[STOPPING]


async def until_stopping(app: web.Application, stream: Awaitable[Any]) -> bool:
    """Run ``stream`` until it ends or the server begins to shut down (then it is cancelled).
    Returns True when cut short by the shutdown; the stream's own errors propagate."""
    stopping = app[STOPPING] if STOPPING in app else asyncio.Event()
    task = asyncio.ensure_future(stream)
    waiter = asyncio.ensure_future(stopping.wait())
    try:
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    if task.cancelled():
        return True
    task.result()
    return False


async def serve_app(
    app: web.Application,
    host: str,
    port: int,
    ssl_context: ssl.SSLContext | None,
    *,
    stop: asyncio.Event | None = None,
    grace: float = SHUTDOWN_GRACE,
    on_started: Callable[[], None] | None = None,
) -> None:
    """Serve ``app`` until ``stop`` is set (by default: on SIGTERM or SIGINT), then shut down."""
    if stop is None:
        stop = asyncio.Event()
        stop_on_signals(stop)
    track_stopping(app)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=grace)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port, ssl_context=ssl_context).start()
        if on_started is not None:
            on_started()
        await stop.wait()
    finally:
        await runner.cleanup()
