"""Upstream's flags for calling the scheduler-estimators, shared by the scheduler (controller
process) and the descheduler."""

from __future__ import annotations

import argparse

from pykarmada.karmada.estimation.client import (
    DEFAULT_PORT,
    DEFAULT_SERVICE_NAMESPACE,
    DEFAULT_SERVICE_PREFIX,
    DEFAULT_TIMEOUT,
    EstimatorClientOptions,
)
from pykarmada.kube.flags import go_duration, require_files


def add_estimator_client_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scheduler-estimator-timeout", type=go_duration, default=DEFAULT_TIMEOUT, help="Timeout of one estimator call (default 3s).")
    p.add_argument("--scheduler-estimator-port", type=int, default=DEFAULT_PORT, help=f"Port of the estimator Services (default {DEFAULT_PORT}).")
    p.add_argument("--scheduler-estimator-service-prefix", default=DEFAULT_SERVICE_PREFIX, help="Estimator Service name: <prefix>-<cluster>.")
    p.add_argument("--scheduler-estimator-service-namespace", default=DEFAULT_SERVICE_NAMESPACE)
    p.add_argument("--scheduler-estimator-cert-file", default="", help="Client certificate presented to the estimators.")
    p.add_argument("--scheduler-estimator-key-file", default="")
    p.add_argument("--scheduler-estimator-ca-file", default="", help="CA that signs the estimators' serving certificates.")
    p.add_argument("--insecure-skip-estimator-verify", action="store_true")


def estimator_client_options(p: argparse.ArgumentParser, a: argparse.Namespace) -> EstimatorClientOptions:
    """The options the flags give; a certificate file that does not exist is a usage error."""
    require_files(p, a, "scheduler_estimator_cert_file", "scheduler_estimator_key_file", "scheduler_estimator_ca_file")
    return EstimatorClientOptions(
        timeout=a.scheduler_estimator_timeout,
        port=a.scheduler_estimator_port,
        service_prefix=a.scheduler_estimator_service_prefix,
        service_namespace=a.scheduler_estimator_service_namespace,
        cert_file=a.scheduler_estimator_cert_file,
        key_file=a.scheduler_estimator_key_file,
        ca_file=a.scheduler_estimator_ca_file,
        insecure_skip_verify=a.insecure_skip_estimator_verify,
    )
