"""The blocking ``Qoder``, against the fake server on loopback (``fake_qoder_threaded``, which
serves from a thread of its own so that plain test functions can block on it)."""

from __future__ import annotations

import asyncio
import gc
import inspect
import os
import pydoc
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import AGENT, ENV, FAST_RETRY

from qoder_async import (
    AgentMessageEvent,
    AiohttpTransport,
    APITimeoutError,
    AsyncQoder,
    BulkResult,
    ClientClosedError,
    DeletedSession,
    Hooks,
    InvalidParameterError,
    NotFoundError,
    Page,
    Qoder,
    RawResponse,
    Session,
    SessionStatusIdleEvent,
    SyncCallInEventLoopError,
    SyncEventStream,
    SyncPaginator,
    TurnResult,
    user_message,
)
from qoder_async.testing import FakeQoderServer, Fault

ROOT = Path(__file__).resolve().parent.parent
MISSING = "sess_019e3bb1e8c171fd9abbb1477ffb0000"


def client_for(server: FakeQoderServer, **options: object) -> Qoder:
    options.setdefault("api_key", server.token)
    options.setdefault("retry", FAST_RETRY)
    return Qoder(base_url=server.base_url, **options)  # type: ignore[arg-type]


def new_threads(before: set[threading.Thread]) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t not in before]


def used_client(server: FakeQoderServer) -> tuple[Qoder, threading.Thread]:
    """A client that made a call, and its loop's daemon thread."""
    before = set(threading.enumerate())
    client = client_for(server)
    client.sessions.create(agent=AGENT, environment_id=ENV)
    [loop_thread] = new_threads(before)
    return client, loop_thread


def test_create_retrieve_list_update_delete(
    qoder_sync_client: Qoder, fake_qoder_threaded: FakeQoderServer
) -> None:
    client = qoder_sync_client
    created = [
        client.sessions.create(agent=AGENT, environment_id=ENV, title=f"s{n}") for n in "123"
    ]
    assert all(type(s) is Session for s in created)
    assert client.sessions.retrieve(created[0].id) == created[0]

    sent = len(fake_qoder_threaded.requests)
    listing = client.sessions.list(limit=2)
    assert isinstance(listing, SyncPaginator)
    assert len(fake_qoder_threaded.requests) == sent  # lazy: nothing sent before iterating
    assert {s.id for s in listing} == {s.id for s in created}
    pages = list(client.sessions.list(limit=2).pages())
    assert [len(p.data) for p in pages] == [2, 1] and all(isinstance(p, Page) for p in pages)

    updated = client.sessions.update(created[0].id, title="renamed", metadata={"k": "v"})
    assert (updated.title, updated.metadata) == ("renamed", {"k": "v"})
    gone = client.sessions.delete(created[0].id)
    assert isinstance(gone, DeletedSession) and gone.deleted
    with pytest.raises(NotFoundError):
        client.sessions.retrieve(created[0].id)


def test_a_stream_is_a_with_block_iterated_with_for(qoder_sync_client: Qoder) -> None:
    client = qoder_sync_client
    session = client.sessions.create(agent=AGENT, environment_id=ENV)
    seen = []
    with client.sessions.events.stream(session.id) as stream:
        assert isinstance(stream, SyncEventStream)
        client.sessions.events.send(session.id, [user_message("hello")])
        for event in stream:
            seen.append(event)
            if isinstance(event, SessionStatusIdleEvent):
                break
    assert stream.closed and stream.last_event_id == seen[-1].id
    assert [e.text for e in seen if isinstance(e, AgentMessageEvent)] == ["hello"]

    turn = client.sessions.events.run_turn(session.id, "again")
    assert isinstance(turn, TurnResult) and turn.text == "again"
    assert [e.type for e in client.sessions.events.list(session.id)][-1] == "session.status_idle"


def test_create_many_blocks_and_yields_bulk_results(
    qoder_sync_client: Qoder, fake_qoder_threaded: FakeQoderServer
) -> None:
    items = [{"agent": AGENT, "environment_id": ENV, "title": f"job {n}"} for n in range(6)]
    results = list(qoder_sync_client.sessions.create_many(items, concurrency=3, ordered=True))
    assert all(type(r) is BulkResult and r.ok for r in results)
    assert [r.index for r in results] == list(range(6))
    assert {r.session.id for r in results if r.session} <= set(fake_qoder_threaded.sessions)

    # Leaving early cancels the rest of the batch; the client goes on working.
    endless = ({"agent": AGENT, "environment_id": ENV} for _ in iter(int, 1))
    with qoder_sync_client.sessions.create_many(endless, concurrency=2) as batch:
        first = next(batch)
    assert first.ok
    assert qoder_sync_client.sessions.retrieve(first.session.id).id == first.session.id


def test_raw_responses(qoder_sync_client: Qoder) -> None:
    raw = qoder_sync_client.sessions.with_raw_response.create(agent=AGENT, environment_id=ENV)
    assert isinstance(raw, RawResponse) and raw.status == 201 and raw.request_id
    assert type(raw.parse()) is Session
    [page] = list(qoder_sync_client.sessions.with_raw_response.list())
    assert page.status == 200 and page.parse().data[0].id == raw.parse().id
    with pytest.raises(AttributeError, match="no raw-response form"):
        qoder_sync_client.sessions.with_raw_response.create_many  # noqa: B018


def test_with_options_is_a_view_on_the_same_loop_and_pool(
    qoder_sync_client: Qoder, fake_qoder_threaded: FakeQoderServer
) -> None:
    view = qoder_sync_client.with_options(default_headers={"X-Job": "7"}, max_retries=0)
    assert isinstance(view, Qoder) and view.transport is qoder_sync_client.transport
    view.sessions.create(agent=AGENT, environment_id=ENV)
    assert fake_qoder_threaded.requests[-1].headers["X-Job"] == "7"
    with pytest.raises(InvalidParameterError):
        qoder_sync_client.with_options(max_retries=-1)  # checked at once
    fake_qoder_threaded.inject(Fault.delay(5))
    started = time.monotonic()
    with pytest.raises(APITimeoutError):  # the per-call timeout, enforced by the async core
        view.sessions.create(agent=AGENT, environment_id=ENV, timeout=0.2)
    assert time.monotonic() - started < 3


def test_errors_hooks_and_token_providers_behave_as_in_the_async_client(
    fake_qoder_threaded: FakeQoderServer,
) -> None:
    seen: list[object] = []
    hooks = Hooks(on_request=seen.append, on_response=seen.append, on_error=seen.append)
    with (
        client_for(fake_qoder_threaded, hooks=hooks) as client,
        pytest.raises(NotFoundError) as caught,
    ):
        client.sessions.retrieve(MISSING)
    _, response, error = seen
    assert getattr(response, "status", None) == 404
    assert getattr(error, "error", None) is caught.value  # the very same exception object

    calls = []

    def provider() -> str:
        calls.append("sync")
        return fake_qoder_threaded.token

    async def async_provider() -> str:
        calls.append("async")
        return fake_qoder_threaded.token

    for api_key in (provider, async_provider):
        with client_for(fake_qoder_threaded, api_key=api_key) as client:
            client.sessions.create(agent=AGENT, environment_id=ENV)
    assert calls == ["sync", "async"]


def test_sixteen_threads_share_one_client_and_one_pool(
    qoder_sync_client: Qoder, fake_qoder_threaded: FakeQoderServer
) -> None:
    def work(n: int) -> list[str]:
        return [
            qoder_sync_client.sessions.create(agent=AGENT, environment_id=ENV, title=f"{n}").id
            for _ in range(5)
        ]

    with ThreadPoolExecutor(16) as pool:
        ids = [i for chunk in pool.map(work, range(16)) for i in chunk]
    assert len(set(ids)) == 80 and set(ids) <= set(fake_qoder_threaded.sessions)
    transport = qoder_sync_client.transport
    assert isinstance(transport, AiohttpTransport) and transport.http_session is not None
    assert fake_qoder_threaded.connection_count <= 16


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_gets_a_working_client(
    qoder_sync_client: Qoder, fake_qoder_threaded: FakeQoderServer
) -> None:
    qoder_sync_client.sessions.create(agent=AGENT, environment_id=ENV)  # the parent's pool
    connections = fake_qoder_threaded.connection_count
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork with threads
        pid = os.fork()
    if pid == 0:
        status = 1
        try:
            session = qoder_sync_client.sessions.create(agent=AGENT, environment_id=ENV)
            qoder_sync_client.close()
            status = 0 if session.id.startswith("sess_") else 2
        finally:
            os._exit(status)
    deadline = time.monotonic() + 30
    while (waited := os.waitpid(pid, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    if waited[0] == 0:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail("the forked child hung")
    assert os.waitstatus_to_exitcode(waited[1]) == 0
    assert fake_qoder_threaded.connection_count > connections  # its own connection
    qoder_sync_client.sessions.create(agent=AGENT, environment_id=ENV)  # the parent's still works


def test_a_call_from_a_running_loop_raises_instead_of_blocking(
    qoder_sync_client: Qoder, fake_qoder_threaded: FakeQoderServer
) -> None:
    outcome: dict[str, object] = {}

    async def inside_a_loop() -> None:
        try:
            qoder_sync_client.sessions.retrieve(MISSING)
        except SyncCallInEventLoopError as exc:
            outcome["error"] = exc
        # Building one there is fine (an app's startup, for its worker threads).
        with client_for(fake_qoder_threaded) as built_in_a_loop:
            outcome["built"] = built_in_a_loop.base_url

    # In a thread of its own, so that a deadlock would fail this test instead of hanging it.
    probe = threading.Thread(target=asyncio.run, args=(inside_a_loop(),), daemon=True)
    probe.start()
    probe.join(10)
    assert not probe.is_alive()
    error = outcome["error"]
    assert isinstance(error, RuntimeError) and "AsyncQoder" in str(error)
    assert outcome["built"] == fake_qoder_threaded.base_url

    # From a hook, that is from the client's own loop: the same error, and no deadlock.
    def reenter(info: object) -> None:
        try:
            client.sessions.retrieve(MISSING)
        except SyncCallInEventLoopError as exc:
            outcome["hook"] = exc

    client = qoder_sync_client.with_options(hooks=Hooks(on_response=reenter))
    client.sessions.create(agent=AGENT, environment_id=ENV)
    assert isinstance(outcome["hook"], SyncCallInEventLoopError)


def test_close_is_idempotent_fast_and_stops_the_thread(
    fake_qoder_threaded: FakeQoderServer,
) -> None:
    client, loop_thread = used_client(fake_qoder_threaded)
    session = client.sessions.create(agent=AGENT, environment_id=ENV)
    left_open = client.sessions.events.stream(session.id).__enter__()
    started = time.monotonic()
    client.close()
    client.close()
    assert time.monotonic() - started < 2 and client.is_closed
    assert not loop_thread.is_alive()
    assert left_open.closed  # released before the pool closed: no "Unclosed connection"
    with pytest.raises(ClientClosedError):
        client.sessions.create(agent=AGENT, environment_id=ENV)


def test_an_unclosed_client_is_collected_without_hanging(
    fake_qoder_threaded: FakeQoderServer,
) -> None:
    client, loop_thread = used_client(fake_qoder_threaded)
    del client
    started = time.monotonic()
    gc.collect()  # __del__ only schedules the close: it never waits
    assert time.monotonic() - started < 1
    loop_thread.join(10)  # the loop closes the pool and stops, without a warning
    assert not loop_thread.is_alive()


def test_construction_errors_propagate_and_leave_no_thread() -> None:
    before = set(threading.enumerate())
    with pytest.raises(InvalidParameterError):
        Qoder(api_key="pt-x", base_url="ftp://example.com")
    for thread in new_threads(before):
        thread.join(10)
        assert not thread.is_alive()


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs signal.setitimer")
def test_an_interrupted_call_cancels_its_request(
    qoder_sync_client: Qoder, fake_qoder_threaded: FakeQoderServer
) -> None:
    fake_qoder_threaded.inject(Fault.delay(30))

    def interrupt(signum: int, frame: object) -> None:
        raise TimeoutError("the caller gave up")

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        started = time.monotonic()
        with pytest.raises(TimeoutError, match="gave up"):
            qoder_sync_client.sessions.create(agent=AGENT, environment_id=ENV)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert time.monotonic() - started < 5
    deadline = time.monotonic() + 5
    while fake_qoder_threaded.in_flight and time.monotonic() < deadline:
        time.sleep(0.01)
    assert fake_qoder_threaded.in_flight == 0  # the request was cancelled, not left running
    assert qoder_sync_client.sessions.create(agent=AGENT, environment_id=ENV).id


def test_help_shows_the_resources_and_the_async_clients_parameters() -> None:
    text = pydoc.render_doc(Qoder, renderer=pydoc.plaintext)
    assert "sessions" in text and "SyncResource" in text
    assert list(inspect.signature(Qoder).parameters) == list(
        inspect.signature(AsyncQoder).parameters
    )
    assert "Sessions" in (Qoder.sessions.__doc__ or "")


CTRL_C_SCRIPT = """
import sys, threading
from qoder_async import Qoder
client = Qoder(api_key=sys.argv[1], base_url=sys.argv[2])
create = lambda: client.sessions.create(agent=sys.argv[3], environment_id=sys.argv[4])
if sys.argv[5] == "waiting":  # a call in flight elsewhere: the loop runs in its thread
    threading.Thread(target=create, daemon=True).start()
print("ready", flush=True)
try:
    create()
finally:
    client.close()
"""


@pytest.fixture
def interruptible_python() -> Iterator[list[subprocess.Popen[str]]]:
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.communicate()


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT")
@pytest.mark.parametrize("mode", ["running the loop", "waiting"])
def test_ctrl_c_stops_a_blocking_call_promptly(
    mode: str,
    fake_qoder_threaded: FakeQoderServer,
    interruptible_python: list[subprocess.Popen[str]],
) -> None:
    server = fake_qoder_threaded
    server.inject(Fault.delay(30), times=2)
    process = subprocess.Popen(
        [sys.executable, "-c", CTRL_C_SCRIPT, server.token, server.base_url, AGENT, ENV, mode],
        cwd=str(ROOT),
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "error"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    interruptible_python.append(process)
    assert process.stdout is not None and process.stdout.readline() == "ready\n"
    expected = 2 if mode == "waiting" else 1
    deadline = time.monotonic() + 10
    while server.in_flight < expected and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.in_flight == expected  # the blocking call waits on the server
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=10)
    assert time.monotonic() - started < 5
    assert process.returncode != 0 and "KeyboardInterrupt" in err
    for marker in ("Unclosed", "Exception ignored", "Task was destroyed", "Warning"):
        assert marker not in err
