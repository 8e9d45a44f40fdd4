"""karmada-descheduler: moves replicas a member cannot schedule back to the scheduler."""
