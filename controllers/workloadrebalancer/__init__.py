"""WorkloadRebalancer: schedule named workloads afresh, on a user's request."""
