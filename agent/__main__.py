"""``python -m pykarmada.agent`` / ``karmada-agent``: the agent of a Pull-mode member cluster."""

from __future__ import annotations

import asyncio
import logging
import signal

from pykarmada.agent import manager
from pykarmada.agent.options import AgentOptions, parse_args
from pykarmada.agent.registration import RegistrationError
from pykarmada.kube.errors import ConfigError
from pykarmada.kube.metrics_server import CannotServe

log = logging.getLogger("pykarmada.agent")


async def _serve(options: AgentOptions) -> None:
    """Run until SIGTERM or SIGINT, then shut down in order (the leader lease given back)."""
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)  # type: ignore[union-attr]
    try:
        await manager.run(options)
    except asyncio.CancelledError:
        log.info("shut down")


def main(argv: list[str] | None = None) -> None:
    options = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if options.verbosity >= 4 else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        asyncio.run(_serve(options))
    except CannotServe as e:
        log.error("cannot serve: %s", e)
        raise SystemExit(1) from None
    except (ConfigError, RegistrationError) as e:
        log.error("%s", e)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
