"""karmada-webhook: admission webhooks for the policy and work APIs (``python -m pykarmada.webhooks``)."""
