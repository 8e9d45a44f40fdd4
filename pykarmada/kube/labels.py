"""Label selectors in their string form (``a=b,c!=d,e in (x,y),!f,g``), parsed and matched as
apimachinery does, and field selectors restricted to the fields a server supports."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from pykarmada.kube.validation import label_value, qualified_name


class SelectorError(ValueError):
    pass


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!"
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        if self.op == "exists":
            return present
        if self.op == "!":
            return not present
        if self.op in ("=", "in"):
            return present and labels[self.key] in self.values
        return not present or labels[self.key] not in self.values  # "!=", "notin"


_SET = re.compile(r"^\s*(!?)\s*([^\s!=()]+)\s*(?:(in|notin)\s*\(([^)]*)\))?\s*$")
_EQ = re.compile(r"^\s*([^\s!=()]+)\s*(==|=|!=)\s*([^\s!=(),]*)\s*$")


def _split(selector: str) -> list[str]:
    """Split on commas outside parentheses."""
    parts, depth, current = [], 0, ""
    for ch in selector:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [p for p in parts if p.strip()]


def parse_label_selector(selector: str) -> list[Requirement]:
    reqs = []
    for part in _split(selector or ""):
        if m := _EQ.match(part):
            key, op, value = m.group(1), m.group(2), m.group(3)
            reqs.append(Requirement(key, "!=" if op == "!=" else "=", (value,)))
        elif m := _SET.match(part):
            neg, key, op, values = m.groups()
            if neg and op:
                raise SelectorError(f"invalid label selector {part.strip()!r}")
            if op:
                vals = tuple(v.strip() for v in values.split(",") if v.strip())
                reqs.append(Requirement(key, op, vals))
            else:
                reqs.append(Requirement(key, "!" if neg else "exists"))
        else:
            raise SelectorError(f"unable to parse requirement {part.strip()!r}")
    for r in reqs:
        problems = qualified_name(r.key) + [p for v in r.values for p in label_value(v)]
        if problems:
            raise SelectorError(f"invalid label selector {selector!r}: {problems[0]}")
    return reqs


def matches(reqs: list[Requirement], labels: Mapping[str, str] | None) -> bool:
    labels = labels or {}
    return all(r.matches(labels) for r in reqs)


def parse_field_selector(selector: str, supported: Mapping[str, str]) -> list[Requirement]:
    """Field selectors (``f=v``, ``f==v``, ``f!=v``); ``supported`` maps a field to how it reads.
    An unsupported field is an error, as Kubernetes answers it."""
    reqs = []
    for part in _split(selector or ""):
        m = _EQ.match(part)
        if not m:
            raise SelectorError(f"invalid field selector: {part.strip()!r}")
        key, op, value = m.groups()
        if key not in supported:
            raise SelectorError(f'field label not supported: {key}')
        reqs.append(Requirement(key, "!=" if op == "!=" else "=", (value,)))
    return reqs
