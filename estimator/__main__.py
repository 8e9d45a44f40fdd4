"""``python -m pykarmada.estimator`` (``karmada-scheduler-estimator``): one server per member."""

from __future__ import annotations

import argparse
import logging
import sys

from pykarmada.estimator.server import Settings, serve
from pykarmada.karmada.features import DEFAULTS, FeatureGateError, FeatureGates
from pykarmada.kube import loop as event_loop
from pykarmada.kube.flags import require_files
from pykarmada.kube.metrics_server import CannotServe, bind_address_flag


def parse_args(argv: list[str] | None = None) -> Settings:
    p = argparse.ArgumentParser(prog="karmada-scheduler-estimator", description="Estimates the replicas one member cluster can still take.")
    p.add_argument("--kubeconfig", required=True, help="Path to member cluster's kubeconfig file.")
    p.add_argument("--cluster-name", required=True, help="Name of member cluster that the estimator serves for.")
    p.add_argument("--bind-address", default="0.0.0.0", help="Address to listen on (default 0.0.0.0).")
    p.add_argument("--server-port", type=int, default=10352, help="The secure port on which to serve (default 10352).")
    p.add_argument("--grpc-auth-cert-file", required=True, help="PEM serving certificate.")
    p.add_argument("--grpc-auth-key-file", required=True, help="PEM private key of the serving certificate.")
    p.add_argument("--grpc-client-ca-file", default="", help="CA that signs the client certificates callers must present.")
    p.add_argument("--insecure-skip-grpc-client-verify", action="store_true", help="Do not require a client certificate.")
    p.add_argument("--metrics-bind-address", type=bind_address_flag, default=":8080", help="host:port for /metrics; 0 disables (default :8080).")
    p.add_argument("--health-probe-bind-address", type=bind_address_flag, default=":10351", help="host:port for /healthz and /readyz; 0 disables (default :10351).")
    p.add_argument("--feature-gates", default="", help=f"A=true,B=false; gates: {', '.join(f'{k} (default {v})' for k, v in DEFAULTS.items())}")
    p.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    a = p.parse_args(argv)
    if not 0 < a.server_port < 65536:
        p.error(f"--server-port must be between 1 and 65535, not {a.server_port}")
    require_files(p, a, "kubeconfig", "grpc_auth_cert_file", "grpc_auth_key_file", "grpc_client_ca_file")
    try:
        gates = FeatureGates.parse(a.feature_gates)
    except FeatureGateError as e:
        p.error(f"--feature-gates: {e}")
    logging.basicConfig(level=a.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    return Settings(
        kubeconfig=a.kubeconfig,
        cluster_name=a.cluster_name,
        cert_file=a.grpc_auth_cert_file,
        key_file=a.grpc_auth_key_file,
        client_ca_file=a.grpc_client_ca_file,
        insecure_skip_client_verify=a.insecure_skip_grpc_client_verify,
        bind_address=a.bind_address,
        server_port=a.server_port,
        metrics_bind_address=a.metrics_bind_address,
        health_probe_bind_address=a.health_probe_bind_address,
        feature_gates=gates,
    )


def main(argv: list[str] | None = None) -> None:
    settings = parse_args(argv)
    try:
        event_loop.run(serve(settings))
    except (OSError, CannotServe) as e:
        logging.getLogger("pykarmada.estimator").error("cannot serve: %s", e)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
