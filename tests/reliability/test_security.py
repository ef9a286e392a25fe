"""The API key goes to the configured API host and nowhere else: not to logs, not to
exception text or reprs, not across the network in clear text, not to a redirect target."""

from __future__ import annotations

import logging
import ssl
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import AGENT, ENV

from qoder_async import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    AsyncQoder,
    Hooks,
    InternalServerError,
    InvalidParameterError,
    QoderError,
    RetryInfo,
    RetryPolicy,
)
from qoder_async.testing import FakeQoderServer, Fault

from ._servers import (
    TOKEN,
    ScriptedServer,
    ok,
    raw,
    redirect,
    self_signed_certificate,
)

pytestmark = pytest.mark.anyio

FAST = RetryPolicy(max_retries=1, initial_delay=0.001, max_delay=0.01)


def texts_of(error: BaseException) -> Iterator[str]:
    """Everything a log, a crash reporter or a debugger prints about an exception chain."""
    yield "".join(traceback.format_exception(error))
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield str(current)
        yield repr(current)
        yield repr(getattr(current, "__dict__", {}))
        current = current.__cause__ or current.__context__


async def failures(client: AsyncQoder, server: FakeQoderServer) -> list[QoderError]:
    """One failing call per kind of failure the pipeline produces."""
    scripted = [
        Fault.status_error(401, error_type="authentication_error"),
        Fault.status_error(503),
        Fault.reset(),
        Fault.truncated(b"{", declared_length=10),
        Fault.respond(201, b"not json"),
        Fault.respond(201, {"id": ["sess_1"]}),
        Fault.delay(5),
    ]
    errors: list[QoderError] = []
    for fault in scripted:
        server.inject(fault, times=2)
        try:
            await client.sessions.create(agent=AGENT, environment_id=ENV, timeout=0.3)
        except QoderError as exc:
            errors.append(exc)
        server.clear_faults()
    try:
        await client.sessions.create(agent="agent_x/..", environment_id=ENV)
    except QoderError as exc:
        errors.append(exc)
    return errors


async def test_the_token_is_in_no_log_record_and_no_exception(caplog) -> None:
    caplog.set_level(logging.DEBUG)
    async with FakeQoderServer(token=TOKEN) as server:
        hooks = Hooks(on_request=lambda info: 1 / 0)  # a raising hook is logged with a traceback
        async with server.client(retry=FAST, hooks=hooks) as client:
            await client.sessions.create(agent=AGENT, environment_id=ENV)
            errors = await failures(client, server)
        # A response that aiohttp cannot parse: its exception keeps the request headers.
        async with (
            ScriptedServer([raw(b"HTTP/1.1 abc\r\n\r\n")] * 2) as scripted,
            scripted.client(retry=FAST) as other,
        ):
            with pytest.raises(APIConnectionError) as caught:
                await other.sessions.create(agent=AGENT, environment_id=ENV)
            errors.append(caught.value)
    assert server.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert len(errors) == 9, errors
    assert {type(e).__name__ for e in errors} >= {
        "AuthenticationError",
        "InternalServerError",
        "APIConnectionError",
        "APIResponseValidationError",
        "APITimeoutError",
        "InvalidParameterError",
    }
    for error in errors:
        for text in texts_of(error):
            assert TOKEN not in text, text[:300]
    assert caplog.records, "the scenario logs at DEBUG and WARNING"
    for record in caplog.records:
        assert TOKEN not in record.getMessage()
        assert TOKEN not in repr(record.args)
        if record.exc_info:
            assert TOKEN not in "".join(traceback.format_exception(*record.exc_info))


async def test_the_token_is_in_no_repr_or_str() -> None:
    async def provider() -> str:
        return TOKEN

    async with FakeQoderServer(token=TOKEN) as server:
        for api_key in (TOKEN, provider):
            client = server.client(api_key=api_key)
            view = client.with_options(timeout=3, api_key=TOKEN)
            raw_response = await client.sessions.with_raw_response.create(
                agent=AGENT, environment_id=ENV
            )
            objects = [
                client,
                view,
                client.transport,
                client.sessions,
                raw_response,
                RetryPolicy(),
                Hooks(),
            ]
            for obj in objects:
                assert TOKEN not in repr(obj) and TOKEN not in str(obj), repr(obj)
            await client.aclose()
            assert TOKEN not in repr(client)


# -- TLS ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    pair = self_signed_certificate(tmp_path_factory.mktemp("tls"))
    if pair is None:
        pytest.skip("the openssl command is not installed")
    return pair


def tls_server(certificate: tuple[Path, Path]) -> ScriptedServer:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return ScriptedServer(ssl_context=context)


async def test_tls_verification_is_on_by_default(certificate, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="qoder_async")
    async with tls_server(certificate) as server:
        assert server.base_url.startswith("https://")
        async with server.client(retry=RetryPolicy.disabled()) as client:
            with pytest.raises(APIConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
                await client.sessions.create(agent=AGENT, environment_id=ENV)
        assert server.requests == []  # the handshake failed: no header, no token was sent
    assert not [r for r in caplog.records if "verification" in r.getMessage()]


async def test_a_certificate_failure_is_not_retried(certificate) -> None:
    seen: list[RetryInfo] = []
    server = tls_server(certificate)
    async with server, server.client(hooks=Hooks(on_retry=seen.append)) as client:
        with pytest.raises(APIConnectionError) as caught:
            await client.sessions.create(agent=AGENT, environment_id=ENV)
    assert caught.value.retryable is False
    assert seen == []  # the default policy would retry a transient failure twice


async def test_a_trusted_context_verifies_and_does_not_warn(certificate, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="qoder_async")
    trusted = ssl.create_default_context(cafile=str(certificate[0]))
    async with tls_server(certificate) as server, server.client(verify_ssl=trusted) as client:
        await client.sessions.create(agent=AGENT, environment_id=ENV)
        assert server.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert not [r for r in caplog.records if "verification" in r.getMessage()]


async def test_turning_verification_off_is_explicit_and_logged(certificate, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="qoder_async")
    async with tls_server(certificate) as server, server.client(verify_ssl=False) as client:
        await client.sessions.create(agent=AGENT, environment_id=ENV)
        [warning] = [r for r in caplog.records if "verification is disabled" in r.getMessage()]
        assert warning.levelno == logging.WARNING
        assert f"https://127.0.0.1:{server.port}" in warning.getMessage()
        assert TOKEN not in warning.getMessage()


@pytest.mark.parametrize("value", [0, "false", "no", None])
def test_verify_ssl_accepts_only_a_bool_or_a_context(value) -> None:
    with pytest.raises(TypeError, match="verify_ssl"):
        AsyncQoder(api_key=TOKEN, verify_ssl=value)


# -- clear-text HTTP ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://api.qoder.com/api/v1/cloud",
        "http://openapi.qoder.sh/api/v1/cloud",
        "http://10.0.0.7:8080/api",
        "http://0.0.0.0:8080/api",
        "http://127.0.0.1.nip.io/api",
        "http://localhost.example.com/api",
        "HTTP://API.QODER.COM/api",
    ],
)
def test_plain_http_to_another_host_is_refused(url, monkeypatch) -> None:
    with pytest.raises(InvalidParameterError, match="allow_insecure_http") as caught:
        AsyncQoder(api_key=TOKEN, base_url=url)
    assert caught.value.field == "base_url"
    assert TOKEN not in str(caught.value)
    monkeypatch.setenv("QODER_BASE_URL", url)
    with pytest.raises(InvalidParameterError, match="base_url"):
        AsyncQoder(api_key=TOKEN)
    AsyncQoder(api_key=TOKEN, base_url=url, allow_insecure_http=True)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/api",
        "http://127.10.0.3/api",
        "http://localhost:1/api",
        "http://[::1]:1/",
    ],
)
def test_plain_http_to_loopback_is_allowed(url) -> None:
    AsyncQoder(api_key=TOKEN, base_url=url)


def test_allow_insecure_http_must_be_a_real_bool() -> None:
    with pytest.raises(TypeError, match="allow_insecure_http"):
        AsyncQoder(api_key=TOKEN, base_url="http://api.qoder.com/", allow_insecure_http="yes")


# -- redirects ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirect_to_another_origin_never_receives_the_token(status) -> None:
    async with FakeQoderServer(token=TOKEN) as elsewhere:
        target = f"{elsewhere.base_url}/sessions"
        async with (
            ScriptedServer([redirect(status, target)] * 5) as api,
            api.client(retry=FAST) as client,
        ):
            with pytest.raises(APIStatusError) as caught:
                await client.sessions.create(agent=AGENT, environment_id=ENV)
            assert len(api.requests) == 1  # a 3xx is final: not followed, not retried
        assert elsewhere.requests == [] and elsewhere.connection_count == 0
    error = caught.value
    assert error.status_code == status
    assert "not followed" in str(error) and target in str(error)
    assert error.headers["Location"] == target


async def test_a_same_origin_redirect_is_not_followed_either() -> None:
    async with ScriptedServer() as api:
        api.script.append(redirect(307, f"{api.base_url}/sessions/elsewhere"))
        async with api.client(retry=FAST) as client:
            with pytest.raises(APIStatusError, match="redirect"):
                await client.sessions.create(agent=AGENT, environment_id=ENV)
            assert [r.path for r in api.requests] == ["/api/v1/cloud/sessions"]
            await client.sessions.create(agent=AGENT, environment_id=ENV)


# -- what servers say is echoed, briefly ---------------------------------------------------

HUGE = 1_000_000


@pytest.mark.parametrize(
    ("fault", "error_class"),
    [
        (
            Fault.respond(400, {"error": {"type": "invalid_request_error", "message": "m" * HUGE}}),
            APIStatusError,
        ),
        (
            Fault.respond(400, {"error": {"type": "t" * HUGE, "message": "m", "code": "c" * HUGE}}),
            APIStatusError,
        ),
        (
            Fault.respond(502, b"<html>" + b"x" * HUGE + b"</html>", content_type="text/html"),
            InternalServerError,
        ),
        (Fault.respond(404, b"x" * HUGE, content_type=None), APIStatusError),
        (Fault.status_error(409, headers={"x-request-id": "r" * 7000}), APIStatusError),
        (Fault.respond(201, b"{" + b"x" * HUGE), APIResponseValidationError),
        (
            Fault.respond(201, {"id": "sess_1", "created_at": "y" * HUGE}),
            APIResponseValidationError,
        ),
    ],
    ids=[
        "message",
        "type and code",
        "html page",
        "text body",
        "request id header",
        "bad json",
        "bad shape",
    ],
)
async def test_echoed_headers_and_bodies_are_truncated(fault, error_class) -> None:
    async with FakeQoderServer(token=TOKEN) as server, server.client(retry=FAST) as client:
        server.inject(fault, times=3)
        with pytest.raises(error_class) as caught:
            await client.sessions.create(agent=AGENT, environment_id=ENV)
    error = caught.value
    assert len(str(error)) < 1_500
    assert len(repr(error)) < 1_500
    assert len(error.message) < 1_000
    if isinstance(error, APIResponseValidationError) or isinstance(error.body, str):
        assert len(error.body) < 1_000


async def test_a_huge_location_header_is_truncated() -> None:
    location = "https://elsewhere.example/" + "p" * 7000
    async with ScriptedServer([redirect(302, location)]) as api, api.client() as client:
        with pytest.raises(APIStatusError) as caught:
            await client.sessions.create(agent=AGENT, environment_id=ENV)
    assert len(str(caught.value)) < 1_000


async def test_transport_errors_are_truncated() -> None:
    long_reason = b"HTTP/1.1 200 " + b"r" * 6000 + b"\r\nContent-Length: 2\r\n\r\n{}"
    async with ScriptedServer([raw(long_reason), ok()]) as api, api.client(retry=FAST) as client:
        with pytest.raises(APIError) as caught:
            await client.sessions.create(agent=AGENT, environment_id=ENV)
    assert len(str(caught.value)) < 1_000
