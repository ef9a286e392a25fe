"""Every published payload that ``create`` can receive, served verbatim, parses."""

from __future__ import annotations

import json

import pytest
from conftest import AGENT, ENV, SAMPLES, SHARED_SAMPLES, sample

from qoder_async import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    Session,
)
from qoder_async.testing import Fault

pytestmark = pytest.mark.anyio


SESSION_SAMPLES = sorted(p.name for p in SAMPLES.glob("session.*.json"))


def test_the_copy_matches_shared_samples() -> None:
    if not SHARED_SAMPLES.is_dir():
        pytest.skip("shared/ is not beside this checkout")
    for path in SHARED_SAMPLES.iterdir():
        assert (SAMPLES / path.name).read_bytes() == path.read_bytes(), path.name


def test_all_forty_samples_are_present() -> None:
    assert len([p for p in SAMPLES.iterdir() if p.name != "SOURCES.md"]) == 40


@pytest.mark.parametrize("name", SESSION_SAMPLES)
async def test_session_sample_parses(fake_qoder, qoder_client, name: str) -> None:
    raw = sample(name)
    fake_qoder.inject(Fault.respond(201, raw))
    session = await qoder_client.sessions.create(agent=AGENT, environment_id=ENV)
    published = json.loads(raw)
    assert isinstance(session, Session)
    assert session.id == published["id"]
    assert session.status == published.get("status")
    if "agent" in published and "id" in published["agent"]:
        assert session.agent is not None and session.agent.id == published["agent"]["id"]
    if "created_at" in published:
        assert session.created_at is not None and session.created_at.tzinfo is not None


async def test_v1_agent_model_is_a_string_v3_an_object(fake_qoder, qoder_client) -> None:
    fake_qoder.inject(Fault.respond(201, sample("session.create.v1-docs.ja.json")))
    fake_qoder.inject(Fault.respond(201, sample("session.create.v3-docs.json")))
    v1 = await qoder_client.sessions.create(agent=AGENT, environment_id=ENV)
    v3 = await qoder_client.sessions.create(agent=AGENT, environment_id=ENV)
    assert v1.agent is not None and v1.agent.model == "ultimate"
    assert v3.agent is not None and v3.agent.model_id == "ultimate"
    assert v3.agent.model.effective_context_window == 200000  # type: ignore[union-attr]
    assert v1.usage is not None and v1.usage.cache_creation is not None
    assert v1.usage.cache_creation.ephemeral_1h_input_tokens == 0
    assert v3.usage is not None and v3.usage.total_credits == 0
    assert v3.environment_variables == {"FEATURE_FLAG": "on", "LOG_LEVEL": "debug"}


async def test_nine_digit_fractions(fake_qoder, qoder_client) -> None:
    body = {"id": "sess_1", "created_at": "2026-05-18T03:40:48.888851795Z"}
    fake_qoder.inject(Fault.respond(201, body))
    session = await qoder_client.sessions.create(agent=AGENT, environment_id=ENV)
    assert session.created_at is not None
    assert session.created_at.microsecond == 888851


@pytest.mark.parametrize(
    ("name", "status", "error_class", "error_type"),
    [
        ("error.400.v1-docs.json", 400, BadRequestError, "invalid_request_error"),
        ("error.400.v2-docs.json", 400, BadRequestError, "invalid_request_error"),
        ("error.401.cn-docs.json", 401, AuthenticationError, "authentication_error"),
        ("error.409.sdk-test.json", 409, ConflictError, None),
        ("error.409.v3-blog.json", 409, ConflictError, "invalid_request_error"),
        ("error.envelope-template.v1-docs.json", 501, InternalServerError, "<error_type>"),
        ("error.envelope-template.v1-docs.json", 404, NotFoundError, "<error_type>"),
    ],
)
async def test_error_sample_maps_to_typed_error(
    fake_qoder, qoder_client, name, status, error_class, error_type
) -> None:
    raw = sample(name)
    fake_qoder.inject(Fault.respond(status, raw), times=10)
    with pytest.raises(error_class) as caught:
        await qoder_client.sessions.create(agent=AGENT, environment_id=ENV)
    error = caught.value
    published = json.loads(raw)
    assert isinstance(error, APIStatusError)
    assert error.status_code == status
    assert error.type == error_type
    assert error.message == published["error"]["message"]
    assert error.param == published["error"].get("param")
    assert error.body == published
    # the fake server adds x-request-id; a body request_id never wins over the header
    assert error.request_id is not None


async def test_body_request_id_used_without_header(fake_qoder, qoder_client) -> None:
    fake_qoder.inject(
        Fault.respond(409, sample("error.409.v3-blog.json"), headers={"x-request-id": ""})
    )
    with pytest.raises(ConflictError) as caught:
        await qoder_client.sessions.create(agent=AGENT, environment_id=ENV)
    assert caught.value.request_id == "cb80235f-76a2-4ff3-9e28-5aa2da12dc14"
    assert "cb80235f-76a2-4ff3-9e28-5aa2da12dc14" in str(caught.value)
