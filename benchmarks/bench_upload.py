"""``files.upload`` of a 1 GiB file: the client process's peak memory growth, and the rate.

Usage: ``python benchmarks/bench_upload.py [--size-mib 1024]``

A sparse file of the given size is made (``truncate``) in a temporary directory and
uploaded to a loopback aiohttp server in another process that reads the body in chunks and
drops them, answering a file object with the byte count it received. The upload runs in a
fresh client process, which reports ``ru_maxrss`` (the peak resident set) after warming up
(client open, one small upload done) and after the big upload: the difference is what the
upload cost in memory. The target is under 64 MiB whatever the file's size.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

SCRIPT = Path(__file__).resolve()
sys.path.insert(0, str(SCRIPT.parent.parent))

from benchmarks._servers import _free_port, _wait_for  # noqa: E402
from qoder_async import AsyncQoder  # noqa: E402

TARGET_MIB = 64
DISCARDING_SERVER = textwrap.dedent(
    """
    import sys
    from aiohttp import web
    async def handle(request):
        size = 0
        async for chunk in request.content.iter_chunked(1 << 20):
            size += len(chunk)
        return web.json_response({"id": "file_bench", "type": "file", "size_bytes": size})
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
    """
)


@contextlib.contextmanager
def discarding_server() -> Iterator[str]:
    """An aiohttp server in a subprocess that reads every body and keeps none of it."""
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp, "server.py")
        script.write_text(DISCARDING_SERVER)
        proc = subprocess.Popen([sys.executable, str(script), str(port)])
        try:
            _wait_for(port)
            yield f"http://127.0.0.1:{port}/api/v1/cloud"
        finally:
            proc.terminate()
            proc.wait(10)


def _peak_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


async def _worker(url: str, path: str) -> dict[str, float]:
    async with AsyncQoder(api_key="pt-bench", base_url=url, timeout=600) as client:
        await client.files.upload(file=("warm-up.txt", b"x" * 65536))
        before = _peak_kb()
        started = time.perf_counter()
        file = await client.files.upload(file=path)
        seconds = time.perf_counter() - started
        after = _peak_kb()
    return {
        "before_kb": before,
        "after_kb": after,
        "seconds": seconds,
        "received": file.size_bytes or 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--worker", nargs=2, metavar=("URL", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(asyncio.run(_worker(*args.worker))))
        return
    size = args.size_mib << 20
    with tempfile.TemporaryDirectory() as tmp, discarding_server() as url:
        path = Path(tmp, "sparse.bin")
        with path.open("wb") as handle:
            handle.truncate(size)  # sparse: no disk blocks, reads as zeros
        command = [sys.executable, str(SCRIPT), "--worker", url, str(path)]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    m = json.loads(output.strip().splitlines()[-1])
    if m["received"] < size:  # the form's framing comes on top of the file
        raise SystemExit(f"the server read {m['received']} bytes of a {size}-byte file")
    growth = (m["after_kb"] - m["before_kb"]) / 1024
    rate = size / (1 << 20) / m["seconds"]
    print(
        f"python {sys.version.split()[0]}; {args.size_mib} MiB sparse file, loopback server "
        "discarding the body"
    )
    print(
        f"  peak RSS: {m['before_kb'] / 1024:.1f} MiB before, {m['after_kb'] / 1024:.1f} MiB "
        f"after; growth {growth:.1f} MiB (target < {TARGET_MIB} MiB)"
    )
    print(f"  upload: {m['seconds']:.2f} s, {rate:.0f} MiB/s")


if __name__ == "__main__":
    main()
