"""The resource detector: templates matched to policies, claimed and bound."""
