"""Works applied to member clusters, with drift corrected."""
