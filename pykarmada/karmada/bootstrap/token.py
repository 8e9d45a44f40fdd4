"""Bootstrap tokens (``[a-z0-9]{6}.[a-z0-9]{16}``) and their Secrets in ``kube-system``, as
kube-apiserver's bootstrap authenticator and kube-controller-manager's bootstrapsigner and
tokencleaner read them (surfaces.md 4.5)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

SECRET_TYPE = "bootstrap.kubernetes.io/token"
SECRET_PREFIX = "bootstrap-token-"
NAMESPACE = "kube-system"
TOKEN_PATTERN = "[a-z0-9]{6}.[a-z0-9]{16}"
ID_PATTERN = "[a-z0-9]{6}"
GROUP_PATTERN = r"\Asystem:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]\Z"
KNOWN_USAGES = ("signing", "authentication")
DEFAULT_USAGES = KNOWN_USAGES
DEFAULT_GROUP = "system:bootstrappers:karmada:default-cluster-token"
DEFAULT_TTL = timedelta(hours=24)
USAGE_PREFIX = "usage-bootstrap-"
_TOKEN_RE = re.compile(r"\A([a-z0-9]{6})\.([a-z0-9]{16})\Z")
_ID_RE = re.compile(r"\A[a-z0-9]{6}\Z")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


class TokenError(ValueError):
    """A token, token id or token Secret that is not of the bootstrap form; never quotes a secret."""


@dataclass(frozen=True)
class Token:
    id: str
    secret: str = field(repr=False)

    def __str__(self) -> str:
        return f"{self.id}.{self.secret}"


def parse_token(value: str) -> Token:
    match = _TOKEN_RE.match(value)
    if not match:
        raise TokenError(f"the bootstrap token is not of the form {TOKEN_PATTERN!r}")
    return Token(match.group(1), match.group(2))


def is_token_id(value: str) -> bool:
    return bool(_ID_RE.match(value))


def generate_token() -> Token:
    pick = lambda n: "".join(secrets.choice(_ALPHABET) for _ in range(n))  # noqa: E731
    return Token(pick(6), pick(16))


def secret_name(token_id: str) -> str:
    return SECRET_PREFIX + token_id


def unknown_usages(usages: list[str]) -> list[str]:
    return [u for u in usages if u not in KNOWN_USAGES]


def invalid_groups(groups: list[str]) -> list[str]:
    """Groups the authenticator refuses: a token with one of them cannot authenticate."""
    return [g for g in groups if not re.match(GROUP_PATTERN, g)]


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def token_secret(token: Token, *, ttl: timedelta, usages: list[str], groups: list[str], description: str, now: datetime) -> dict:  # type: ignore[type-arg]
    """The Secret ``kube-system/bootstrap-token-<id>`` (stringData: the API server encodes it)."""
    data = {"token-id": token.id, "token-secret": token.secret}
    if description:
        data["description"] = description
    if ttl > timedelta(0):
        data["expiration"] = rfc3339(now + ttl)
    for usage in usages:
        data[USAGE_PREFIX + usage] = "true"
    if groups:
        data["auth-extra-groups"] = ",".join(groups)
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": secret_name(token.id), "namespace": NAMESPACE},
        "type": SECRET_TYPE,
        "stringData": data,
    }


@dataclass(frozen=True)
class TokenInfo:
    """What ``token list`` shows of one token Secret."""

    token: Token
    description: str
    expires: datetime | None
    usages: list[str]
    groups: list[str]


def token_info(name: str, data: dict[str, str]) -> TokenInfo:
    """Read a token Secret's (decoded) data; TokenError says what is wrong with it."""
    token_id = data.get("token-id", "")
    if not token_id:
        raise TokenError(f"bootstrap token Secret {name} has no token-id data")
    if name != secret_name(token_id):
        raise TokenError(f"bootstrap token Secret {name} is not named {secret_name(token_id)!r}")
    if not _TOKEN_RE.match(f"{token_id}.{data.get('token-secret', '')}"):
        raise TokenError(f"bootstrap token Secret {name} holds no valid token")
    expires = None
    if data.get("expiration"):
        try:
            expires = datetime.strptime(data["expiration"].replace("Z", "+00:00"), "%Y-%m-%dT%H:%M:%S%z")
        except ValueError:
            raise TokenError(f"bootstrap token Secret {name} has an expiration that is not RFC 3339") from None
    usages = sorted(k[len(USAGE_PREFIX):] for k, v in data.items() if k.startswith(USAGE_PREFIX) and v == "true")
    groups = [g for g in data.get("auth-extra-groups", "").split(",") if g]
    return TokenInfo(Token(token_id, data["token-secret"]), data.get("description", ""), expires, usages, groups)


def short_duration(delta: timedelta) -> str:
    """apimachinery's ShortHumanDuration, the TTL column of ``token list``."""
    seconds = int(delta.total_seconds())
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    hours = seconds // 3600
    if hours < 24:
        return f"{hours}h"
    if hours < 24 * 365:
        return f"{hours // 24}d"
    return f"{hours // (24 * 365)}y"


LIST_COLUMNS = ("TOKEN", "TTL", "EXPIRES", "USAGES", "DESCRIPTION", "EXTRA GROUPS")


def list_row(info: TokenInfo, now: datetime) -> list[str]:
    ttl, expires = "<forever>", "<never>"
    if info.expires is not None:
        ttl, expires = short_duration(info.expires - now), rfc3339(info.expires)
    return [str(info.token), ttl, expires, ",".join(info.usages) or "<none>", info.description or "<none>", ",".join(info.groups) or "<none>"]
