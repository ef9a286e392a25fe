"""A vault credential's secrets travel in request bodies and nowhere else: not in reprs (of
models, raw responses, requests, bodies), not in logs or hook payloads, not in the errors
raised when a server echoes the request back, not in our own argument errors. And what
archiving, deleting and updating vaults and credentials do."""

from __future__ import annotations

import json
import logging
import traceback
from typing import Any

import pytest
from conftest import FAST_RETRY

from qoder_async import (
    APIResponseValidationError,
    AsyncQoder,
    BadRequestError,
    ConflictError,
    Credential,
    CredentialValidation,
    ErrorInfo,
    Hooks,
    InternalServerError,
    InvalidParameterError,
    NotFoundError,
    RawResponse,
    RetryInfo,
)
from qoder_async._call import EncodedBody
from qoder_async._multipart import field_part, form_body
from qoder_async.testing import FakeQoderServer, Fault

pytestmark = pytest.mark.anyio

SECRET = 's3cr3t-Tok\u00e9n"quoted'
OAUTH = {
    "type": "mcp_oauth",
    "access_token": SECRET,
    "mcp_server_url": "https://mcp.example/sse",
    "refresh": {
        "client_id": "client-1",
        "refresh_token": SECRET + "-refresh",
        "token_endpoint": "https://auth.example/token",
        "token_endpoint_auth": {"type": "client_secret_post", "client_secret": SECRET + "-cs"},
    },
}


def leaks(*texts: object) -> list[str]:
    """Every text among ``texts`` (as ``str``) holding a secret, in any of its spellings."""
    spellings = {SECRET, json.dumps(SECRET)[1:-1], json.dumps(SECRET, ensure_ascii=True)[1:-1]}
    spellings |= {"s3cr3t"}  # any part of it at all
    return [str(text) for text in texts if any(s in str(text) for s in spellings)]


def error_texts(error: BaseException) -> list[Any]:
    """What a user or a log could see of an error: str, repr, attributes, traceback."""
    texts: list[Any] = [str(error), repr(error), error.args]
    texts += [getattr(error, name, None) for name in ("message", "param", "request_id")]
    body = getattr(error, "body", None)
    texts += [body, json.dumps(body) if not isinstance(body, str) else body]
    texts += traceback.format_exception(error)
    return texts


@pytest.fixture
async def vault(qoder_client: AsyncQoder) -> str:
    return (await qoder_client.vaults.create(display_name="ci")).id


async def test_models_and_raw_responses_never_show_a_secret(
    fake_qoder: FakeQoderServer, qoder_client: AsyncQoder, vault: str
) -> None:
    credentials = qoder_client.vaults.credentials
    raw = await credentials.with_raw_response.create(vault, auth=OAUTH, display_name="mcp")
    assert isinstance(raw, RawResponse)
    credential = raw.parse()
    assert isinstance(credential, Credential) and credential.auth is not None
    assert credential.auth.refresh is not None and credential.auth.refresh.client_id == "client-1"
    validation = await credentials.mcp_oauth_validate(credential.id, vault_id=vault)
    assert isinstance(validation, CredentialValidation) and validation.has_refresh_token
    assert validation.refresh is not None and validation.refresh.http_response is not None
    # The probed token endpoint's answer holds a token: kept, but out of the repr.
    assert "access_token" in (validation.refresh.http_response.body or "")
    assert "fake-refreshed" not in repr(validation)
    listed = [c async for c in credentials.list(vault)]
    assert not leaks(repr(raw), raw.content, repr(credential), repr(listed), repr(validation))
    # Only the request body carried them.
    sent = fake_qoder.requests_to("POST", f"/vaults/{vault}/credentials")[0]
    assert json.loads(sent.body)["auth"] == OAUTH


async def test_an_error_echoing_the_request_is_cleaned_before_anyone_sees_it(
    fake_qoder: FakeQoderServer, vault: str, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[Any] = []
    hooks = Hooks(on_retry=lambda info: seen.append(info), on_error=lambda info: seen.append(info))
    echo = {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": f"bad token {SECRET!r}"},
        "request": {"auth": OAUTH},
    }
    path = f"/vaults/{vault}/credentials"
    fake_qoder.inject(Fault.respond(503, echo), path=path)  # retried: a hook sees it
    fake_qoder.inject(Fault.respond(400, echo), path=path)
    caplog.set_level(logging.DEBUG, logger="qoder_async")
    async with fake_qoder.client(hooks=hooks, retry=FAST_RETRY) as client:
        with pytest.raises(BadRequestError) as caught:
            await client.vaults.credentials.create(vault, auth=OAUTH)
    error = caught.value
    assert "<redacted>" in error.message and error.body["request"]["auth"]["access_token"] == (
        "<redacted>"
    )
    retried = next(info for info in seen if isinstance(info, RetryInfo))
    failed = next(info for info in seen if isinstance(info, ErrorInfo))
    assert isinstance(retried.error, InternalServerError) and failed.error is error
    texts = error_texts(error) + error_texts(retried.error) + [repr(seen), caplog.text]
    assert not leaks(*texts)


async def test_a_malformed_success_echoing_a_secret_is_cleaned(
    fake_qoder: FakeQoderServer, qoder_client: AsyncQoder, vault: str
) -> None:
    created = await qoder_client.vaults.credentials.create(vault, auth=OAUTH)
    rotated = {"type": "mcp_oauth", "access_token": SECRET}
    echo = {"id": {"not": "a string"}, "auth": rotated}
    fake_qoder.inject(Fault.respond(200, echo))
    with pytest.raises(APIResponseValidationError) as caught:
        await qoder_client.vaults.credentials.update(created.id, vault_id=vault, auth=rotated)
    assert "<redacted>" in caught.value.body
    assert not leaks(*error_texts(caught.value))


async def test_our_own_argument_errors_never_quote_auth(qoder_client: AsyncQoder) -> None:
    bad = [
        [("token", SECRET)],  # not a mapping
        {"token": SECRET},  # no type
        {"type": "static_bearer", "token": {SECRET}},  # not JSON
        {"type": "static_bearer", "token": float("nan"), "x": SECRET},
    ]
    for auth in bad:
        with pytest.raises(InvalidParameterError) as caught:
            await qoder_client.vaults.credentials.create("vault_1", auth=auth)
        assert not leaks(*error_texts(caught.value))


async def test_request_side_objects_never_show_a_body(
    fake_qoder: FakeQoderServer, qoder_client: AsyncQoder
) -> None:
    sent: list[Any] = []

    class Recording:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        async def send(self, request: Any) -> Any:
            sent.append(request)
            return await self.inner.send(request)

        async def aclose(self) -> None:
            await self.inner.aclose()

    requester = qoder_client._requester
    call = requester.prepare("POST", "/vaults/vault_1/credentials", body={"auth": OAUTH},
                             secrets=(SECRET,))  # fmt: skip
    body, _ = form_body([field_part("auth", OAUTH)], {})
    encoded = EncodedBody(json.dumps(OAUTH).encode(), "application/json", 1)
    async with AsyncQoder(
        api_key=fake_qoder.token,
        base_url=qoder_client.base_url,
        transport=Recording(qoder_client.transport),
    ) as client:
        with pytest.raises(NotFoundError):
            await client.vaults.credentials.create("vault_1", auth=OAUTH)
    assert sent and not leaks(repr(call), repr(body), repr(encoded), repr(sent), repr(client))


async def test_archive_delete_and_update_rules(qoder_client: AsyncQoder, vault: str) -> None:
    vaults, credentials = qoder_client.vaults, qoder_client.vaults.credentials
    kept = await vaults.create(display_name="kept")
    archived = await vaults.archive(vault)
    assert archived.archived_at is not None
    assert [v.id async for v in vaults.list()] == [kept.id]
    assert {v.id async for v in vaults.list(include_archived=True)} == {vault, kept.id}
    with pytest.raises(ConflictError):
        await vaults.archive(vault)

    credential = await credentials.create(kept.id, auth=OAUTH, metadata={"a": "1", "b": "2"})
    changed = await credentials.update(credential.id, vault_id=kept.id, metadata={"a": None})
    assert changed.metadata == {"b": "2"}
    cleared = await credentials.update(credential.id, vault_id=kept.id, metadata=None)
    assert cleared.metadata == {}
    for auth in ({"type": "static_bearer", "token": "t"}, {**OAUTH, "mcp_server_url": "x"}):
        with pytest.raises(BadRequestError):
            await credentials.update(credential.id, vault_id=kept.id, auth=auth)
    with pytest.raises(NotFoundError):  # a credential is reached through its own vault only
        await credentials.retrieve(credential.id, vault_id=vault)
    await credentials.archive(credential.id, vault_id=kept.id)
    assert [c.id async for c in credentials.list(kept.id)] == []

    gone = await vaults.delete(kept.id)
    assert (gone.id, gone.type) == (kept.id, "vault_deleted")
    with pytest.raises(NotFoundError):
        await credentials.retrieve(credential.id, vault_id=kept.id)
