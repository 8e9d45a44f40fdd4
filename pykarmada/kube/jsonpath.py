"""kubectl's ``-o jsonpath=TEMPLATE``, the parts scripts use: text outside braces as is; inside,
``.field``, ``['field']``, ``[n]``, ``[*]``, ``range ...``/``end`` loops and quoted literals
(``{"\\n"}``); no recursive descent or filters. Several results of one expression are joined by
spaces, as kubectl joins them; a missing field is an error naming it, as kubectl's is."""

from __future__ import annotations

import json
import re
from typing import Any


class JSONPathError(ValueError):
    pass


_TOKEN = re.compile(r"\{((?:[^{}\"]|\"(?:[^\"\\]|\\.)*\")*)\}")
_STEP = re.compile(r"\.([A-Za-z0-9_\-]+)|\['([^']*)'\]|\[(\*|-?\d+)\]")


def _parse(template: str) -> list[tuple[str, str]]:
    """('text', s) and ('expr', e) parts."""
    parts: list[tuple[str, str]] = []
    pos = 0
    for m in _TOKEN.finditer(template):
        if m.start() > pos:
            parts.append(("text", template[pos:m.start()]))
        parts.append(("expr", m.group(1).strip()))
        pos = m.end()
    if "{" in template[pos:] or "}" in template[pos:]:
        raise JSONPathError(f"unclosed action in template {template!r}")
    if pos < len(template):
        parts.append(("text", template[pos:]))
    return parts


def _select(values: list[Any], path: str) -> list[Any]:
    if path in ("", "@", "."):
        return values
    path = path[1:] if path.startswith("@") else path
    pos = 0
    for m in _STEP.finditer(path):
        if m.start() != pos:
            raise JSONPathError(f"unrecognized character in action: {path[pos:]!r}")
        pos = m.end()
        field, quoted, index = m.group(1), m.group(2), m.group(3)
        key = field if field is not None else quoted
        out: list[Any] = []
        for v in values:
            if key is not None:
                if not isinstance(v, dict) or key not in v:
                    raise JSONPathError(f"{key} is not found")
                out.append(v[key])
            elif index == "*":
                out.extend(v if isinstance(v, list) else list(v.values()) if isinstance(v, dict) else [])
            else:
                if not isinstance(v, list) or not -len(v) <= int(index) < len(v):
                    raise JSONPathError(f"array index out of bounds: index {index}, length {len(v) if isinstance(v, list) else 0}")
                out.append(v[int(index)])
        values = out
    if pos != len(path):
        raise JSONPathError(f"unrecognized character in action: {path[pos:]!r}")
    return values


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return "" if value is None else str(value)


def render(template: str, data: Any) -> str:
    parts = _parse(template)
    out, _ = _run(parts, 0, data, len(parts))
    return out


def _run(parts: list[tuple[str, str]], i: int, current: Any, stop: int) -> tuple[str, int]:
    out: list[str] = []
    while i < stop:
        kind, value = parts[i]
        if kind == "text":
            out.append(value)
        elif value.startswith("range "):
            end = _matching_end(parts, i)
            for item in _select([current], value[len("range "):].strip()):
                text, _ = _run(parts, i + 1, item, end)
                out.append(text)
            i = end
        elif value == "end":
            raise JSONPathError("not in range, nothing to end")
        elif value.startswith('"'):
            out.append(json.loads(value))
        else:
            out.append(" ".join(_text(v) for v in _select([current], value)))
        i += 1
    return "".join(out), i


def _matching_end(parts: list[tuple[str, str]], start: int) -> int:
    depth = 0
    for j in range(start, len(parts)):
        kind, value = parts[j]
        if kind == "expr" and value.startswith("range "):
            depth += 1
        elif kind == "expr" and value == "end":
            depth -= 1
            if depth == 0:
                return j
    raise JSONPathError("range without end")
