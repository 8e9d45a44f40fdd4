"""karmada-scheduler-estimator: one server per member cluster answering how many replicas of a requirement fit there."""
