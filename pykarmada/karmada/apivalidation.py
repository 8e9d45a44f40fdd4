"""Kubernetes metadata rules the webhooks apply to user content: label and annotation maps (as
apimachinery's ``ValidateLabels`` and ``ValidateAnnotations``) and JSON pointers (RFC 6901)."""

from __future__ import annotations

import json
from collections.abc import Mapping

from pykarmada.karmada.fielderrors import FieldError, FieldPath, invalid, too_long
from pykarmada.kube.validation import label_value, qualified_name

TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024


def validate_labels(labels: Mapping[str, object], path: FieldPath) -> list[FieldError]:
    """Keys are qualified names; values are label values (at most 63 characters)."""
    errs: list[FieldError] = []
    for key, value in labels.items():
        errs += [invalid(path, key, msg) for msg in qualified_name(key)]
        if not isinstance(value, str):
            errs.append(invalid(path, value, "label values must be strings"))
        else:
            errs += [invalid(path, value, msg) for msg in label_value(value)]
    return errs


def validate_annotations(annotations: Mapping[str, object], path: FieldPath) -> list[FieldError]:
    """Keys are qualified names (checked lower-cased); all keys and values together fit in 256 KiB."""
    errs: list[FieldError] = []
    size = 0
    for key, value in annotations.items():
        errs += [invalid(path, key, msg) for msg in qualified_name(key.lower())]
        if not isinstance(value, str):
            errs.append(invalid(path, value, "annotation values must be strings"))
            value = json.dumps(value)
        size += len(key.encode()) + len(value.encode())
    if size > TOTAL_ANNOTATION_SIZE_LIMIT:
        errs.append(too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT))
    return errs


def is_json_pointer(value: str) -> str | None:
    """None when ``value`` is a JSON pointer (empty, or ``/``-separated tokens where ``~`` only
    starts ``~0`` or ``~1``); otherwise why it is not."""
    if value == "":
        return None
    if not value.startswith("/"):
        return 'must be a JSON pointer: empty or starting with "/"'
    i = value.find("~")
    while i != -1:
        if value[i + 1 : i + 2] not in ("0", "1"):
            return 'must be a JSON pointer: "~" may only be followed by "0" or "1"'
        i = value.find("~", i + 2)
    return None
