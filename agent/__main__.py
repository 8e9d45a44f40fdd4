"""``python -m pykarmada.agent`` / ``karmada-agent``: the agent of a Pull-mode member cluster."""

from __future__ import annotations

import logging

from pykarmada.agent import manager
from pykarmada.agent.options import parse_args
from pykarmada.agent.registration import RegistrationError
from pykarmada.controllers.manager import until_signalled
from pykarmada.kube import loop as event_loop
from pykarmada.kube.errors import ConfigError
from pykarmada.kube.metrics_server import CannotServe

log = logging.getLogger("pykarmada.agent")


def main(argv: list[str] | None = None) -> None:
    options = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if options.verbosity >= 4 else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        event_loop.run(until_signalled(manager.run(options), "pykarmada.agent"))
    except CannotServe as e:
        log.error("cannot serve: %s", e)
        raise SystemExit(1) from None
    except (ConfigError, RegistrationError) as e:
        log.error("%s", e)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
