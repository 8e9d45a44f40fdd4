"""Status flowing back: member health into Clusters, member objects into Works, Works into bindings and templates."""
