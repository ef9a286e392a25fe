"""Per-call options, derived views, headers, token providers, raw responses, logs and hooks."""

from __future__ import annotations

import asyncio
import logging
import sys
from asyncio.subprocess import PIPE

import aiohttp
import pytest
from conftest import AGENT, ENV, FAST_RETRY

from qoder_async import (
    APITimeoutError,
    AsyncQoder,
    AuthenticationError,
    ClientClosedError,
    ErrorInfo,
    Hooks,
    InternalServerError,
    InvalidParameterError,
    NotFoundError,
    RawResponse,
    RequestInfo,
    ResponseInfo,
    RetryInfo,
    RetryPolicy,
    Session,
    TokenProviderError,
    request_id_of,
)
from qoder_async.testing import FakeQoderServer, Fault

pytestmark = pytest.mark.anyio


async def create(client: AsyncQoder, **kw):
    return await client.sessions.create(agent=AGENT, environment_id=ENV, **kw)


# -- with_options -------------------------------------------------------------------------


async def test_views_share_one_pool_and_its_connections(fake_qoder) -> None:
    async with fake_qoder.client(max_connections=4) as client:
        views = [client.with_options(timeout=30), client.with_options(workspace_id="ws_1")]
        for _ in range(3):
            await asyncio.gather(*(create(c) for c in [client, *views] * 2))
        assert all(v.transport is client.transport for v in views)
    # six concurrent calls over a pool of four: never more than four TCP connections
    assert fake_qoder.connection_count <= 4
    assert len(fake_qoder.requests) == 18


async def test_closing_the_parent_closes_every_view(fake_qoder) -> None:
    client = fake_qoder.client()
    view = client.with_options(timeout=5)
    await create(view)
    await client.aclose()
    assert view.is_closed
    with pytest.raises(ClientClosedError):
        await create(view)


async def test_view_options_do_not_leak_into_the_parent(fake_qoder, qoder_client) -> None:
    view = qoder_client.with_options(workspace_id="ws_9", betas=["search-2026-08-31"])
    await create(view)
    await create(qoder_client)
    with_view, plain = fake_qoder.requests
    assert with_view.headers["qoder-workspace-id"] == "ws_9"
    assert with_view.headers["x-qoder-beta"] == "search-2026-08-31"
    assert "qoder-workspace-id" not in plain.headers
    assert "x-qoder-beta" not in plain.headers


async def test_view_timeout_applies_to_the_view_only(fake_qoder, qoder_client) -> None:
    fake_qoder.inject(Fault.delay(0.5), times=3)
    impatient = qoder_client.with_options(timeout=0.1, retry=RetryPolicy.disabled())
    with pytest.raises(APITimeoutError):
        await create(impatient)
    await create(qoder_client)  # waits out the remaining delay and succeeds


async def test_per_call_timeout_applies_to_that_call_only(fake_qoder, qoder_client) -> None:
    fake_qoder.inject(Fault.delay(0.4), times=1)
    with pytest.raises(APITimeoutError):
        await create(qoder_client.with_options(retry=RetryPolicy.disabled()), timeout=0.1)
    fake_qoder.inject(Fault.delay(0.2), times=1)
    await create(qoder_client)


# -- headers ------------------------------------------------------------------------------


async def test_workspace_and_beta_headers(fake_qoder) -> None:
    async with fake_qoder.client(workspace_id="ws_1", betas=["a-1", "b-2"]) as client:
        await create(client)
    headers = fake_qoder.requests[0].headers
    assert headers["qoder-workspace-id"] == "ws_1"
    assert headers["x-qoder-beta"] == "a-1,b-2"


async def test_default_headers_are_sent_but_cannot_replace_authorization(fake_qoder) -> None:
    async with fake_qoder.client(default_headers={"X-Team": "core"}) as client:
        await create(client)
    assert fake_qoder.requests[0].headers["X-Team"] == "core"
    with pytest.raises(InvalidParameterError, match="api_key"):
        fake_qoder.client(default_headers={"authorization": "Bearer stolen"})


# -- token providers ----------------------------------------------------------------------


async def test_sync_provider_is_called_for_every_attempt(fake_qoder) -> None:
    calls: list[int] = []

    def provider() -> str:
        calls.append(1)
        return fake_qoder.token

    fake_qoder.inject(Fault.status_error(503), times=2)
    async with fake_qoder.client(api_key=provider, retry=FAST_RETRY) as client:
        await create(client)
    assert len(calls) == 3 == len(fake_qoder.requests)


async def test_rotated_token_is_fetched_again_after_a_401(fake_qoder) -> None:
    tokens = iter(["pt-expired", "pt-fresh"])

    async def provider() -> str:
        return next(tokens)

    fake_qoder.token = "pt-fresh"
    retried: list[RetryInfo] = []
    async with fake_qoder.client(api_key=provider, hooks=Hooks(on_retry=retried.append)) as client:
        session = await create(client)
    assert isinstance(session, Session)
    assert [(r.attempt, type(r.error).__name__) for r in retried] == [(0, "AuthenticationError")]
    seen = [r.headers["Authorization"] for r in fake_qoder.requests]
    assert seen == ["Bearer pt-expired", "Bearer pt-fresh"]


async def test_a_401_with_a_static_token_is_final(fake_qoder) -> None:
    async with fake_qoder.client(api_key="pt-wrong") as client:
        with pytest.raises(AuthenticationError):
            await create(client)
    assert len(fake_qoder.requests) == 1


@pytest.mark.parametrize("result", [ValueError("vault sealed"), "", None, 42, "pt-a\nb"])
async def test_a_failing_provider_is_a_clear_error_and_sends_nothing(fake_qoder, result) -> None:
    def provider():
        if isinstance(result, Exception):
            raise result
        return result

    async with fake_qoder.client(api_key=provider) as client:
        with pytest.raises(TokenProviderError):
            await create(client)
    assert fake_qoder.requests == []


# -- raw responses and request ids ----------------------------------------------------------


async def test_raw_response(fake_qoder, qoder_client) -> None:
    raw = await qoder_client.sessions.with_raw_response.create(agent=AGENT, environment_id=ENV)
    assert isinstance(raw, RawResponse)
    assert raw.status == 201
    assert raw.headers["content-type"].startswith("application/json")
    assert raw.request_id == fake_qoder.requests[0].headers.get("x-request-id") or raw.request_id
    assert raw.elapsed > 0
    session = raw.parse()
    assert isinstance(session, Session)
    assert raw.parse() is session
    assert request_id_of(session) == raw.request_id
    assert raw.json()["id"] == session.id
    assert len(fake_qoder.requests) == 1


async def test_raw_response_still_raises_typed_errors(fake_qoder, qoder_client) -> None:
    fake_qoder.inject(Fault.status_error(500), times=3)
    with pytest.raises(InternalServerError):
        await qoder_client.sessions.with_raw_response.create(agent=AGENT, environment_id=ENV)


# -- logging ------------------------------------------------------------------------------


async def test_debug_line_per_attempt_and_info_per_retry(fake_qoder, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="qoder_async")
    fake_qoder.inject(Fault.status_error(503), times=1)
    async with fake_qoder.client(retry=FAST_RETRY) as client:
        await create(client, extra_headers={"x-request-id": "rid-77"})
    debug = [
        r
        for r in caplog.records
        if r.levelno == logging.DEBUG and "POST /sessions" in r.getMessage()
    ]
    infos = [r for r in caplog.records if r.levelno == logging.INFO]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(debug) == 2
    assert "-> 503 attempt=0" in debug[0].getMessage()
    assert "-> 201 attempt=1" in debug[1].getMessage()
    assert all("request_id=rid-77" in r.getMessage() for r in debug)
    assert "elapsed_ms=" in debug[0].getMessage()
    [info] = infos
    assert "retrying in" in info.getMessage() and "HTTP 503" in info.getMessage()


async def test_a_script_without_logging_prints_nothing_for_a_retried_call(fake_qoder) -> None:
    fake_qoder.inject(Fault.status_error(503), times=1)
    code = (
        "import asyncio\n"
        "from qoder_async import AsyncQoder, RetryPolicy\n"
        "async def main():\n"
        f"    async with AsyncQoder(api_key={fake_qoder.token!r}, base_url={fake_qoder.base_url!r},"
        " retry=RetryPolicy(initial_delay=0.001)) as c:\n"
        f"        await c.sessions.create(agent={AGENT!r}, environment_id={ENV!r})\n"
        "asyncio.run(main())\n"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, stdout=PIPE, stderr=PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err
    assert out == b"" and err == b""


async def test_no_log_record_ever_contains_the_token(fake_qoder, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    fake_qoder.inject(Fault.status_error(503), times=1)
    fake_qoder.inject(Fault.reset(), times=1)
    async with fake_qoder.client(retry=FAST_RETRY, verify_ssl=False) as client:
        await create(client)
        with pytest.raises(InvalidParameterError):
            await client.sessions.create(agent="bad", environment_id=ENV)
    text = "\n".join(r.getMessage() + str(r.args) + (r.exc_text or "") for r in caplog.records)
    assert caplog.records
    assert fake_qoder.token not in text


# -- hooks and aiohttp tracing --------------------------------------------------------------


async def test_hooks_fire_once_per_attempt(fake_qoder) -> None:
    events: list[object] = []
    hooks = Hooks(
        on_request=events.append,
        on_response=events.append,
        on_retry=events.append,
        on_error=events.append,
    )
    fake_qoder.inject(Fault.status_error(503), times=1)
    async with fake_qoder.client(retry=FAST_RETRY, hooks=hooks) as client:
        await create(client)
        fake_qoder.inject(Fault.status_error(404), times=1)
        with pytest.raises(NotFoundError):
            await create(client)
    kinds = [type(e).__name__ for e in events]
    assert kinds == [
        "RequestInfo",
        "ResponseInfo",
        "RetryInfo",
        "RequestInfo",
        "ResponseInfo",
        "RequestInfo",
        "ResponseInfo",
        "ErrorInfo",
    ]
    first_request, first_response, retry = events[0], events[1], events[2]
    assert isinstance(first_request, RequestInfo) and first_request.attempt == 0
    assert first_request.idempotency_key == fake_qoder.requests[0].headers["Idempotency-Key"]
    assert isinstance(first_response, ResponseInfo) and first_response.status == 503
    assert first_response.elapsed > 0 and first_response.request_id
    assert isinstance(retry, RetryInfo) and retry.attempt == 0 and retry.delay >= 0
    assert isinstance(events[-1], ErrorInfo) and events[-1].error.status_code == 404


async def test_a_raising_hook_is_logged_and_ignored(fake_qoder, caplog) -> None:
    def broken(info: object) -> None:
        raise RuntimeError("metrics backend down")

    async with fake_qoder.client(hooks=Hooks(on_response=broken)) as client:
        await create(client)
    assert any("hook raised" in r.getMessage() for r in caplog.records)


async def test_trace_configs_reach_the_pool(fake_qoder) -> None:
    started: list[str] = []

    async def on_start(session, ctx, params) -> None:
        started.append(params.method)

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    async with fake_qoder.client(trace_configs=[trace]) as client:
        await create(client)
    assert started == ["POST"]


# -- configuration from the environment ------------------------------------------------------


async def test_token_and_base_url_from_the_environment(fake_qoder, monkeypatch) -> None:
    monkeypatch.delenv("QODER_PAT", raising=False)
    monkeypatch.setenv("QODER_ACCESS_TOKEN", fake_qoder.token)
    monkeypatch.setenv("QODER_BASE_URL", fake_qoder.base_url)
    async with AsyncQoder() as client:
        await create(client)
    monkeypatch.setenv("QODER_PAT", "pt-from-pat")
    async with AsyncQoder() as client:
        with pytest.raises(AuthenticationError):
            await create(client)
    assert fake_qoder.requests[-1].headers["Authorization"] == "Bearer pt-from-pat"


def test_missing_token_is_a_clear_error(monkeypatch) -> None:
    monkeypatch.delenv("QODER_PAT", raising=False)
    monkeypatch.delenv("QODER_ACCESS_TOKEN", raising=False)
    with pytest.raises(InvalidParameterError, match="QODER_PAT"):
        AsyncQoder()


def test_default_base_url(monkeypatch) -> None:
    monkeypatch.delenv("QODER_BASE_URL", raising=False)
    client = AsyncQoder(api_key="pt-x")
    assert client.base_url == "https://openapi.qoder.sh/api/v1/cloud"


async def test_injected_session_is_used_and_left_open(fake_qoder) -> None:
    async with aiohttp.ClientSession() as mine:
        client = AsyncQoder(
            api_key=fake_qoder.token, base_url=fake_qoder.base_url, http_session=mine
        )
        await create(client)
        await client.aclose()
        assert not mine.closed
        with pytest.raises(ClientClosedError):
            await create(client)
        async with mine.get(fake_qoder.base_url + "/nothing") as response:
            assert response.status == 401  # still usable: the server answered it
        assert fake_qoder.requests[-1].path == "/nothing"


async def test_the_pool_is_created_lazily_inside_the_loop(fake_qoder) -> None:
    client = AsyncQoder(api_key=fake_qoder.token, base_url=fake_qoder.base_url)
    assert client.transport.http_session is None
    await create(client)
    assert client.transport.http_session is not None
    await client.aclose()
    await client.aclose()  # idempotent
    assert client.is_closed


def test_client_construction_outside_a_loop_is_fine() -> None:
    client = AsyncQoder(api_key="pt-x")
    assert "pt-x" not in repr(client)


async def test_repr_never_shows_the_token(fake_qoder) -> None:
    secret = "pt-super-secret-value"
    client = AsyncQoder(api_key=secret, base_url=fake_qoder.base_url)
    assert secret not in repr(client) and secret not in str(client)
    assert secret not in repr(client.transport)
    await client.aclose()


async def test_one_client_per_server_fixture_works_with_explicit_server() -> None:
    async with FakeQoderServer() as server, server.client() as client:
        assert (await create(client)).id in server.sessions


async def test_every_request_method_has_a_raw_form(fake_qoder, qoder_client) -> None:
    from qoder_async import DeletedSession, EventList, Page, SessionCancelResult

    sessions = qoder_client.sessions.with_raw_response
    events = qoder_client.sessions.events.with_raw_response
    created = (await sessions.create(agent=AGENT, environment_id=ENV)).parse()
    sid = created.id
    checks = [
        (await sessions.retrieve(sid), Session),
        (await sessions.update(sid, title="t"), Session),
        (await events.send(sid, [{"type": "user.message", "content": "hi"}]), EventList),
        (await sessions.cancel(sid), SessionCancelResult),
        (await sessions.archive(sid), Session),
    ]
    pages = [raw async for raw in sessions.list(include_archived=True)]
    event_pages = [raw async for raw in events.list(sid)]
    checks.append((await sessions.delete(sid), DeletedSession))
    for raw, kind in checks:
        assert isinstance(raw, RawResponse)
        assert raw.status in (200, 202)
        assert raw.request_id
        assert isinstance(raw.parse(), kind)
    assert pages and all(isinstance(raw.parse(), Page) for raw in pages)
    assert pages[0].parse().data[0].id == sid
    assert event_pages and isinstance(event_pages[0].parse(), Page)


@pytest.mark.parametrize("name", ["stream", "run_turn", "create_many", "events", "_requester"])
def test_calls_that_are_not_one_response_have_no_raw_form(name: str) -> None:
    client = AsyncQoder(api_key="pt-x")
    resource = client.sessions.events if name in ("stream", "run_turn") else client.sessions
    with pytest.raises(AttributeError):
        getattr(resource.with_raw_response, name)


async def test_an_injected_session_gets_every_header_per_request_and_is_not_altered(
    fake_qoder,
) -> None:
    async with aiohttp.ClientSession() as mine:
        async with AsyncQoder(
            api_key=fake_qoder.token, base_url=fake_qoder.base_url, http_session=mine
        ) as client:
            await create(client)
        assert "Authorization" not in mine.headers
    headers = fake_qoder.requests[0].headers
    assert headers["Authorization"] == f"Bearer {fake_qoder.token}"
    assert headers["User-Agent"].startswith("qoder-async/")
    assert (headers["Accept"], headers["X-Qoder-Retry-Count"]) == ("application/json", "0")


async def test_views_override_the_headers_their_pool_shares(fake_qoder) -> None:
    async with fake_qoder.client(workspace_id="ws_root") as root:
        await create(root)
        await create(root.with_options(workspace_id="ws_view", default_headers={"X-Job": "7"}))
        with pytest.raises(AuthenticationError):
            await create(root.with_options(api_key="pt-other", retry=RetryPolicy.disabled()))
    first, second, third = (r.headers for r in fake_qoder.requests)
    assert first["qoder-workspace-id"] == "ws_root"
    # one value per header: the view's replaces the pool's, never both side by side
    assert second.getall("qoder-workspace-id") == ["ws_view"]
    assert second["X-Job"] == "7" and "X-Job" not in third
    assert first.getall("Authorization") == [f"Bearer {fake_qoder.token}"]
    assert third.getall("Authorization") == ["Bearer pt-other"]
