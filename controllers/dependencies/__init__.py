"""Dependencies of propagated workloads (ConfigMaps, Secrets, ...) bound with them."""
