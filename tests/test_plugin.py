"""The pytest plugin alone is enough to run a plain ``async def`` test that uses its fixtures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import AGENT, ENV

TEST = f'''
async def test_plain(qoder_client):
    session = await qoder_client.sessions.create(agent="{AGENT}", environment_id="{ENV}")
    assert session.id.startswith("sess_")
'''


def test_an_unmarked_async_test_runs_with_only_the_plugin(tmp_path: Path) -> None:
    (tmp_path / "test_plain.py").write_text(TEST)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p",
         "qoder_async.testing.pytest_plugin", "-W", "error", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
