"""Every pinned version of an outside binary, in one place.

Kubernetes 1.34 is one of the releases Karmada v1.18 supports. etcd is the version the pinned
Kubernetes release itself requires (its go.mod), built from the same module graph. kwok 0.7.0 is
built with its own go.mod; its ``go`` directive (1.24) is accepted by the local toolchain.
"""

KUBERNETES = "v1.34.4"
ETCD = "v3.6.4"
KWOK = "v0.7.0"
# The oldest Go toolchain that builds all of the above (their highest ``go`` directive).
GO_MINIMUM = (1, 24)

KUBERNETES_COMMANDS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl")
