"""Every failure surfaces as one typed error; nothing foreign escapes."""

from __future__ import annotations

import pytest
from conftest import AGENT, ENV

from qoder_async import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    QoderError,
    RateLimitError,
    UnprocessableEntityError,
)
from qoder_async.testing import Fault

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (405, APIStatusError),
        (409, ConflictError),
        (410, APIStatusError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, InternalServerError),
        (502, InternalServerError),
        (503, InternalServerError),
        (599, InternalServerError),
    ],
)
async def test_status_maps_to_class(fake_qoder, qoder_client, status, error_class) -> None:
    fake_qoder.inject(Fault.status_error(status, error_type="x_error", message="nope"), times=5)
    with pytest.raises(error_class) as caught:
        await qoder_client.sessions.create(agent=AGENT, environment_id=ENV)
    error = caught.value
    assert type(error) is error_class
    assert error.status_code == status
    assert error.type == "x_error" and error.message == "nope"
    assert (
        error.request_id == fake_qoder.requests[-1].headers.get("x-request-id") or error.request_id
    )
    assert error.headers["x-request-id"] == error.request_id


async def test_error_hierarchy() -> None:
    assert issubclass(APIStatusError, QoderError)
    assert issubclass(APIResponseValidationError, QoderError)
    assert issubclass(APIConnectionError, QoderError)


async def test_real_server_401_for_a_wrong_token(fake_qoder) -> None:
    async with fake_qoder.client(api_key="pt-wrong") as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.sessions.create(agent=AGENT, environment_id=ENV)
    assert caught.value.message == "Invalid API key or token."
    assert len(fake_qoder.requests) == 1


async def test_real_server_409_on_reused_key_with_other_body(fake_qoder, qoder_client) -> None:
    await qoder_client.sessions.create(agent=AGENT, environment_id=ENV, idempotency_key="k")
    with pytest.raises(ConflictError) as caught:
        await qoder_client.sessions.create(
            agent=AGENT, environment_id=ENV, title="other", idempotency_key="k"
        )
    assert caught.value.type == "conflict_error"
    assert "Idempotency key reused" in caught.value.message
    assert len(fake_qoder.requests) == 2


async def test_html_502_from_a_proxy_gives_a_useful_message(fake_qoder, qoder_client) -> None:
    page = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    fake_qoder.inject(Fault.respond(502, page, content_type="text/html"), times=3)
    with pytest.raises(InternalServerError) as caught:
        await qoder_client.sessions.create(agent=AGENT, environment_id=ENV)
    assert "502 Bad Gateway" in str(caught.value)
    assert caught.value.type is None
    assert isinstance(caught.value.body, str)


async def test_empty_error_body(fake_qoder, qoder_client) -> None:
    fake_qoder.inject(Fault.respond(403, b"", content_type=None))
    with pytest.raises(PermissionDeniedError, match="empty body"):
        await qoder_client.sessions.create(agent=AGENT, environment_id=ENV)


async def test_huge_error_bodies_are_truncated_in_messages(fake_qoder, qoder_client) -> None:
    fake_qoder.inject(Fault.respond(400, {"error": {"message": "x" * 100_000}}))
    with pytest.raises(BadRequestError) as caught:
        await qoder_client.sessions.create(agent=AGENT, environment_id=ENV)
    assert len(str(caught.value)) < 1_000


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"<html>ok</html>",
        b"[1, 2]",
        b'{"status": "idle"}',
        b'{"id": null}',
        b"",
        b'{"id": {"nested": 1}}',
        b'{"id": "sess_1", "created_at": "yesterday"}',
        b'{"id": "sess_1", "agent": "agent_1"}',
        b'{"id": "sess_1", "vault_ids": "vault_1"}',
        b"\xff\xfe\x00garbage",
    ],
)
async def test_2xx_with_bad_body_is_a_validation_error(fake_qoder, qoder_client, body) -> None:
    fake_qoder.inject(Fault.respond(201, body))
    with pytest.raises(APIResponseValidationError) as caught:
        await qoder_client.sessions.create(agent=AGENT, environment_id=ENV)
    assert caught.value.status_code == 201
    assert caught.value.request_id is not None
    assert len(fake_qoder.requests) == 1  # a bad 2xx is never retried: it may have taken effect


async def test_connection_refused_is_a_connection_error() -> None:
    from qoder_async import AsyncQoder, RetryPolicy

    async with AsyncQoder(
        api_key="pt-x", base_url="http://127.0.0.1:9/api", retry=RetryPolicy.disabled()
    ) as client:
        with pytest.raises(APIConnectionError) as caught:
            await client.sessions.create(agent=AGENT, environment_id=ENV)
    assert "POST /sessions" in str(caught.value)
