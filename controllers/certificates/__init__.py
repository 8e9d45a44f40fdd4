"""Certificate controllers of the control plane: agent CSR approval."""
