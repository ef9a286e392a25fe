"""Every ``python`` example in the README runs, against the fake server, without warnings."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import pytest

from qoder_async.testing import FakeQoderServer

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
EXAMPLES = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)


def test_the_readme_has_examples() -> None:
    assert len(EXAMPLES) >= 8


@pytest.mark.parametrize("index", range(len(EXAMPLES)))
async def test_readme_example_runs(index: int, request: pytest.FixtureRequest) -> None:
    code = EXAMPLES[index]
    # The scaling-out examples need a Redis: a real redis-server, as the limiter tests use.
    redis = {"REDIS_URL": request.getfixturevalue("redis").url()} if "REDIS_URL" in code else {}
    async with FakeQoderServer() as server:
        env = {
            **os.environ,
            **redis,
            "QODER_PAT": server.token,
            "QODER_BASE_URL": server.base_url,
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
            "PYTHONWARNINGS": "error",
        }
        env.pop("QODER_ACCESS_TOKEN", None)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-X",
            "dev",
            "-c",
            code,
            env=env,
            cwd=str(ROOT),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await asyncio.wait_for(process.communicate(), timeout=60)
    errors = err.decode()
    assert process.returncode == 0, f"example {index} failed:\n{code}\n{errors}"
    for marker in ("Unclosed", "Exception ignored", "Task was destroyed", "ResourceWarning"):
        assert marker not in errors, f"example {index}: {marker}\n{errors}"
