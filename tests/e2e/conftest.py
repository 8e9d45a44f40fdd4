from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.framework import env as envlib


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def local_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[envlib.LocalEnv]:
    """The environment every e2e test shares: control plane + 3 members of 3 kwok nodes."""
    external = envlib.external_env_dir()
    if external is not None:
        yield envlib.attach(external)
        return
    env = envlib.start(tmp_path_factory.mktemp("local-env"))
    try:
        yield env
    finally:
        envlib.stop(env)
