"""Container image references for the image overrider (api.md 5.3).

Parsing follows the docker reference grammar with **no normalization**: ``nginx`` stays
``nginx`` (not ``docker.io/library/nginx``). The registry is the first ``/`` segment only if it
contains ``.`` or ``:`` or is ``localhost``. A reference with both a tag and a digest keeps only
the tag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ImageRefError", "ImageRef", "parse_image"]


class ImageRefError(ValueError):
    """An image string the docker reference grammar rejects."""


_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN_NAME = rf"{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*"
_HOST = rf"(?:{_DOMAIN_NAME}|\[(?:[a-fA-F0-9:]+)\])"
_DOMAIN_AND_PORT = rf"{_HOST}(?::[0-9]+)?"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_REMOTE_NAME = rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_NAME = rf"(?:{_DOMAIN_AND_PORT}/)?{_REMOTE_NAME}"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}"

_REFERENCE = re.compile(rf"^({_NAME})(?::({_TAG}))?(?:@({_DIGEST}))?$", re.ASCII)
_ANCHORED_NAME = re.compile(rf"^(?:({_DOMAIN_AND_PORT})/)?({_REMOTE_NAME})$", re.ASCII)
ANCHORED_TAG = re.compile(rf"^{_TAG}$", re.ASCII)
ANCHORED_DIGEST = re.compile(rf"^{_DIGEST}$", re.ASCII)

_NAME_MAX = 255
_DIGEST_HEX_LENGTH = {"sha256": 64, "sha384": 96, "sha512": 128}
_HEX = re.compile(r"^[a-f0-9]+$")


def _validate_digest(digest: str) -> None:
    """``go-digest`` validation: a known algorithm and an encoded part of the right shape."""
    algorithm, _, encoded = digest.partition(":")
    if not algorithm or not encoded:
        raise ImageRefError("invalid checksum digest format")
    length = _DIGEST_HEX_LENGTH.get(algorithm)
    if length is None:
        raise ImageRefError("unsupported digest algorithm")
    if len(encoded) != length:
        raise ImageRefError("invalid checksum digest length")
    if not _HEX.match(encoded):
        raise ImageRefError("invalid checksum digest format")


def _split_hostname(name: str) -> tuple[str, str]:
    head, sep, rest = name.partition("/")
    if not sep or (not any(ch in head for ch in ".:") and head != "localhost"):
        return "", name
    return head, rest


@dataclass(slots=True)
class ImageRef:
    """``[registry/]repository[:tag | @digest]``, each part editable by the image overrider."""

    registry: str = ""
    repository: str = ""
    tag: str = ""
    digest: str = ""

    @property
    def tag_or_digest(self) -> str:
        return self.tag or self.digest

    def set_tag_or_digest(self, value: str) -> None:
        """Set a tag if ``value`` looks like one, else a digest if it looks like one, else nothing."""
        if ANCHORED_TAG.match(value):
            self.tag, self.digest = value, ""
        elif ANCHORED_DIGEST.match(value):
            self.digest, self.tag = value, ""

    def remove_tag_or_digest(self) -> None:
        if self.tag:
            self.tag = ""
        else:
            self.digest = ""

    def __str__(self) -> str:
        name = f"{self.registry}/{self.repository}" if self.registry else self.repository
        if self.tag:
            return f"{name}:{self.tag}"
        if self.digest:
            return f"{name}@{self.digest}"
        return name


def parse_image(image: str) -> ImageRef:
    match = _REFERENCE.match(image)
    if match is None:
        if image == "":
            raise ImageRefError("repository name must have at least one component")
        if _REFERENCE.match(image.lower()):
            raise ImageRefError("repository name must be lowercase")
        raise ImageRefError("invalid reference format")
    name, tag, digest = match.group(1), match.group(2) or "", match.group(3) or ""
    name_match = _ANCHORED_NAME.match(name)
    path = name_match.group(2) if name_match else name
    if len(path) > _NAME_MAX:
        raise ImageRefError(f"repository name must not be more than {_NAME_MAX} characters")
    if digest:
        _validate_digest(digest)
    registry, repository = _split_hostname(name)
    # A tagged reference keeps its tag only, even when a digest follows.
    return ImageRef(registry=registry, repository=repository, tag=tag, digest="" if tag else digest)
