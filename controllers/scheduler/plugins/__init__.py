"""In-tree scheduler plugins and the ``--plugins`` selection (``*``, ``name``, ``-name``).

Filters run in a fixed order (upstream iterates a Go map, i.e. randomly); the first failing filter
gives the cluster's reason. ClusterAffinity is both a filter and a (zero) score plugin.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pykarmada.controllers.scheduler.framework import FilterPlugin, ScorePlugin
from pykarmada.controllers.scheduler.plugins.api_enablement import APIEnablement
from pykarmada.controllers.scheduler.plugins.cluster_affinity import ClusterAffinity
from pykarmada.controllers.scheduler.plugins.cluster_eviction import ClusterEviction
from pykarmada.controllers.scheduler.plugins.cluster_locality import ClusterLocality
from pykarmada.controllers.scheduler.plugins.spread_constraint import SpreadConstraint
from pykarmada.controllers.scheduler.plugins.taint_toleration import TaintToleration

__all__ = [
    "APIEnablement",
    "ClusterAffinity",
    "ClusterEviction",
    "ClusterLocality",
    "SpreadConstraint",
    "TaintToleration",
    "IN_TREE_PLUGINS",
    "Plugins",
    "build_plugins",
    "DEFAULT_PLUGINS",
]

# Registration order = run order.
IN_TREE_PLUGINS: tuple[type, ...] = (
    APIEnablement,
    TaintToleration,
    ClusterAffinity,
    SpreadConstraint,
    ClusterEviction,
    ClusterLocality,
)


@dataclass(frozen=True, slots=True)
class Plugins:
    filters: tuple[FilterPlugin, ...]
    scores: tuple[ScorePlugin, ...]


def build_plugins(enabled: Sequence[str] = ("*",)) -> Plugins:
    """Instantiate the plugins selected like ``--plugins=*,-ClusterLocality``."""
    names = [cls.name for cls in IN_TREE_PLUGINS]
    disabled = {e[1:] for e in enabled if e.startswith("-")}
    chosen = {e for e in enabled if not e.startswith("-")}
    unknown = (chosen | disabled) - set(names) - {"*"}
    if unknown:
        raise ValueError(f"unknown scheduler plugin(s): {', '.join(sorted(unknown))}")
    active = [cls() for cls in IN_TREE_PLUGINS if cls.name not in disabled and ("*" in chosen or cls.name in chosen)]
    filters = tuple(p for p in active if hasattr(p, "filter"))
    # Score plugins in a fixed order too: ClusterLocality first, then the rest as registered.
    scores = tuple(sorted((p for p in active if hasattr(p, "score")), key=lambda p: p.name != ClusterLocality.name))
    return Plugins(filters=filters, scores=scores)


# Plugins hold no state, so the default set is an immutable constant shared by all schedulers.
DEFAULT_PLUGINS = build_plugins()
