"""Out-of-process HTTP servers for the benchmarks: nginx when installed, else aiohttp.

The server runs in another process so that its CPU time is not charged to the client
being measured (a server in the client's own loop hides the client's overhead).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

SAMPLE = Path(__file__).resolve().parent / "session.create.json"


def canned_body() -> bytes:
    """The published v3 create-session response, compact: what a real create returns."""
    return json.dumps(json.loads(SAMPLE.read_text()), separators=(",", ":")).encode()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"benchmark server did not start on port {port}")


NGINX_CONF = """\
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    server {{
        listen 127.0.0.1:{port};
        default_type application/json;
        location / {{
            return 201 '{body}';
        }}
    }}
}}
"""

AIOHTTP_SERVER = textwrap.dedent(
    """
    import sys
    from aiohttp import web
    body = open(sys.argv[2], "rb").read()
    async def handle(request):
        await request.read()
        return web.Response(status=201, body=body, content_type="application/json")
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
    """
)


@contextlib.contextmanager
def benchmark_server(kind: str = "auto") -> Iterator[tuple[str, str]]:
    """Start a server answering every request with the canned session; yields (url, kind)."""
    body = canned_body().decode()
    port = _free_port()
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None
    )
    with tempfile.TemporaryDirectory() as tmp:
        if kind in ("auto", "nginx") and nginx and "'" not in body and "$" not in body:
            conf = Path(tmp, "nginx.conf")
            conf.write_text(NGINX_CONF.format(dir=tmp, port=port, body=body))
            cmd = [nginx, "-c", str(conf), "-p", tmp]
            kind = "nginx"
        else:
            Path(tmp, "body.json").write_text(body)
            Path(tmp, "server.py").write_text(AIOHTTP_SERVER)
            cmd = [
                sys.executable,
                str(Path(tmp, "server.py")),
                str(port),
                str(Path(tmp, "body.json")),
            ]
            kind = "aiohttp (subprocess)"
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            _wait_for(port)
            yield f"http://127.0.0.1:{port}/api/v1/cloud", kind
        finally:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
