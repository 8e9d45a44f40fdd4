"""Kubernetes field errors: what is wrong, where, and why, in the wording kubectl users know.

A :class:`FieldError` renders as ``<path>: <type>: <value>: <detail>``, e.g.
``spec.placement.spreadConstraints[0].minGroups: Invalid value: -1: must be greater than or
equal to 0``. :func:`aggregate` joins several like apimachinery's aggregate error does: one error
alone, several inside ``[...]`` separated by ``, ``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

MAX_VALUE_CHARS = 256


class FieldPath:
    """An immutable path into an object: ``spec.placement.clusterAffinities[0].affinityName``."""

    __slots__ = ("_text",)

    def __init__(self, *names: str) -> None:
        self._text = ".".join(names)

    @classmethod
    def _of(cls, text: str) -> FieldPath:
        path = cls()
        path._text = text
        return path

    def child(self, *names: str) -> FieldPath:
        text = self._text
        for name in names:
            text = f"{text}.{name}" if text else name
        return FieldPath._of(text)

    def index(self, i: int) -> FieldPath:
        return FieldPath._of(f"{self._text}[{i}]")

    def key(self, k: str) -> FieldPath:
        return FieldPath._of(f"{self._text}[{k}]")

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"FieldPath({self._text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FieldPath) and other._text == self._text

    def __hash__(self) -> int:
        return hash(self._text)


class ErrorType(str, Enum):
    INVALID = "Invalid value"
    REQUIRED = "Required value"
    NOT_SUPPORTED = "Unsupported value"
    FORBIDDEN = "Forbidden"
    DUPLICATE = "Duplicate value"
    TOO_LONG = "Too long"


_NO_VALUE = object()


@dataclass(frozen=True)
class FieldError:
    type: ErrorType
    field: str
    detail: str = ""
    value: Any = _NO_VALUE

    def __str__(self) -> str:
        body = self.type.value
        if self.value is not _NO_VALUE:
            body += f": {render_value(self.value)}"
        if self.detail:
            body += f": {self.detail}"
        return f"{self.field}: {body}"


def render_value(value: Any) -> str:
    """A bad value as apimachinery prints it: quoted strings, bare numbers, ``null``; objects as
    compact JSON, shortened when long."""
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif value is None or isinstance(value, (bool, int, float)):
        text = json.dumps(value)
    else:
        try:
            text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = repr(value)
    if len(text) > MAX_VALUE_CHARS:
        text = text[: MAX_VALUE_CHARS - 3] + "..."
    return text


def invalid(path: FieldPath, value: Any, detail: str) -> FieldError:
    return FieldError(ErrorType.INVALID, str(path), detail, value)


def required(path: FieldPath, detail: str = "") -> FieldError:
    return FieldError(ErrorType.REQUIRED, str(path), detail)


def forbidden(path: FieldPath, detail: str) -> FieldError:
    return FieldError(ErrorType.FORBIDDEN, str(path), detail)


def duplicate(path: FieldPath, value: Any) -> FieldError:
    return FieldError(ErrorType.DUPLICATE, str(path), "", value)


def not_supported(path: FieldPath, value: Any, supported: Sequence[str]) -> FieldError:
    detail = "supported values: " + ", ".join(json.dumps(s) for s in supported)
    return FieldError(ErrorType.NOT_SUPPORTED, str(path), detail, value)


def too_long(path: FieldPath, limit: int, unit: str = "bytes") -> FieldError:
    return FieldError(ErrorType.TOO_LONG, str(path), f"may not be more than {limit} {unit}")


def aggregate(errors: Iterable[FieldError | str]) -> str:
    """One message for several errors; duplicates are dropped, order is kept."""
    messages = list(dict.fromkeys(str(e) for e in errors))
    if len(messages) == 1:
        return messages[0]
    return "[" + ", ".join(messages) + "]"
