"""Bad input raises before a single byte is sent, naming the field."""

from __future__ import annotations

import pytest
from conftest import AGENT, ENV

from qoder_async import InvalidParameterError, ParameterTypeError

pytestmark = pytest.mark.anyio


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
