"""Behind a corporate proxy: a real forward proxy (proxy.py) on loopback, a TLS API behind it."""

from __future__ import annotations

import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import AGENT, ENV

from qoder_async import APIConnectionError, Hooks, RetryInfo, RetryPolicy

from ._servers import TOKEN, ScriptedServer, self_signed_certificate

pytestmark = pytest.mark.anyio
pytest.importorskip("proxy", reason="the proxy.py package (test extra) is not installed")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ForwardProxy:
    """proxy.py in a subprocess on 127.0.0.1; ``log()`` is what it wrote (its access log)."""

    def __init__(self, directory: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log_path = directory / "proxy.log"
        self._log = self._log_path.open("wb")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "proxy", "--hostname", "127.0.0.1", "--port", str(self.port),
             "--num-workers", "1", "--num-acceptors", "1", "--log-level", "INFO"],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                if time.monotonic() > deadline or self._process.poll() is not None:
                    self.stop()
                    pytest.fail(f"proxy.py did not start: {self.log()}")
                time.sleep(0.1)

    def log(self) -> str:
        return self._log_path.read_text(errors="replace")

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(10)
        self._log.close()


@pytest.fixture(scope="module")
def forward_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ForwardProxy]:
    proxy = ForwardProxy(tmp_path_factory.mktemp("proxy"))
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    pair = self_signed_certificate(tmp_path_factory.mktemp("tls"))
    if pair is None:
        pytest.skip("the openssl command is not installed")
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(*pair)
    return server, ssl.create_default_context(cafile=str(pair[0]))


@pytest.fixture
def proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _wait_for(condition: object, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.05)


async def test_https_proxy_from_the_environment_tunnels_the_request(
    forward_proxy, tls, proxy_env
) -> None:
    proxy_env.setenv("HTTPS_PROXY", forward_proxy.url)
    async with ScriptedServer(ssl_context=tls[0]) as server:
        async with server.client(verify_ssl=tls[1]) as client:
            await client.sessions.create(agent=AGENT, environment_id=ENV)
        assert server.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
        target = f"127.0.0.1:{server.port}"
    _wait_for(lambda: target in forward_proxy.log())
    log = forward_proxy.log()
    assert f"CONNECT {target}" in log  # the proxy saw a tunnel, not the request
    assert TOKEN not in log and "/sessions" not in log


async def test_no_proxy_and_an_explicit_proxy_override_the_environment(
    forward_proxy, tls, proxy_env
) -> None:
    dead = f"http://127.0.0.1:{_free_port()}"
    proxy_env.setenv("HTTPS_PROXY", dead)
    async with ScriptedServer(ssl_context=tls[0]) as server:
        async with server.client(verify_ssl=tls[1], proxy=forward_proxy.url) as client:
            await client.sessions.create(agent=AGENT, environment_id=ENV)
        async with server.client(verify_ssl=tls[1], proxy=False) as client:
            await client.sessions.create(agent=AGENT, environment_id=ENV)
        proxy_env.setenv("NO_PROXY", "127.0.0.1")
        async with server.client(verify_ssl=tls[1]) as client:
            await client.sessions.create(agent=AGENT, environment_id=ENV)
        assert len(server.requests) == 3


async def test_a_proxy_that_refuses_is_a_retried_connection_error(tls, proxy_env) -> None:
    proxy_env.setenv("HTTPS_PROXY", f"http://127.0.0.1:{_free_port()}")
    retries: list[RetryInfo] = []
    policy = RetryPolicy(max_retries=2, initial_delay=0.001)
    async with ScriptedServer(ssl_context=tls[0]) as server:
        client = server.client(
            verify_ssl=tls[1], retry=policy, hooks=Hooks(on_retry=retries.append)
        )
        async with client:
            with pytest.raises(APIConnectionError) as caught:
                await client.sessions.create(agent=AGENT, environment_id=ENV)
        assert server.requests == []
    assert len(retries) == 2 and caught.value.retryable
    assert TOKEN not in str(caught.value)


async def test_plain_http_never_goes_through_a_proxy(proxy_env) -> None:
    proxy_env.setenv("HTTPS_PROXY", f"http://127.0.0.1:{_free_port()}")
    proxy_env.setenv("HTTP_PROXY", f"http://127.0.0.1:{_free_port()}")
    async with ScriptedServer() as server:  # plain http on loopback
        async with server.client(proxy=f"http://127.0.0.1:{_free_port()}") as client:
            await client.sessions.create(agent=AGENT, environment_id=ENV)
        assert len(server.requests) == 1
