"""Bad input raises before a single byte is sent, naming the field."""

from __future__ import annotations

import pytest
from conftest import AGENT, ENV

from qoder_async import InvalidParameterError, ParameterTypeError, user_message

pytestmark = pytest.mark.anyio

DAY = "2026-01-01T00:00:00Z"


CASES = [
    ({"agent": "ag_123"}, "agent", InvalidParameterError),
    ({"agent": "agent_"}, "agent", InvalidParameterError),
    ({"agent": "agent_x/../../admin"}, "agent", InvalidParameterError),
    ({"agent": 123}, "agent", ParameterTypeError),
    ({"agent": {"id": "nope"}}, "agent.id", InvalidParameterError),
    ({"agent": {"id": AGENT, "type": "tool"}}, "agent.type", InvalidParameterError),
    ({"agent": {"id": AGENT, "version": "3"}}, "agent.version", ParameterTypeError),
    ({"agent": {"id": AGENT, "version": -1}}, "agent.version", InvalidParameterError),
    ({"agent": {"id": AGENT, "colour": "red"}}, "agent", InvalidParameterError),
    ({"environment_id": "environment_1"}, "environment_id", InvalidParameterError),
    ({"environment_id": None}, "environment_id", ParameterTypeError),
    ({"environment_id": "env_a b"}, "environment_id", InvalidParameterError),
    ({"title": 5}, "title", ParameterTypeError),
    ({"title": "x" * 1001}, "title", InvalidParameterError),
    ({"metadata": ["a"]}, "metadata", ParameterTypeError),
    ({"metadata": {1: "a"}}, "metadata", ParameterTypeError),
    ({"metadata": {"a": 1}}, "metadata['a']", ParameterTypeError),
    ({"metadata": {f"k{i}": "v" for i in range(17)}}, "metadata", InvalidParameterError),
    ({"metadata": {"k" * 65: "v"}}, f"metadata[{'k' * 40!r}]", InvalidParameterError),
    ({"metadata": {"k": "v" * 513}}, "metadata['k']", InvalidParameterError),
    ({"delta_flush_interval_ms": 49}, "delta_flush_interval_ms", InvalidParameterError),
    ({"delta_flush_interval_ms": 5001}, "delta_flush_interval_ms", InvalidParameterError),
    ({"delta_flush_interval_ms": 100.0}, "delta_flush_interval_ms", ParameterTypeError),
    ({"delta_flush_interval_ms": True}, "delta_flush_interval_ms", ParameterTypeError),
    ({"memory_store_ids": "memstore_1"}, "memory_store_ids", ParameterTypeError),
    ({"memory_store_ids": ["ok", 3]}, "memory_store_ids[1]", ParameterTypeError),
    ({"vault_ids": [None]}, "vault_ids[0]", ParameterTypeError),
    ({"resources": {"type": "file"}}, "resources", ParameterTypeError),
    ({"resources": ["file_1"]}, "resources[0]", ParameterTypeError),
    ({"environment_variables": ["A=1"]}, "environment_variables", ParameterTypeError),
    ({"environment_variables": {1: "x"}}, "environment_variables", ParameterTypeError),
    ({"environment_variables": {"A": 1}}, "environment_variables['A']", ParameterTypeError),
    ({"environment_variables": {"A": None}}, "environment_variables['A']", ParameterTypeError),
    (
        {"environment_variables": {"A=B": "x"}},
        "environment_variables['A=B']",
        InvalidParameterError,
    ),
    ({"environment_variables": {"": "x"}}, "environment_variables['']", InvalidParameterError),
    (
        {"environment_variables": {"A": "x\x00"}},
        "environment_variables['A']",
        InvalidParameterError,
    ),
    ({"initial_events": "hello"}, "initial_events", ParameterTypeError),
    ({"initial_events": user_message("hi")}, "initial_events", ParameterTypeError),
    ({"initial_events": {"type": "user.message"}}, "initial_events", ParameterTypeError),
    ({"initial_events": ["hello"]}, "initial_events[0]", ParameterTypeError),
    (
        {"initial_events": [{"type": "user.interrupt"}]},
        "initial_events[0].type",
        InvalidParameterError,
    ),
    (
        {"initial_events": [{"type": "system.message"}]},
        "initial_events[0].type",
        InvalidParameterError,
    ),
    (
        {"initial_events": [{"type": "user.message"}]},
        "initial_events[0].content",
        InvalidParameterError,
    ),
    (
        {"initial_events": [{"type": "user.message", "content": 5}]},
        "initial_events[0].content",
        ParameterTypeError,
    ),
    (
        {"initial_events": [{"type": "user.message", "content": ""}]},
        "initial_events[0].content",
        InvalidParameterError,
    ),
    (
        {"initial_events": [{"type": "user.define_outcome", "description": 1}]},
        "initial_events[0].description",
        ParameterTypeError,
    ),
    (
        {"initial_events": [{"type": "user.define_outcome", "max_iterations": 21}]},
        "initial_events[0].max_iterations",
        InvalidParameterError,
    ),
    (
        {"initial_events": [{"type": "user.define_outcome", "rubric": {"type": "pdf"}}]},
        "initial_events[0].rubric.type",
        InvalidParameterError,
    ),
    (
        {
            "initial_events": [
                {"type": "user.define_outcome", "rubric": {"type": "file", "file_id": "f_1"}}
            ]
        },
        "initial_events[0].rubric.file_id",
        InvalidParameterError,
    ),
    (
        {"initial_events": [{"type": "user.message", "content": "x", "at": object()}]},
        "initial_events[0]",
        InvalidParameterError,
    ),
    ({"budget": "5.00"}, "budget", ParameterTypeError),
    (
        {"budget": {"type": "limit", "max_credit_cost": 5}},
        "budget.max_credit_cost",
        ParameterTypeError,
    ),
    ({"budget": {"type": None}}, "budget.type", ParameterTypeError),
    ({"budget": {"cap": float("nan")}}, "budget", InvalidParameterError),
    ({"idempotency_key": ""}, "idempotency_key", InvalidParameterError),
    ({"idempotency_key": "a b"}, "idempotency_key", InvalidParameterError),
    ({"idempotency_key": "k\r\nX-Evil: 1"}, "idempotency_key", InvalidParameterError),
    ({"idempotency_key": 7}, "idempotency_key", ParameterTypeError),
    ({"extra_headers": {"Authorization": "Bearer other"}}, "extra_headers", InvalidParameterError),
    ({"extra_headers": {"X-A": "1\r\nX-B: 2"}}, "extra_headers", InvalidParameterError),
]


@pytest.mark.parametrize(("override", "field", "error"), CASES)
async def test_invalid_argument_sends_nothing(fake_qoder, qoder_client, override, field, error):
    arguments = {"agent": AGENT, "environment_id": ENV, **override}
    with pytest.raises(error) as caught:
        await qoder_client.sessions.create(**arguments)
    assert caught.value.field == field
    assert field.split("[")[0].split(".")[0] in str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert fake_qoder.requests == []


async def test_type_errors_are_also_type_error(qoder_client) -> None:
    with pytest.raises(TypeError):
        await qoder_client.sessions.create(agent=AGENT, environment_id=42)


async def test_missing_required_argument_is_a_plain_type_error(qoder_client) -> None:
    with pytest.raises(TypeError):
        await qoder_client.sessions.create(agent=AGENT)  # type: ignore[call-arg]


UPDATE_CASES = [
    ({"environment_variables": "A=1"}, "environment_variables", ParameterTypeError),
    ({"environment_variables": {"A": 1}}, "environment_variables['A']", ParameterTypeError),
    (
        {"environment_variables": {"A=B": "1"}},
        "environment_variables['A=B']",
        InvalidParameterError,
    ),
    ({"agent": "agent_1"}, "agent", ParameterTypeError),
    ({"agent": None}, "agent", ParameterTypeError),
    ({"agent": {"model": "m"}}, "agent", InvalidParameterError),
    ({"agent": {"tools": {"type": "bash"}}}, "agent.tools", ParameterTypeError),
    ({"agent": {"mcp_servers": ["https://mcp"]}}, "agent.mcp_servers[0]", ParameterTypeError),
    ({"budget": ["limit"]}, "budget", ParameterTypeError),
    ({"budget": {"max_credit_cost": 1.5}}, "budget.max_credit_cost", ParameterTypeError),
    ({"vault_ids": "vault_1"}, "vault_ids", ParameterTypeError),
    ({"vault_ids": None}, "vault_ids", ParameterTypeError),
    ({"vault_ids": ["vault_1", ""]}, "vault_ids[1]", ParameterTypeError),
]


@pytest.mark.parametrize(("kwargs", "field", "error"), UPDATE_CASES)
async def test_invalid_update_sends_nothing(fake_qoder, qoder_client, kwargs, field, error):
    with pytest.raises(error) as caught:
        await qoder_client.sessions.update("sess_1", **kwargs)
    assert caught.value.field == field
    assert fake_qoder.requests == []


LIST_CASES = [
    ({"agent_version": "3"}, "agent_version", ParameterTypeError),
    ({"agent_version": True}, "agent_version", ParameterTypeError),
    ({"agent_version": 0}, "agent_version", InvalidParameterError),
    ({"deployment_id": 7}, "deployment_id", ParameterTypeError),
    ({"deployment_id": ""}, "deployment_id", InvalidParameterError),
    ({"deployment_id": "dep/../agents"}, "deployment_id", InvalidParameterError),
    ({"memory_store_id": "store_1"}, "memory_store_id", InvalidParameterError),
    ({"memory_store_id": ["memstore_1"]}, "memory_store_id", ParameterTypeError),
    ({"agent_id": "ag_1"}, "agent_id", InvalidParameterError),
    ({"created_at_gte": 1_700_000_000}, "created_at[gte]", ParameterTypeError),
    ({"created_at_lt": ""}, "created_at[lt]", ParameterTypeError),
    ({"created_at": {"gte": DAY}, "created_at_gte": DAY}, "created_at_gte", InvalidParameterError),
    ({"created_at": "2020"}, "created_at", ParameterTypeError),
    ({"created_at": {"after": DAY}}, "created_at", InvalidParameterError),
]


@pytest.mark.parametrize(("kwargs", "field", "error"), LIST_CASES)
async def test_invalid_list_filter_sends_nothing(fake_qoder, qoder_client, kwargs, field, error):
    with pytest.raises(error) as caught:
        qoder_client.sessions.list(**kwargs)  # checked when called, before any iteration
    assert caught.value.field == field
    assert fake_qoder.requests == []
