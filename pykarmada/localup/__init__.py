"""``local-up``: a complete Karmada-style environment of real processes on this machine."""
