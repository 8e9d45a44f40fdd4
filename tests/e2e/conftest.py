from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.framework import env as envlib


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


_DIAGNOSTICS: list[str] = []


@pytest.fixture(scope="session")
def local_env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[envlib.LocalEnv]:
    """The environment every e2e test shares: control plane + 3 members of 3 kwok nodes. When a
    test failed, its logs are kept (pytest keeps the temp dir) and their tails printed at the end."""
    external = envlib.external_env_dir()
    if external is not None:
        yield envlib.attach(external)
        return
    base = tmp_path_factory.mktemp("local-env")
    env = envlib.start(base)
    try:
        yield env
    finally:
        if request.session.testsfailed:
            _DIAGNOSTICS.append(envlib.keep_logs(env, base / "logs"))
        envlib.stop(env)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for text in _DIAGNOSTICS:
        terminalreporter.write_sep("-", "the local environment when the session ended")
        terminalreporter.write_line(text)
