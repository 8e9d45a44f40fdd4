"""``python -m pykarmada.webhooks``: flags -> ServerSettings -> serve."""

from __future__ import annotations

import argparse
import logging
import sys

from pykarmada.kube import loop as event_loop
from pykarmada.kube.flags import go_bool, require_files
from pykarmada.kube.metrics_server import CannotServe, bind_address_flag
from pykarmada.webhooks.app import TLS_VERSIONS, ServerSettings, serve


def parse_args(argv: list[str] | None = None) -> ServerSettings:
    parser = argparse.ArgumentParser(
        prog="python -m pykarmada.webhooks", description="Admission webhooks for Karmada's policy and work APIs."
    )
    parser.add_argument("--bind-address", default="0.0.0.0", help="Address to listen on (default 0.0.0.0).")
    parser.add_argument("--secure-port", type=int, default=8443, help="HTTPS port (default 8443).")
    parser.add_argument("--tls-cert-file", required=True, help="PEM serving certificate (with any intermediates).")
    parser.add_argument("--tls-private-key-file", required=True, help="PEM private key of the serving certificate.")
    parser.add_argument(
        "--client-ca-file", default=None, help="When given, callers must present a client certificate signed by this CA."
    )
    parser.add_argument(
        "--tls-min-version", default="VersionTLS13", choices=sorted(TLS_VERSIONS), help="Minimum TLS version (default VersionTLS13)."
    )
    parser.add_argument(
        "--metrics-bind-address", type=bind_address_flag, default=":8080", help="host:port for /metrics (plain HTTP); 0 disables (default :8080)."
    )
    parser.add_argument(
        "--health-probe-bind-address", type=bind_address_flag, default=":8000", help="host:port for /healthz and /readyz; 0 disables (default :8000)."
    )
    parser.add_argument(
        "--allow-no-execute-taint-policy", type=go_bool, nargs="?", const=True, default=False,
        help="Allow ClusterTaintPolicies with NoExecute taints (they evict workloads; default false).",
    )
    parser.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    args = parser.parse_args(argv)
    if not 0 < args.secure_port < 65536:
        parser.error(f"--secure-port must be between 1 and 65535, not {args.secure_port}")
    for flag in ("tls_cert_file", "tls_private_key_file", "client_ca_file"):
        if getattr(args, flag) == "":
            parser.error(f"--{flag.replace('_', '-')}: must name a file")
    require_files(parser, args, "tls_cert_file", "tls_private_key_file", "client_ca_file")
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    return ServerSettings(
        tls_cert_file=args.tls_cert_file,
        tls_private_key_file=args.tls_private_key_file,
        bind_address=args.bind_address,
        secure_port=args.secure_port,
        client_ca_file=args.client_ca_file,
        tls_min_version=args.tls_min_version,
        metrics_bind_address=args.metrics_bind_address,
        health_probe_bind_address=args.health_probe_bind_address,
        allow_no_execute_taint_policy=args.allow_no_execute_taint_policy,
    )


def main(argv: list[str] | None = None) -> None:
    settings = parse_args(argv)
    try:
        event_loop.run(serve(settings))
    except (OSError, CannotServe) as e:  # port in use, unreadable key ...
        logging.getLogger("pykarmada.webhooks").error("cannot serve: %s", e)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
