"""Careless and hostile arguments fail fast, name the field, and send nothing.

``tests/test_validation.py`` walks the fields of ``sessions.create`` one by one; this
module covers the rest of the public surface (client, views, per-call options, policy,
hooks) and then lets hypothesis throw arbitrary values at every argument of ``create``.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

import pytest
from conftest import AGENT, ENV
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qoder_async import (
    APIError,
    AsyncQoder,
    Hooks,
    InvalidParameterError,
    RetryPolicy,
    user_message,
)
from qoder_async.testing import FakeQoderServer

from ._servers import TOKEN

pytestmark = pytest.mark.anyio

V = ValueError
T = TypeError


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
async def server():
    """One fake server for the module; each test checks that it received nothing new."""
    async with FakeQoderServer(token=TOKEN) as server:
        yield server


# -- per-call arguments of sessions.create ------------------------------------------------

CALL_CASES: list[tuple[str, Any, str, type[Exception]]] = [
    # description, overrides, field, error
    ("path traversal in agent", {"agent": "agent_../../admin"}, "agent", V),
    ("query in agent", {"agent": "agent_1?x=1"}, "agent", V),
    ("fragment in environment", {"environment_id": "env_1#frag"}, "environment_id", V),
    ("encoded slash", {"environment_id": "env_1%2F.."}, "environment_id", V),
    ("backslash", {"environment_id": "env_1\\x"}, "environment_id", V),
    ("newline in id", {"environment_id": "env_1\r\nX-Evil: 1"}, "environment_id", V),
    ("NUL in id", {"agent": "agent_1\x00"}, "agent", V),
    ("bytes id", {"environment_id": b"env_1"}, "environment_id", T),
    ("agent id in a mapping with a path", {"agent": {"id": "agent_1/x"}}, "agent.id", V),
    ("agent mapping with a non-str key", {"agent": {"id": AGENT, 1: 2}}, "agent", V),
    # (built per test: a 100k-entry dict held by the module would slow every gc pass)
    ("huge metadata", lambda: {"metadata": {f"k{i}": "v" for i in range(100_000)}}, "metadata", V),
    ("metadata value of 1 MB", {"metadata": {"k": "v" * 1_000_000}}, "metadata['k']", V),
    ("metadata with a tuple key", {"metadata": {("a",): "b"}}, "metadata", T),
    ("metadata with None key", {"metadata": {None: "b"}}, "metadata", T),
    ("metadata as list of pairs", {"metadata": [("a", "b")]}, "metadata", T),
    ("title of 10 MB", {"title": "t" * 10_000_000}, "title", V),
    (
        "interval far out of range",
        {"delta_flush_interval_ms": 10**30},
        "delta_flush_interval_ms",
        V,
    ),
    ("negative interval", {"delta_flush_interval_ms": -1}, "delta_flush_interval_ms", V),
    ("interval NaN", {"delta_flush_interval_ms": math.nan}, "delta_flush_interval_ms", T),
    ("resource with int key", {"resources": [{"type": "file", 1: "x"}]}, "resources[0]", T),
    ("resource not JSON", {"resources": [{"type": "file", "x": object()}]}, "resources[0]", V),
    ("resource with NaN", {"resources": [{"type": "file", "x": math.nan}]}, "resources[0]", V),
    ("vault ids as a set", {"vault_ids": {"vault_1"}}, "vault_ids", T),
    ("idempotency key of 10 kB", {"idempotency_key": "k" * 10_000}, "idempotency_key", V),
    ("non-ASCII idempotency key", {"idempotency_key": "clé"}, "idempotency_key", V),
    ("timeout as str", {"timeout": "5"}, "timeout", T),
    ("timeout as bool", {"timeout": True}, "timeout", T),
    ("negative timeout", {"timeout": -1}, "timeout", V),
    ("zero timeout", {"timeout": 0}, "timeout", V),
    ("infinite timeout", {"timeout": math.inf}, "timeout", V),
    ("NaN timeout", {"timeout": math.nan}, "timeout", V),
    ("extra_headers as list", {"extra_headers": [("X-A", "1")]}, "extra_headers", T),
    ("extra_headers as str", {"extra_headers": "X-A: 1"}, "extra_headers", T),
    ("header value int", {"extra_headers": {"X-A": 1}}, "extra_headers", T),
    ("header name with space", {"extra_headers": {"X A": "1"}}, "extra_headers", V),
    ("header name empty", {"extra_headers": {"": "1"}}, "extra_headers", V),
    ("header name with colon", {"extra_headers": {"X-A: 2\r\nX-B": "1"}}, "extra_headers", V),
    ("header Authorization", {"extra_headers": {"authorization": "Bearer x"}}, "extra_headers", V),
    ("extra_query as str", {"extra_query": "a=1"}, "extra_query", T),
    ("extra_query int key", {"extra_query": {1: "a"}}, "extra_query", T),
    ("extra_query None value", {"extra_query": {"a": None}}, "extra_query['a']", T),
    ("extra_query bool value", {"extra_query": {"a": True}}, "extra_query['a']", T),
    ("extra_query object value", {"extra_query": {"a": object()}}, "extra_query['a']", T),
    ("extra_query NaN value", {"extra_query": {"a": math.nan}}, "extra_query['a']", V),
]


@pytest.mark.parametrize(
    ("overrides", "field", "error"),
    [case[1:] for case in CALL_CASES],
    ids=[case[0] for case in CALL_CASES],
)
async def test_bad_call_argument_fails_fast_and_sends_nothing(
    server, overrides, field, error
) -> None:
    before = len(server.requests)
    if callable(overrides):
        overrides = overrides()
    async with server.client() as client:
        arguments = {"agent": AGENT, "environment_id": ENV, **overrides}
        for create in (client.sessions.create, client.sessions.with_raw_response.create):
            with pytest.raises(error) as caught:
                await create(**arguments)
            assert isinstance(caught.value, InvalidParameterError)
            assert caught.value.field == field
            assert field in str(caught.value)
            assert len(str(caught.value)) < 500
        assert len(server.requests) == before


# -- the client, its views, the policy and the hooks -----------------------------------------

CLIENT_CASES: list[tuple[str, dict[str, Any], str, type[Exception]]] = [
    ("api_key int", {"api_key": 12345}, "api_key", T),
    ("api_key empty", {"api_key": ""}, "api_key", V),
    ("api_key with newline", {"api_key": "pt-a\r\nX-Evil: 1"}, "api_key", V),
    ("api_key bytes", {"api_key": b"pt-a"}, "api_key", T),
    ("base_url bytes", {"base_url": b"https://api.qoder.com"}, "base_url", T),
    ("base_url not a URL", {"base_url": "api.qoder.com"}, "base_url", V),
    ("base_url ftp", {"base_url": "ftp://api.qoder.com"}, "base_url", V),
    ("base_url with credentials", {"base_url": "https://u:p@api.qoder.com"}, "base_url", V),
    ("base_url with query", {"base_url": "https://api.qoder.com/?x=1"}, "base_url", V),
    ("timeout str", {"timeout": "60"}, "timeout", T),
    ("timeout negative", {"timeout": -5}, "timeout", V),
    ("timeout NaN", {"timeout": math.nan}, "timeout", V),
    ("timeout inf", {"timeout": math.inf}, "timeout", V),
    ("retry dict", {"retry": {"max_retries": 3}}, "retry", T),
    ("max_connections 0", {"max_connections": 0}, "max_connections", V),
    ("max_connections float", {"max_connections": 10.0}, "max_connections", T),
    ("max_connections bool", {"max_connections": True}, "max_connections", T),
    ("http_session str", {"http_session": "session"}, "http_session", T),
    ("default_headers list", {"default_headers": ["X-A"]}, "default_headers", T),
    ("default_headers int value", {"default_headers": {"X-A": 1}}, "default_headers", T),
    ("default_headers bad name", {"default_headers": {"X A": "1"}}, "default_headers", V),
    ("default Authorization", {"default_headers": {"Authorization": "x"}}, "default_headers", V),
    ("workspace_id int", {"workspace_id": 7}, "workspace_id", V),
    ("workspace_id newline", {"workspace_id": "ws\n"}, "workspace_id", V),
    ("betas str", {"betas": "a,b"}, "betas", T),
    ("beta with comma", {"betas": ["a,b"]}, "betas", V),
    ("hooks dict", {"hooks": {"on_request": print}}, "hooks", T),
    ("trace_configs str", {"trace_configs": "trace"}, "trace_configs", T),
    ("trace_configs of str", {"trace_configs": ["trace"]}, "trace_configs", T),
    ("max_response_bytes 0", {"max_response_bytes": 0}, "max_response_bytes", V),
    ("max_response_bytes bool", {"max_response_bytes": True}, "max_response_bytes", V),
    ("max_response_bytes float", {"max_response_bytes": 1e6}, "max_response_bytes", V),
    ("verify_ssl str", {"verify_ssl": "false"}, "verify_ssl", T),
    ("allow_insecure_http str", {"allow_insecure_http": "no"}, "allow_insecure_http", T),
]


@pytest.mark.parametrize(
    ("options", "field", "error"),
    [case[1:] for case in CLIENT_CASES],
    ids=[case[0] for case in CLIENT_CASES],
)
def test_bad_client_option_names_the_field(options, field, error) -> None:
    options = {"api_key": TOKEN, **options}
    with pytest.raises(error) as caught:
        AsyncQoder(**options)
    assert isinstance(caught.value, InvalidParameterError)
    assert caught.value.field == field
    assert TOKEN not in str(caught.value)


VIEW_CASES: list[tuple[str, dict[str, Any], str, type[Exception]]] = [
    ("timeout str", {"timeout": "1"}, "timeout", T),
    ("timeout zero", {"timeout": 0}, "timeout", V),
    ("retry int", {"retry": 3}, "retry", T),
    ("default_headers list", {"default_headers": [("X-A", "1")]}, "default_headers", T),
    ("workspace_id bytes", {"workspace_id": b"ws"}, "workspace_id", V),
    ("betas str", {"betas": "beta"}, "betas", T),
    ("api_key int", {"api_key": 5}, "api_key", T),
    ("hooks str", {"hooks": "log"}, "hooks", T),
]


@pytest.mark.parametrize(
    ("options", "field", "error"),
    [case[1:] for case in VIEW_CASES],
    ids=[case[0] for case in VIEW_CASES],
)
def test_bad_view_option_names_the_field(options, field, error) -> None:
    client = AsyncQoder(api_key=TOKEN)
    with pytest.raises(error) as caught:
        client.with_options(**options)
    assert isinstance(caught.value, InvalidParameterError)
    assert caught.value.field == field


POLICY_CASES: list[tuple[dict[str, Any], str, type[Exception]]] = [
    ({"max_retries": -1}, "max_retries", V),
    ({"max_retries": 2.5}, "max_retries", T),
    ({"max_retries": True}, "max_retries", T),
    ({"initial_delay": "1"}, "initial_delay", T),
    ({"initial_delay": math.nan}, "initial_delay", V),
    ({"max_delay": math.inf}, "max_delay", V),
    ({"max_delay": -1}, "max_delay", V),
    ({"max_retry_after": math.nan}, "max_retry_after", V),
    ({"deadline": 0}, "deadline", V),
    ({"deadline": math.nan}, "deadline", V),
    ({"deadline": "30"}, "deadline", T),
    ({"jitter": 1.5}, "jitter", V),
    ({"jitter": math.nan}, "jitter", V),
]


@pytest.mark.parametrize(("options", "field", "error"), POLICY_CASES)
def test_bad_retry_policy_names_the_field(options, field, error) -> None:
    with pytest.raises(error, match=field):
        RetryPolicy(**options)


@pytest.mark.parametrize("hook", ["on_request", "on_response", "on_retry", "on_error"])
def test_hooks_must_be_callable(hook) -> None:
    with pytest.raises(TypeError, match=hook):
        Hooks(**{hook: "print"})


# -- hypothesis: anything at all, for every argument of create -------------------------------

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    st.binary(max_size=8),
    st.sampled_from([AGENT, ENV, "agent_", "env_", "agent_a/b", "env_..", "sess_1", "pt-x"]),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.one_of(st.text(max_size=8), st.integers()), inner, max_size=4),
    ),
    max_leaves=8,
)
CREATE_ARGUMENTS = [
    "agent",
    "environment_id",
    "title",
    "metadata",
    "delta_flush_interval_ms",
    "memory_store_ids",
    "resources",
    "vault_ids",
    "idempotency_key",
    "timeout",
    "extra_headers",
    "extra_query",
]


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=st.sampled_from(CREATE_ARGUMENTS), value=_values)
async def test_create_with_any_value_either_validates_or_fails_with_a_named_field(
    server, name, value
) -> None:
    before = len(server.requests)
    rejected: InvalidParameterError | None = None
    async with server.client(retry=RetryPolicy.disabled(), timeout=5) as client:
        try:
            await client.sessions.create(**{"agent": AGENT, "environment_id": ENV, name: value})
        except InvalidParameterError as exc:
            rejected = exc
        except APIError:
            pass  # accepted and sent; the server judged it (400, 409, ...)
    if rejected is None:
        assert len(server.requests) == before + 1
    else:
        assert rejected.field.startswith(name), rejected
        assert len(server.requests) == before, "a rejected argument was sent anyway"


# -- every other endpoint: ids with path characters, per-call options, ranges -----------------

SID = "sess_019e3bb1e8c171fd9abbb1477ffb84cc"

#: endpoint -> the valid arguments the hostile ones replace.
ENDPOINTS: dict[str, dict[str, Any]] = {
    "sessions.retrieve": {"session_id": SID},
    "sessions.update": {"session_id": SID, "title": "t"},
    "sessions.archive": {"session_id": SID},
    "sessions.delete": {"session_id": SID},
    "sessions.cancel": {"session_id": SID},
    "sessions.list": {},
    "sessions.events.send": {"session_id": SID, "events": [user_message("hi")]},
    "sessions.events.list": {"session_id": SID},
    "sessions.events.stream": {"session_id": SID},
    "sessions.events.run_turn": {"session_id": SID, "message": "hi"},
}
BAD_IDS = [
    ("sess_../admin", V),
    ("sess_1/events", V),
    ("sess_1?limit=1", V),
    ("sess_1#x", V),
    ("sess_%2e%2e", V),
    ("../sess_1", V),
    ("sess_", V),
    ("", V),
    ("sess_1\r\nX-Evil: 1", V),
    (5, T),
    (None, T),
    (b"sess_1", T),
]
PER_CALL = [
    ({"timeout": "5"}, "timeout", T),
    ({"timeout": math.nan}, "timeout", V),
    ({"extra_headers": [("X-A", "1")]}, "extra_headers", T),
    ({"extra_headers": {"Authorization": "Bearer x"}}, "extra_headers", V),
    ({"extra_query": {"a": object()}}, "extra_query['a']", T),
    ({"idempotency_key": "a b"}, "idempotency_key", V),
]
RANGES = [
    ("sessions.list", {"limit": 0}, "limit", V),
    ("sessions.list", {"limit": 101}, "limit", V),
    ("sessions.list", {"limit": True}, "limit", T),
    ("sessions.list", {"limit": "20"}, "limit", T),
    ("sessions.list", {"page": 5}, "page", T),
    ("sessions.update", {"metadata": {str(i): "v" for i in range(1000)}}, "metadata", V),
    ("sessions.update", {"metadata": {1: "v"}}, "metadata", T),
    ("sessions.events.list", {"limit": 10**9}, "limit", V),
    ("sessions.events.list", {"order": "sideways"}, "order", V),
    ("sessions.events.send", {"events": []}, "events", V),
    ("sessions.events.send", {"events": "hello"}, "events", T),
    ("sessions.events.send", {"events": [{"type": 7}]}, "events[0].type", V),
    ("sessions.events.stream", {"max_reconnects": -1}, "max_reconnects", V),
    ("sessions.events.stream", {"idle_timeout": 0}, "idle_timeout", V),
    ("sessions.events.stream", {"last_event_id": "evt_1\r\nX: 1"}, "last_event_id", V),
]


def _endpoint(client: AsyncQoder, name: str) -> Callable[..., Any]:
    target: Any = client
    for part in name.split("."):
        target = getattr(target, part)
    return target  # type: ignore[no-any-return]


def _accepts(name: str, argument: str) -> bool:
    return argument in inspect.signature(_endpoint(AsyncQoder(api_key=TOKEN), name)).parameters


async def _drive(result: Any) -> None:
    """Await a call, enter a stream, or pull the first item of a paginator."""
    if hasattr(result, "__aenter__"):
        async with result:
            return
    if hasattr(result, "__aiter__"):
        async for _ in result:
            break
        return
    await result


async def _assert_refused(
    client: AsyncQoder, name: str, overrides: dict[str, Any], field: str, error: type[Exception]
) -> None:
    arguments = {**ENDPOINTS[name], **overrides}
    with pytest.raises(error) as caught:
        await _drive(_endpoint(client, name)(**arguments))
    assert isinstance(caught.value, InvalidParameterError), (name, overrides)
    assert caught.value.field == field, (name, overrides, caught.value)
    assert len(str(caught.value)) < 500


WITH_ID = [name for name, base in ENDPOINTS.items() if "session_id" in base]


@pytest.mark.parametrize("name", WITH_ID)
async def test_hostile_session_ids_are_refused_before_sending(server, name) -> None:
    before = len(server.requests)
    async with server.client() as client:
        for bad, error in BAD_IDS:
            await _assert_refused(client, name, {"session_id": bad}, "session_id", error)
    assert len(server.requests) == before


@pytest.mark.parametrize("name", list(ENDPOINTS))
async def test_bad_per_call_options_are_refused_before_sending(server, name) -> None:
    before = len(server.requests)
    cases = [case for case in PER_CALL if _accepts(name, next(iter(case[0])))]
    async with server.client() as client:
        for overrides, field, error in cases:
            await _assert_refused(client, name, overrides, field, error)
    assert len(server.requests) == before


@pytest.mark.parametrize(
    ("name", "overrides", "field", "error"), RANGES, ids=[f"{c[0]}-{c[2]}" for c in RANGES]
)
async def test_out_of_range_arguments_are_refused_before_sending(
    server, name, overrides, field, error
) -> None:
    before = len(server.requests)
    async with server.client() as client:
        await _assert_refused(client, name, overrides, field, error)
    assert len(server.requests) == before


async def test_run_turn_names_its_message_argument(server) -> None:
    before = len(server.requests)
    async with server.client() as client:
        with pytest.raises(TypeError) as caught:
            await client.sessions.events.run_turn(SID, 42)
    assert len(server.requests) == before
    assert caught.value.field == "message"


BULK_CASES = [
    ({"concurrency": 0}, "concurrency", V),
    ({"concurrency": "8"}, "concurrency", T),
    ({"rate_limit": -1}, "rate_limit", V),
    ({"rate_limit": math.nan}, "rate_limit", V),
    ({"key_fn": "k"}, "key_fn", T),
    ({"on_progress": 5}, "on_progress", T),
]


@pytest.mark.parametrize(("options", "field", "error"), BULK_CASES)
async def test_bad_create_many_option_fails_fast(options, field, error) -> None:
    async with FakeQoderServer(token=TOKEN) as server, server.client() as client:
        items = [{"agent": AGENT, "environment_id": ENV}]
        with pytest.raises(error) as caught:
            await _drive(client.sessions.create_many(items, **options))
        assert isinstance(caught.value, InvalidParameterError)
        assert caught.value.field == field
        assert server.requests == []


async def test_a_hostile_item_in_a_batch_is_that_items_failure_only() -> None:
    items = [
        {"agent": AGENT, "environment_id": ENV},
        {"agent": "agent_../x", "environment_id": ENV},
        {"agent": AGENT, "environment_id": ENV, "metadata": {1: "x"}},
        {"agent": AGENT, "environment_id": ENV, "colour": "red"},
        "not a mapping",
        {"agent": AGENT, "environment_id": ENV},
    ]
    async with FakeQoderServer(token=TOKEN) as server, server.client() as client:
        results = [r async for r in client.sessions.create_many(items, ordered=True)]
    assert [r.ok for r in results] == [True, False, False, False, False, True]
    assert all(isinstance(r.error, InvalidParameterError) for r in results if not r.ok)
    assert len(server.requests) == 2
