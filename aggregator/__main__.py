"""``python -m pykarmada.aggregator``: the flags of karmada-aggregated-apiserver that apply here."""

from __future__ import annotations

import argparse
import logging

from pykarmada.aggregator.app import Settings, serve
from pykarmada.kube import loop as event_loop


def parse_args(argv: list[str] | None = None) -> Settings:
    p = argparse.ArgumentParser(prog="karmada-aggregated-apiserver", description=__doc__)
    p.add_argument("--kubeconfig", required=True, help="kubeconfig of the control plane (delegated auth, Secrets)")
    p.add_argument("--etcd-servers", required=True)
    p.add_argument("--etcd-cafile", required=True)
    p.add_argument("--etcd-certfile", required=True)
    p.add_argument("--etcd-keyfile", required=True)
    p.add_argument("--etcd-prefix", default="/registry")
    p.add_argument("--tls-cert-file", required=True)
    p.add_argument("--tls-private-key-file", required=True)
    p.add_argument("--tls-min-version", default="VersionTLS13", choices=["VersionTLS12", "VersionTLS13"])
    p.add_argument("--bind-address", default="0.0.0.0")
    p.add_argument("--secure-port", type=int, default=443)
    p.add_argument("-v", "--v", type=int, default=0, help="log verbosity")
    a = p.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if a.v >= 4 else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return Settings(
        kubeconfig=a.kubeconfig,
        etcd_servers=a.etcd_servers,
        etcd_cafile=a.etcd_cafile,
        etcd_certfile=a.etcd_certfile,
        etcd_keyfile=a.etcd_keyfile,
        etcd_prefix=a.etcd_prefix,
        tls_cert_file=a.tls_cert_file,
        tls_private_key_file=a.tls_private_key_file,
        tls_min_version=a.tls_min_version,
        bind_address=a.bind_address,
        secure_port=a.secure_port,
    )


def main(argv: list[str] | None = None) -> None:
    event_loop.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
