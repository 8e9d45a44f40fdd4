"""What the scheduler, the descheduler and the scheduler-estimator share: the estimator protocol
(``protocol``), the per-node fit maths (``fit``), the ResourceQuota cap (``quota``) and the
client that calls every member's estimator (``client``)."""
