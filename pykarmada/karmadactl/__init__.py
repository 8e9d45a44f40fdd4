"""The ``karmadactl`` / ``kubectl karmada`` command line."""
