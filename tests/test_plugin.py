"""The pytest plugin alone is enough to run a plain ``async def`` test that uses its fixtures.

Each test runs pytest in a subprocess against a project of its own in ``tmp_path`` (so this
project's ``pyproject.toml`` does not apply there), with warnings as errors.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import AGENT, ENV

PLUGIN = "qoder_async.testing.pytest_plugin"

TEST = f'''
import pytest


async def test_plain(qoder_client):
    session = await qoder_client.sessions.create(agent="{AGENT}", environment_id="{ENV}")
    assert session.id.startswith("sess_")


@pytest.mark.parametrize("title", ["one", "two"])
async def test_parametrized(qoder_client, title):
    session = await qoder_client.sessions.create(agent="{AGENT}", environment_id="{ENV}",
                                                 title=title)
    assert session.title == title
'''

#: Beside pytest-asyncio: the same plain test, and one the user marked for pytest-asyncio
#: that uses the plugin's fixtures too. Each notes that it ran, to show none runs twice.
BESIDE_PYTEST_ASYNCIO = f'''
from pathlib import Path

import pytest

RUNS = Path(__file__).with_name("runs.txt")


async def test_plain(qoder_client):
    with RUNS.open("a") as runs:
        runs.write("test_plain\\n")
    session = await qoder_client.sessions.create(agent="{AGENT}", environment_id="{ENV}")
    assert session.id.startswith("sess_")


@pytest.mark.asyncio
async def test_marked(qoder_client, fake_qoder):
    with RUNS.open("a") as runs:
        runs.write("test_marked\\n")
    session = await qoder_client.sessions.create(agent="{AGENT}", environment_id="{ENV}")
    assert session.id in fake_qoder.sessions
'''

#: pytest-asyncio 1.x asks for this setting (a deprecation warning, an error here, without it);
#: asyncio_mode stays unset, so pytest-asyncio is in its default strict mode.
PYTEST_INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"


def run_pytest(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-W", "error", *args,
         str(project)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=project,
    )  # fmt: skip


def summary(result: subprocess.CompletedProcess[str]) -> str:
    """The counts of pytest's last line, e.g. ``2 passed`` or ``1 failed, 1 passed``."""
    last = result.stdout.strip().splitlines()[-1]
    return re.sub(r" in [\d.]+s.*$", "", last.strip("= "))


def test_an_unmarked_async_test_runs_with_only_the_plugin(tmp_path: Path) -> None:
    (tmp_path / "test_plain.py").write_text(TEST)
    # pytest-asyncio, a test dependency of this project, is kept out: no other async plugin.
    result = run_pytest(tmp_path, "-q", "-p", "no:asyncio", "-p", PLUGIN)
    assert result.returncode == 0, result.stdout + result.stderr
    # The parametrized test keeps its parameters (one run per title).
    assert summary(result) == "3 passed", result.stdout


@pytest.mark.parametrize("mode", ["strict", "auto"])
def test_the_plugin_works_beside_pytest_asyncio(tmp_path: Path, mode: str) -> None:
    """Loaded from ``conftest.py`` as the README says, beside pytest-asyncio in either mode."""
    ini = PYTEST_INI if mode == "strict" else f"{PYTEST_INI}asyncio_mode = auto\n"
    (tmp_path / "pytest.ini").write_text(ini)
    (tmp_path / "conftest.py").write_text(f"pytest_plugins = [{PLUGIN!r}]\n")
    (tmp_path / "test_beside.py").write_text(BESIDE_PYTEST_ASYNCIO)
    result = run_pytest(tmp_path, "-rA")
    output = result.stdout + result.stderr
    assert "plugins: asyncio-" in result.stdout, output
    assert f"asyncio: mode=Mode.{mode.upper()}" in result.stdout, output
    assert result.returncode == 0, output
    assert summary(result) == "2 passed", output
    runs = (tmp_path / "runs.txt").read_text().split()
    assert sorted(runs) == ["test_marked", "test_plain"], output


def test_without_the_plugin_pytest_asyncio_strict_mode_leaves_a_plain_test_alone(
    tmp_path: Path,
) -> None:
    """The control: with the fixtures but not the plugin's hooks, ``test_plain`` does not pass."""
    (tmp_path / "pytest.ini").write_text(PYTEST_INI)
    (tmp_path / "conftest.py").write_text(
        f"from {PLUGIN} import anyio_backend, fake_qoder, qoder_client  # noqa: F401\n"
    )
    (tmp_path / "test_beside.py").write_text(BESIDE_PYTEST_ASYNCIO)
    result = run_pytest(tmp_path, "-rA", "-k", "test_plain")
    output = result.stdout + result.stderr
    assert "asyncio: mode=Mode.STRICT" in result.stdout, output
    assert result.returncode == 1, output
    assert "ERROR test_beside.py::test_plain" in result.stdout, output
    assert "passed" not in summary(result), output


SYNC_AFTER_MARKED = """
import pytest


@pytest.mark.asyncio
async def test_marked(qoder_client):
    assert not qoder_client.is_closed


def test_sync(qoder_client):
    pass
"""


def test_pytest_asyncio_gets_the_async_fixtures_for_its_own_tests_only(tmp_path: Path) -> None:
    """A sync test still gets pytest's error, not a server on an event loop that never runs."""
    (tmp_path / "pytest.ini").write_text(PYTEST_INI)
    (tmp_path / "conftest.py").write_text(f"pytest_plugins = [{PLUGIN!r}]\n")
    (tmp_path / "test_sync.py").write_text(SYNC_AFTER_MARKED)
    result = run_pytest(tmp_path, "-rA")
    output = result.stdout + result.stderr
    assert "PASSED test_sync.py::test_marked" in result.stdout, output
    assert "ERROR test_sync.py::test_sync" in result.stdout, output
    assert "requested an async fixture" in result.stdout, output
