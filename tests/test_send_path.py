"""The one send path, observed through its public seams: the transport, hooks and the sleep."""

from __future__ import annotations

import gc
import json
import warnings
from collections.abc import Mapping

import pytest
from conftest import AGENT, ENV

from qoder_async import (
    AiohttpTransport,
    APIConnectionError,
    AsyncQoder,
    AsyncTransport,
    Hooks,
    InternalServerError,
    NotFoundError,
    ParameterTypeError,
    Request,
    Response,
    RetryInfo,
    RetryPolicy,
    SessionStatusIdleEvent,
    request_id_of,
    user_message,
)
from qoder_async.testing import Fault

pytestmark = pytest.mark.anyio

SESSION = {"id": "sess_1", "type": "session", "status": "idle"}


class CannedResponse:
    """A response from memory: what a test transport hands back."""

    def __init__(self, status: int, body: object, headers: Mapping[str, str] | None = None):
        self.status = status
        self.headers = {"Content-Type": "application/json", **(headers or {})}
        self._body = json.dumps(body).encode()
        self.closed = False

    async def read(self, limit: int) -> bytes | None:
        return self._body if len(self._body) <= limit else None

    async def read_chunk(self) -> bytes:
        body, self._body = self._body, b""
        return body

    def close(self) -> None:
        self.closed = True


class ScriptedTransport:
    """Answers each request with the next scripted response, or raises the scripted error."""

    def __init__(self, *script: CannedResponse | Exception) -> None:
        self.script = list(script)
        self.sent: list[Request] = []
        self.closed = False

    async def send(self, request: Request) -> Response:
        self.sent.append(request)
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step

    async def aclose(self) -> None:
        self.closed = True


class Sleeps:
    """A ``RetryPolicy.sleep`` that records the delays instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def client_over(transport: AsyncTransport, **options: object) -> AsyncQoder:
    options.setdefault("api_key", "pt-test")
    return AsyncQoder(base_url="http://127.0.0.1:1", transport=transport, **options)  # type: ignore[arg-type]


async def test_a_call_is_one_request_through_the_transport_without_sockets() -> None:
    answer = CannedResponse(201, SESSION, {"x-request-id": "req_1"})
    transport = ScriptedTransport(answer)
    async with client_over(transport) as client:
        session = await client.sessions.create(agent=AGENT, environment_id=ENV)
    [request] = transport.sent
    assert (request.method, request.path) == ("POST", "/sessions")
    assert request.url == "http://127.0.0.1:1/sessions"
    assert request.headers["Authorization"] == "Bearer pt-test"
    assert request.headers["Idempotency-Key"] and request.timeout == 60.0
    assert json.loads(request.content or b"") == {"agent": AGENT, "environment_id": ENV}
    assert session.id == "sess_1" and request_id_of(session) == "req_1"
    assert answer.closed and transport.closed
    assert "pt-test" not in repr(request) and AGENT not in repr(request)  # token, body


async def test_retries_wait_through_the_policys_sleep_and_keep_the_key() -> None:
    sleeps = Sleeps()
    transport = ScriptedTransport(
        CannedResponse(503, {"error": {"message": "busy"}}, {"retry-after-ms": "250"}),
        APIConnectionError("POST /sessions failed: reset"),
        CannedResponse(201, SESSION),
    )
    policy = RetryPolicy(max_retries=2, initial_delay=1.0, jitter=0.0, sleep=sleeps)
    async with client_over(transport, retry=policy) as client:
        await client.sessions.create(agent=AGENT, environment_id=ENV)
    assert sleeps.delays == [0.25, 2.0]  # Retry-After first, then the second backoff step
    keys = {request.headers["Idempotency-Key"] for request in transport.sent}
    assert len(keys) == 1
    assert [r.headers["X-Qoder-Retry-Count"] for r in transport.sent] == ["0", "1", "2"]


async def test_per_call_max_retries_and_extra_body() -> None:
    transport = ScriptedTransport(CannedResponse(500, {}), CannedResponse(201, SESSION))
    async with client_over(transport, retry=RetryPolicy(sleep=Sleeps())) as client:
        with pytest.raises(InternalServerError):
            await client.sessions.create(agent=AGENT, environment_id=ENV, max_retries=0)
        await client.sessions.create(agent=AGENT, environment_id=ENV, extra_body={"beta": 1})
    assert len(transport.sent) == 2
    assert json.loads(transport.sent[1].content or b"")["beta"] == 1


async def test_a_misspelt_option_is_refused_before_sending() -> None:
    transport = ScriptedTransport()
    async with client_over(transport) as client:
        with pytest.raises(ParameterTypeError, match="timout"):
            await client.sessions.retrieve("sess_1", timout=3)  # type: ignore[call-arg]
    assert transport.sent == []


async def test_a_404_is_never_retried() -> None:
    sleeps = Sleeps()
    transport = ScriptedTransport(CannedResponse(404, {"error": {"message": "gone"}}))
    async with client_over(transport, retry=RetryPolicy(sleep=sleeps)) as client:
        with pytest.raises(NotFoundError, match="gone"):
            await client.sessions.retrieve("sess_1")
    assert len(transport.sent) == 1 and sleeps.delays == []


async def test_a_401_asks_the_token_provider_again_through_the_same_loop() -> None:
    tokens = iter(["pt-old", "pt-new"])
    retries: list[RetryInfo] = []
    transport = ScriptedTransport(CannedResponse(401, {}), CannedResponse(200, SESSION))
    client = client_over(
        transport,
        api_key=lambda: next(tokens),
        retry=RetryPolicy.disabled(),
        hooks=Hooks(on_retry=retries.append),
    )
    async with client:
        await client.sessions.retrieve("sess_1")
    assert [r.headers["Authorization"] for r in transport.sent] == [
        "Bearer pt-old",
        "Bearer pt-new",
    ]
    assert [(r.attempt, r.delay) for r in retries] == [(0, 0.0)]


async def test_stream_reconnects_go_through_the_policys_sleep(fake_qoder) -> None:
    sleeps = Sleeps()
    retries: list[RetryInfo] = []
    policy = RetryPolicy(initial_delay=0.5, jitter=0, sleep=sleeps)
    async with fake_qoder.client(retry=policy, hooks=Hooks(on_retry=retries.append)) as client:
        session = await client.sessions.create(agent=AGENT, environment_id=ENV)
        path = f"/sessions/{session.id}/events/stream"
        fake_qoder.inject(Fault.cut_stream(after_events=2), path=path)
        async with client.sessions.events.stream(session.id) as stream:
            await client.sessions.events.send(session.id, [user_message("a b")])
            async for event in stream:
                if isinstance(event, SessionStatusIdleEvent):
                    break
        assert stream.reconnects == 1
    assert sleeps.delays == [0.5]
    assert [(r.method, r.path) for r in retries] == [("GET", path)]


def test_the_default_transport_is_the_aiohttp_one() -> None:
    client = AsyncQoder(api_key="pt-x")
    assert isinstance(client.transport, AiohttpTransport)
    assert isinstance(client.transport, AsyncTransport)
    assert client.transport.http_session is None  # created on first use, inside the loop


async def test_workspace_and_betas_apply_to_one_call_of_any_endpoint() -> None:
    transport = ScriptedTransport(CannedResponse(200, SESSION), CannedResponse(200, SESSION))
    async with client_over(transport, workspace_id="ws_default") as client:
        await client.sessions.retrieve("sess_1", workspace_id="ws_42", betas=["a", "b"])
        await client.sessions.retrieve("sess_1")
    first, second = (request.headers for request in transport.sent)
    assert first["qoder-workspace-id"] == "ws_42" and first["x-qoder-beta"] == "a,b"
    assert second["qoder-workspace-id"] == "ws_default" and "x-qoder-beta" not in second


async def test_a_client_never_closed_warns_once_naming_the_fix(fake_qoder) -> None:
    client = fake_qoder.client()
    await client.sessions.create(agent=AGENT, environment_id=ENV)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del client
        gc.collect()
    messages = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert len(messages) == 1 and "AsyncQoder" in messages[0] and "aclose()" in messages[0]
