"""FNV-1a as used by the documented naming example (work name suffix)."""

from __future__ import annotations

from pykarmada.karmada.hashing import fnv32a

_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def test_work_name_example_from_the_docs() -> None:
    # Deployment default/nginx -> nginx-687f7fb96f (api.md 11).
    h = fnv32a("default-nginx-deployment")
    assert "".join(_ALPHABET[ord(ch) % 27] for ch in str(h)) == "687f7fb96f"
