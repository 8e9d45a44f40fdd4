"""Docker image references, parsed without normalization (api.md 5.3)."""

from __future__ import annotations

import pytest

from pykarmada.karmada.imageref import ImageRefError, parse_image

DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("image", "registry", "repository", "tag", "digest"),
    [
        ("nginx", "", "nginx", "", ""),
        ("nginx:1.19", "", "nginx", "1.19", ""),
        ("library/nginx:latest", "", "library/nginx", "latest", ""),
        ("myregistry/app:v1", "", "myregistry/app", "v1", ""),
        ("registry.k8s.io/kube-apiserver:v1.31.0", "registry.k8s.io", "kube-apiserver", "v1.31.0", ""),
        ("fictional.registry.example:10443/karmada/ctrl:v1.0.0", "fictional.registry.example:10443", "karmada/ctrl", "v1.0.0", ""),
        ("localhost/app", "localhost", "app", "", ""),
        ("localhost:5000/app", "localhost:5000", "app", "", ""),
        (f"nginx@{DIGEST}", "", "nginx", "", DIGEST),
        (f"nginx:1.19@{DIGEST}", "", "nginx", "1.19", ""),
    ],
    ids=["bare", "tag", "path", "no-dot-first-segment", "registry", "registry-port", "localhost", "localhost-port", "digest", "tag-and-digest-keeps-tag"],
)
def test_parse(image: str, registry: str, repository: str, tag: str, digest: str) -> None:
    ref = parse_image(image)
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == (registry, repository, tag, digest)


@pytest.mark.parametrize(
    ("image", "message"),
    [
        ("", "repository name must have at least one component"),
        ("Nginx", "repository name must be lowercase"),
        ("nginx:", "invalid reference format"),
        ("nginx@sha256:abc", "invalid reference format"),
        ("nginx@md5:" + "a" * 32, "unsupported digest algorithm"),
        ("nginx@sha256:" + "a" * 63 + "a" * 2, "invalid checksum digest length"),
        ("nginx@sha256:" + "A" * 64, "invalid checksum digest format"),
        ("a" * 256, "repository name must not be more than 255 characters"),
    ],
    ids=["empty", "uppercase", "empty-tag", "short-digest", "unknown-algorithm", "digest-length", "uppercase-digest", "too-long"],
)
def test_invalid(image: str, message: str) -> None:
    with pytest.raises(ImageRefError, match=message):
        parse_image(image)


@pytest.mark.parametrize(
    ("image", "op", "expected"),
    [
        ("nginx:1.19", lambda r: r.set_tag_or_digest("1.20"), "nginx:1.20"),
        (f"nginx@{DIGEST}", lambda r: r.set_tag_or_digest("v2"), "nginx:v2"),
        ("nginx:1.19", lambda r: r.set_tag_or_digest(DIGEST), f"nginx@{DIGEST}"),
        ("nginx:1.19", lambda r: r.set_tag_or_digest("not a tag!"), "nginx:1.19"),
        ("nginx:1.19", lambda r: r.remove_tag_or_digest(), "nginx"),
        (f"nginx@{DIGEST}", lambda r: r.remove_tag_or_digest(), "nginx"),
    ],
    ids=["set-tag", "tag-replaces-digest", "digest-replaces-tag", "invalid-value-ignored", "remove-tag", "remove-digest"],
)
def test_tag_or_digest(image: str, op, expected: str) -> None:
    ref = parse_image(image)
    op(ref)
    assert str(ref) == expected
