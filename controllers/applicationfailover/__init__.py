"""Application failover: bindings leave clusters where their application stays unhealthy."""
