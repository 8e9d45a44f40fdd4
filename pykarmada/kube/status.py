"""Kubernetes ``Status`` objects for errors, as servers answer them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    410: "Expired",
    413: "RequestEntityTooLarge",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


@dataclass(frozen=True)
class FieldError:
    """One cause of an Invalid answer: ``<field>: <type>: <detail>`` in Kubernetes' wording."""

    field: str
    type: str  # "Required value", "Invalid value", "Unsupported value", "Duplicate value", "Forbidden", "Too long"
    detail: str = ""
    value: Any = None

    @property
    def reason(self) -> str:
        return {
            "Required value": "FieldValueRequired",
            "Invalid value": "FieldValueInvalid",
            "Unsupported value": "FieldValueNotSupported",
            "Duplicate value": "FieldValueDuplicate",
            "Forbidden": "FieldValueForbidden",
            "Too long": "FieldValueTooLong",
        }.get(self.type, "FieldValueInvalid")

    def __str__(self) -> str:
        if self.type in ("Invalid value", "Unsupported value", "Duplicate value") and self.value is not None:
            text = f"{self.field}: {self.type}: {_quote(self.value)}"
            return f"{text}: {self.detail}" if self.detail else text
        return f"{self.field}: {self.type}" + (f": {self.detail}" if self.detail else "")


def _quote(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value)


def aggregate_message(errors: list[FieldError]) -> str:
    """One error as is; several inside ``[...]`` joined by ``, `` (Kubernetes' aggregate format)."""
    texts = [str(e) for e in errors]
    return texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"


@dataclass
class StatusError(Exception):
    """An API error that the server answers as a ``Status`` object."""

    code: int
    message: str
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.reason = self.reason or REASONS.get(self.code, "Unknown")
        super().__init__(self.message)

    def to_status(self) -> dict[str, Any]:
        status: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            status["details"] = self.details
        return status


def not_found(group: str, resource: str, name: str) -> StatusError:
    qualified = f"{resource}.{group}" if group else resource
    return StatusError(404, f'{qualified} "{name}" not found', details={"name": name, "group": group, "kind": resource})


def already_exists(group: str, resource: str, name: str) -> StatusError:
    qualified = f"{resource}.{group}" if group else resource
    return StatusError(409, f'{qualified} "{name}" already exists', "AlreadyExists", {"name": name, "group": group, "kind": resource})


def conflict(group: str, resource: str, name: str, why: str) -> StatusError:
    qualified = f"{resource}.{group}" if group else resource
    return StatusError(
        409, f'Operation cannot be fulfilled on {qualified} "{name}": {why}', "Conflict", {"name": name, "group": group, "kind": resource}
    )


def invalid(group: str, kind: str, name: str, errors: list[FieldError]) -> StatusError:
    qualified = f"{kind}.{group}" if group else kind
    causes = [{"reason": e.reason, "message": str(e).split(": ", 1)[1], "field": e.field} for e in errors]
    return StatusError(
        422,
        f'{qualified} "{name}" is invalid: {aggregate_message(errors)}',
        "Invalid",
        {"name": name, "group": group, "kind": kind, "causes": causes},
    )
