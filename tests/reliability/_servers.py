"""Purpose-built loopback servers for faults the FakeQoderServer cannot express.

``ScriptedServer`` speaks just enough HTTP/1.1 over a raw asyncio socket to misbehave
precisely: each request is answered by the next behaviour of its script (then by
:func:`ok`), so a test decides byte by byte what the client sees: half a body then a
TCP reset, a 100 MB body, a keep-alive connection closed under the client's feet, a
redirect. Every request is recorded with the TCP connection that carried it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
import ssl
import struct
import subprocess
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

import attrs
from conftest import ENV

from qoder_async import AsyncQoder
from qoder_async.testing import FakeQoderServer

TOKEN = "pt-reliability-secret-7f3c9a"
PREFIX = "/api/v1/cloud"

SESSION = json.dumps(
    {
        "id": "sess_019e3bb1e8c171fd9abbb1477ffb84cc",
        "type": "session",
        "environment_id": ENV,
        "status": "idle",
        "title": "",
        "metadata": {},
        "created_at": "2026-05-18T03:40:48.888851Z",
        "updated_at": "2026-05-18T03:40:48.888851Z",
    }
).encode()


@attrs.frozen
class RawRequest:
    """One request as the scripted server read it (header names lower-cased)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    connection: int


class Conn:
    """The server side of one TCP connection, as a behaviour sees it."""

    def __init__(self, server: ScriptedServer, reader: asyncio.StreamReader, writer: Any) -> None:
        self.server = server
        self.reader = reader
        self.writer = writer
        self.requests_served = 0

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()
        self.server.bytes_sent += len(data)

    async def send_head(self, status: int, headers: dict[str, str]) -> None:
        lines = [f"HTTP/1.1 {status} Status"] + [f"{k}: {v}" for k, v in headers.items()]
        await self.send(("\r\n".join(lines) + "\r\n\r\n").encode())

    def reset(self) -> None:
        """Drop the connection with a TCP RST (SO_LINGER 0), no FIN, no more bytes."""
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()


#: ``await behaviour(conn, request)``; returns True to keep the connection open.
Behaviour = Callable[[Conn, RawRequest], Awaitable[bool]]


class ScriptedServer:
    """A raw HTTP/1.1 server on 127.0.0.1 whose answers follow a script.

    Example::

        async with ScriptedServer([reset_mid_body()] * 3) as server:
            async with server.client() as client:
                ...
            assert len(server.requests) == 3
    """

    def __init__(
        self,
        script: Iterable[Behaviour] = (),
        *,
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.script: deque[Behaviour] = deque(script)
        self._ssl = ssl_context
        self.requests: list[RawRequest] = []
        self.connections = 0
        self.bytes_sent = 0
        self._port = port
        self._server: asyncio.Server | None = None
        self._writers: set[Any] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        scheme = "https" if self._ssl is not None else "http"
        return f"{scheme}://127.0.0.1:{self._port}{PREFIX}"

    def client(self, **options: Any) -> AsyncQoder:
        options.setdefault("api_key", TOKEN)
        options.setdefault("base_url", self.base_url)
        return AsyncQoder(**options)

    async def __aenter__(self) -> ScriptedServer:
        self._server = await asyncio.start_server(
            self._serve, "127.0.0.1", self._port, reuse_address=True, ssl=self._ssl
        )
        self._port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        # Aborted transports end every handler; cancelling them instead would make asyncio's
        # stream callback log the CancelledError.
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: Any) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        number = self.connections
        self.connections += 1
        conn = Conn(self, reader, writer)
        try:
            while True:
                request = await _read_request(reader, number)
                if request is None:
                    break
                self.requests.append(request)
                behaviour = self.script.popleft() if self.script else ok()
                keep = await behaviour(conn, request)
                conn.requests_served += 1
                if not keep:
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            self._tasks.discard(task)


async def _read_request(reader: asyncio.StreamReader, connection: int) -> RawRequest | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return RawRequest(method, target.split("?")[0], headers, body, connection)


# -- behaviours ------------------------------------------------------------------------------


def ok(body: bytes = SESSION, status: int = 201) -> Behaviour:
    """A normal keep-alive answer."""

    async def behaviour(conn: Conn, request: RawRequest) -> bool:
        head = {"Content-Type": "application/json", "Content-Length": str(len(body))}
        await conn.send_head(status, head)
        await conn.send(body)
        return True

    return behaviour


def reset_mid_body(length: int = 20_000) -> Behaviour:
    """Headers announcing ``length`` bytes, half of them, then a TCP reset."""

    async def behaviour(conn: Conn, request: RawRequest) -> bool:
        await conn.send_head(
            201, {"Content-Type": "application/json", "Content-Length": str(length)}
        )
        await conn.send(b'{"id": "sess_1", "title": "' + b"x" * (length // 2 - 27))
        await asyncio.sleep(0.05)
        conn.reset()
        return False

    return behaviour


def hang_up_on_reuse() -> Behaviour:
    """Read a request that arrived on an already used connection and close it unanswered:
    what a server whose idle keep-alive timer fired just as the request was sent does."""

    async def behaviour(conn: Conn, request: RawRequest) -> bool:
        if conn.requests_served == 0:
            return await ok()(conn, request)
        conn.writer.close()
        return False

    return behaviour


def ok_then_close_idle(after: float = 0.05) -> Behaviour:
    """Answer normally (keep-alive), then close the idle connection ``after`` seconds later."""

    async def behaviour(conn: Conn, request: RawRequest) -> bool:
        await ok()(conn, request)
        await asyncio.sleep(after)
        return False

    return behaviour


def endless_body(
    *, chunked: bool, chunk: int = 64 * 1024, total: int = 100 * 1024 * 1024
) -> Behaviour:
    """A 2xx whose body is ``total`` bytes (100 MB), streamed until the client hangs up."""

    async def behaviour(conn: Conn, request: RawRequest) -> bool:
        headers = {"Content-Type": "application/json"}
        if chunked:
            headers["Transfer-Encoding"] = "chunked"
        else:
            headers["Content-Length"] = str(total)
        await conn.send_head(200, headers)
        block = b"[" + b"1," * (chunk // 2 - 1) + b"1"
        sent = 0
        while sent < total:
            data = block[: total - sent]
            await conn.send(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
            sent += len(data)
        if chunked:
            await conn.send(b"0\r\n\r\n")
        return False

    return behaviour


def redirect(status: int, location: str) -> Behaviour:
    """A 3xx pointing elsewhere."""

    async def behaviour(conn: Conn, request: RawRequest) -> bool:
        await conn.send_head(status, {"Location": location, "Content-Length": "0"})
        return True

    return behaviour


def slow_event_stream(body: bytes, *, gap: float) -> Behaviour:
    """An SSE answer sent one byte at a time, ``gap`` seconds apart (slow frames)."""

    async def behaviour(conn: Conn, request: RawRequest) -> bool:
        head = {"Content-Type": "text/event-stream", "Content-Length": str(len(body))}
        await conn.send_head(200, head)
        for index in range(len(body)):
            await conn.send(body[index : index + 1])
            await asyncio.sleep(gap)
        return True

    return behaviour


def raw(data: bytes) -> Behaviour:
    """Exactly these bytes, then close."""

    async def behaviour(conn: Conn, request: RawRequest) -> bool:
        await conn.send(data)
        return False

    return behaviour


def self_signed_certificate(directory: Path) -> tuple[Path, Path] | None:
    """A throw-away certificate for 127.0.0.1 (cert, key), or None without the openssl CLI."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"),
            *("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
            *("-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


THREAD_NAME = "threaded-fake-qoder-server"


class ThreadedFakeServer:
    """A FakeQoderServer running in its own thread and event loop.

    The test's loop then holds the client's tasks only, so "no task left pending" can be
    asserted with ``asyncio.all_tasks()``; and a client bound to the test's loop can be
    exercised from a second loop without the server stalling.
    """

    def __init__(self) -> None:
        self.server = FakeQoderServer(token=TOKEN)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name=THREAD_NAME, daemon=True
        )

    def call(self, function: Callable[[], Any]) -> Any:
        """Run ``function()`` (inject, clear_faults, ...) in the server's loop; its result."""

        async def run() -> Any:
            return function()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(10)

    def __enter__(self) -> FakeQoderServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self._loop).result(10)
        return self.server

    def __exit__(self, *exc_info: object) -> None:
        asyncio.run_coroutine_threadsafe(self.server.close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
