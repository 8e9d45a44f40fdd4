"""karmadactl init: certificates, rendering of manifests/, and installing them into a host cluster."""
