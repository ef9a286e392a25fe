from __future__ import annotations

import gc
from pathlib import Path

import pytest

#: The published payloads, copied verbatim from shared/api/samples (test_samples checks
#: that the copy still matches when shared/ sits beside the repository).
SAMPLES = Path(__file__).resolve().parent / "samples"
SHARED_SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "api" / "samples"


@pytest.fixture(autouse=True)
def _collect_garbage():
    # Unclosed sessions/connectors warn from __del__; collect now so that the warning
    # (an error under filterwarnings=error) is pinned on the test that leaked.
    yield
    gc.collect()


def sample(name: str) -> bytes:
    """The exact bytes of one published sample."""
    return (SAMPLES / name).read_bytes()
