"""The arguments of ``sessions.create``: their checks and the JSON body they make.

Shared by ``client.sessions.create`` and ``create_many``'s batch items, which is why it
lives apart from both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from ._errors import InvalidParameterError, ParameterTypeError
from ._models.inbound import UserMessage
from ._models.session import AgentRef
from ._validation import (
    check_agent,
    check_budget,
    check_environment_variables,
    check_id,
    check_id_list,
    check_initial_events,
    check_int_range,
    check_metadata,
    check_optional_str,
    check_resources,
)

__all__ = ["CREATE_FIELDS", "SessionCreateParams", "item_arguments", "session_create_body"]

#: The parameters of ``sessions.create`` that go into the body.
CREATE_FIELDS = (
    "agent",
    "environment_id",
    "title",
    "metadata",
    "delta_flush_interval_ms",
    "memory_store_ids",
    "resources",
    "vault_ids",
    "environment_variables",
    "initial_events",
    "budget",
)


@attrs.frozen
class SessionCreateParams:
    """The arguments of one :meth:`AsyncSessionsAPI.create` call, as an item of a batch.

    The fields are ``create``'s, checked the same way when the batch reaches the item: a bad
    item becomes a failed :class:`BulkResult` (nothing is sent), it does not stop the batch.
    ``idempotency_key`` set here wins over the batch's ``key_fn``. ``environment_variables``,
    ``initial_events`` and ``budget`` are keyword-only (positional construction keeps the
    order it always had).

    Example::

        items = (
            SessionCreateParams(agent="agent_01", environment_id="env_01", title=f"job {n}")
            for n in range(10_000)
        )
        async for result in client.sessions.create_many(items):
            ...
    """

    agent: str | AgentRef | Mapping[str, Any]
    environment_id: str
    title: str | None = None
    metadata: Mapping[str, str] | None = None
    delta_flush_interval_ms: int | None = None
    memory_store_ids: Sequence[str] | None = None
    resources: Sequence[Mapping[str, Any]] | None = None
    vault_ids: Sequence[str] | None = None
    idempotency_key: str | None = None
    environment_variables: Mapping[str, str] | None = attrs.field(default=None, kw_only=True)
    initial_events: Sequence[UserMessage | Mapping[str, Any]] | None = attrs.field(
        default=None, kw_only=True
    )
    budget: Mapping[str, Any] | None = attrs.field(default=None, kw_only=True)


def session_create_body(
    agent: object,
    environment_id: object,
    title: object = None,
    metadata: object = None,
    delta_flush_interval_ms: object = None,
    memory_store_ids: object = None,
    resources: object = None,
    vault_ids: object = None,
    environment_variables: object = None,
    initial_events: object = None,
    budget: object = None,
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
    if environment_variables is not None:
        body["environment_variables"] = check_environment_variables(environment_variables)
    if initial_events is not None:
        body["initial_events"] = check_initial_events(initial_events)
    if budget is not None:
        body["budget"] = check_budget(budget)
    return body


_ITEM_FIELDS = frozenset((*CREATE_FIELDS, "idempotency_key"))


def item_arguments(index: int, item: object) -> tuple[Mapping[str, Any], str | None]:
    """A batch item's ``create`` arguments and its own idempotency key, checked like ``create``
    checks them (so that a bad item fails before it takes a slot in the batch)."""
    kwargs: Mapping[str, Any]
    key: str | None
    if type(item) is dict or isinstance(item, Mapping):  # the exact type test is the cheap one
        if not _ITEM_FIELDS.issuperset(item):
            unknown = sorted(str(name) for name in item if name not in _ITEM_FIELDS)
            raise InvalidParameterError(unknown[0], "is not a sessions.create parameter")
        for required in ("agent", "environment_id"):
            if required not in item:
                raise InvalidParameterError(required, "is required")
        if "idempotency_key" in item:
            kwargs = dict(item)
            key = kwargs.pop("idempotency_key")
        else:
            kwargs, key = item, None  # read, never modified
    elif isinstance(item, SessionCreateParams):
        kwargs = {name: getattr(item, name) for name in CREATE_FIELDS}
        key = item.idempotency_key
    else:
        raise ParameterTypeError(
            "items",
            f"item {index}: expected a mapping or SessionCreateParams, got {type(item).__name__}",
        )
    session_create_body(**kwargs)
    return kwargs, key


attrs.resolve_types(SessionCreateParams)
