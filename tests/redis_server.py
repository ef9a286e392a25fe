"""A real ``redis-server`` on loopback for the rate-limit and Celery tests, stopped by pid.

``redis-server`` comes from Debian's package (``.ci/run`` installs it). Without it the tests
that need it are skipped, unless ``QODER_TESTS_REQUIRE_REDIS=1`` (set by ``.ci/run``) makes
its absence a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_executable() -> str:
    found = shutil.which("redis-server")
    if found is None:
        message = "redis-server not found (apt-get install redis-server)"
        if os.environ.get("QODER_TESTS_REQUIRE_REDIS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return found


class RedisServer:
    """One ``redis-server`` process on ``127.0.0.1``: no persistence, its own port."""

    def __init__(self) -> None:
        self.executable = redis_executable()
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            [
                self.executable,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(64).startswith(b"+PONG"):
                        return self
            except OSError:
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.02)
        self.stop()
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=10)
