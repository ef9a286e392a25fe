"""``client.sessions``: the Sessions endpoints, declared on the request pipeline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .._models._converter import structurer
from .._models.session import AgentRef, Session
from .._pipeline import NOT_GIVEN, NotGiven
from .._validation import (
    check_agent,
    check_id,
    check_id_list,
    check_idempotency_key,
    check_int_range,
    check_metadata,
    check_optional_str,
    check_resources,
)
from ._base import Resource

__all__ = ["AsyncSessionsAPI"]

_session = structurer(Session)


class AsyncSessionsAPI(Resource):
    """Sessions: create (and, as the API grows here, list, retrieve, update, archive, delete).

    Reach it as ``client.sessions``.
    """

    __slots__ = ()

    async def create(
        self,
        *,
        agent: str | AgentRef | Mapping[str, Any],
        environment_id: str,
        title: str | None = None,
        metadata: Mapping[str, str] | None = None,
        delta_flush_interval_ms: int | None = None,
        memory_store_ids: Sequence[str] | None = None,
        resources: Sequence[Mapping[str, Any]] | None = None,
        vault_ids: Sequence[str] | None = None,
        idempotency_key: str | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
    ) -> Session:
        """Create a session (``POST /sessions``); it starts ``idle``.

        Arguments are validated before anything is sent; omitted optional fields are not
        sent at all. The call carries an ``Idempotency-Key`` (a fresh UUID4 unless you pass
        ``idempotency_key``) that every retry repeats, so retries never create a second
        session.

        Example::

            session = await client.sessions.create(
                agent="agent_019e390add9f7bac9b6cc806db46fcbd",
                environment_id="env_019e2590d33f711fabf42f2857cecd8a",
                title="Code review",
                metadata={"ticket": "OPS-42"},
            )
        """
        body = session_create_body(
            agent=agent,
            environment_id=environment_id,
            title=title,
            metadata=metadata,
            delta_flush_interval_ms=delta_flush_interval_ms,
            memory_store_ids=memory_store_ids,
            resources=resources,
            vault_ids=vault_ids,
        )
        if idempotency_key is not None:
            idempotency_key = check_idempotency_key(idempotency_key)
        return await self._pipeline.request(
            "POST",
            "/sessions",
            _session,
            body=body,
            idempotency_key=idempotency_key,
            timeout=timeout,
            extra_headers=extra_headers,
            extra_query=extra_query,
        )


def session_create_body(
    *,
    agent: object,
    environment_id: object,
    title: object = None,
    metadata: object = None,
    delta_flush_interval_ms: object = None,
    memory_store_ids: object = None,
    resources: object = None,
    vault_ids: object = None,
) -> dict[str, Any]:
    """Validate ``create`` arguments and build the JSON body (unset fields left out)."""
    body: dict[str, Any] = {
        "agent": check_agent(agent),
        "environment_id": check_id("environment_id", environment_id, "env_"),
    }
    if title is not None:
        body["title"] = check_optional_str("title", title, 1_000)
    if metadata is not None:
        body["metadata"] = check_metadata(metadata)
    if delta_flush_interval_ms is not None:
        body["delta_flush_interval_ms"] = check_int_range(
            "delta_flush_interval_ms", delta_flush_interval_ms, 50, 5000
        )
    if memory_store_ids is not None:
        body["memory_store_ids"] = check_id_list("memory_store_ids", memory_store_ids)
    if resources is not None:
        body["resources"] = check_resources(resources)
    if vault_ids is not None:
        body["vault_ids"] = check_id_list("vault_ids", vault_ids)
    return body
