"""karmada-agent: runs in a Pull-mode member, registers it with the control plane, renews its lease, reports its status and applies its Works."""
