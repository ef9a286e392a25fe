"""``client.sessions``: the Sessions endpoints, declared on the send path."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from .._bulk import BulkProgress, BulkResult, create_many
from .._errors import InvalidParameterError, ParameterTypeError
from .._models._converter import response_parser, structurer
from .._models.inbound import UserMessage
from .._models.session import AgentRef, DeletedSession, Session, SessionCancelResult
from .._pagination import AsyncPaginator, page_parser
from .._responses import Parser
from .._send import Requester
from .._session_params import SessionCreateParams, session_create_body
from .._types import NOT_GIVEN, NotGiven
from .._validation import (
    check_agent_patch,
    check_budget,
    check_environment_variables,
    check_id,
    check_id_list,
    check_int_range,
    check_metadata,
    check_optional_str,
)
from ._base import Resource, session_path
from ._common import id_of
from ._listing import check_str_list, list_query
from .events import AsyncEventsAPI
from .session_resources import AsyncSessionResourcesAPI
from .threads import AsyncThreadsAPI

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._options import RequestOptions

__all__ = ["AsyncSessionsAPI"]

_session = response_parser(Session)
_session_page = page_parser(structurer(Session))
#: Deployment ids have no documented prefix: any non-empty, URL-safe string.
_deployment_id = id_of()


class AsyncSessionsAPI(Resource):
    """Sessions: create, retrieve, list, update, archive, delete, cancel; ``events``,
    ``threads`` and ``resources`` below.

    Reach it as ``client.sessions``. Every method also takes the per-call
    :class:`RequestOptions` as keyword arguments (``timeout``, ``max_retries``,
    ``idempotency_key``, ``extra_headers``, ``extra_query``, ``extra_body``).

    Example::

        session = await client.sessions.create(agent="agent_01", environment_id="env_01")
        async for s in client.sessions.list(statuses=["idle"]):
            print(s.id)
        async for thread in client.sessions.threads.list(session.id):
            print(thread.id)
        await client.sessions.resources.add(session.id, file_id="file_01")
    """

    __slots__ = ("events", "resources", "threads")

    events: AsyncEventsAPI
    """A session's events: send, list, stream, run_turn (see :class:`AsyncEventsAPI`)."""
    threads: AsyncThreadsAPI
    """A session's threads and their events (see :class:`AsyncThreadsAPI`)."""
    resources: AsyncSessionResourcesAPI
    """What is mounted in a session (see :class:`AsyncSessionResourcesAPI`)."""

    def __init__(self, requester: Requester) -> None:
        super().__init__(requester)
        self.events = AsyncEventsAPI(requester)
        self.threads = AsyncThreadsAPI(requester)
        self.resources = AsyncSessionResourcesAPI(requester)

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
        environment_variables: Mapping[str, str] | None = None,
        initial_events: Sequence[UserMessage | Mapping[str, Any]] | None = None,
        budget: Mapping[str, Any] | None = None,
        **options: Unpack[RequestOptions],
    ) -> Session:
        """Create a session (``POST /sessions``); it starts ``idle``.

        Arguments are validated before anything is sent; omitted optional fields are not
        sent at all. The call carries an ``Idempotency-Key`` (a fresh UUID4 unless you pass
        ``idempotency_key``) that every retry repeats, so retries never create a second
        session.

        Args:
            agent: an ``agent_...`` id, an :class:`AgentRef` pinning a version, or its dict.
            environment_id: the ``env_...`` id the session runs in.
            title: a display title.
            metadata: up to 16 string keys and values.
            delta_flush_interval_ms: how often streamed previews are flushed (50-5000).
            memory_store_ids: memory stores to attach.
            resources: files or repositories to mount (``{"type": "file", "file_id": ...}``).
            vault_ids: vaults whose credentials the agent may use.
            environment_variables: variables set in the session's sandbox (``str`` names,
                without ``=``, to ``str`` values).
            initial_events: ``user.message`` (e.g. :func:`user_message`) and
                ``user.define_outcome`` events the session starts with; a message starts
                the first turn at once.
            budget: a spending cap, e.g. ``{"type": "limit", "max_credit_cost": "5.00"}``.
            options: per-call :class:`RequestOptions`.

        Example::

            session = await client.sessions.create(
                agent="agent_019e390add9f7bac9b6cc806db46fcbd",
                environment_id="env_019e2590d33f711fabf42f2857cecd8a",
                title="Code review",
                metadata={"ticket": "OPS-42"},
                environment_variables={"LOG_LEVEL": "debug"},
                initial_events=[user_message("Review the open pull request")],
                budget={"type": "limit", "max_credit_cost": "5.00"},
            )
        """
        body = session_create_body(
            agent,
            environment_id,
            title,
            metadata,
            delta_flush_interval_ms,
            memory_store_ids,
            resources,
            vault_ids,
            environment_variables,
            initial_events,
            budget,
        )
        return await self._request("POST", "/sessions", _session, options, body=body)

    def create_many(
        self,
        items: Iterable[SessionCreateParams | Mapping[str, Any]]
        | AsyncIterable[SessionCreateParams | Mapping[str, Any]],
        *,
        concurrency: int = 16,
        rate_limit: float | None = None,
        ordered: bool = False,
        key_fn: Callable[[int, Any], str] | None = None,
        on_progress: Callable[[BulkProgress], None] | None = None,
        adaptive: bool = True,
        progress_interval: float = 0.5,
    ) -> AsyncIterator[BulkResult]:
        """Create one session per item, concurrently; yields exactly one :class:`BulkResult` each.

        ``items`` (mappings of ``create``'s arguments, or :class:`SessionCreateParams`; an
        iterable or async iterable) is consumed lazily: at most ``concurrency`` items, plus
        half as many again (at least 4), are pulled ahead of the results. Every item goes
        through :meth:`create` (validation, retries, idempotency key); a failure becomes that
        item's result and the batch goes on.

        Args:
            items: the sessions to create.
            concurrency: requests in flight at most (keep it within the client's
                ``max_connections``).
            rate_limit: starts per second (retries included), or ``None``; the API
                recommends at most 20 writes per second.
            ordered: yield in input order (through a reorder buffer bounded like the
                items pulled ahead) instead of as completed.
            key_fn: ``key_fn(index, item)`` gives the item's ``Idempotency-Key`` (an item's own
                ``idempotency_key`` wins); deterministic keys make a re-run within the API's
                24 h replay window return the sessions already created instead of duplicates.
            on_progress: called with a :class:`BulkProgress` every ``progress_interval``
                seconds and once at the end.
            adaptive: on 429/503 answers or connection failures, halve the allowed
                concurrency and rate for the whole batch, then recover gradually.
            progress_interval: seconds between ``on_progress`` calls.

        Breaking out of the loop or cancelling it cancels the requests in flight; use
        ``contextlib.aclosing`` to have that happen at the ``break`` itself.

        Example::

            items = ({"agent": "agent_01", "environment_id": "env_01", "title": f"job {n}"}
                     for n in range(10_000))
            keys = lambda index, item: f"nightly-2026-05-18-{index}"
            async for r in client.sessions.create_many(items, concurrency=16, key_fn=keys):
                print(r.index, r.session.id if r.ok else r.error)
        """
        sessions = type(self)
        return create_many(
            self._requester,
            lambda requester: sessions(requester).create,
            items,
            concurrency=concurrency,
            rate_limit=rate_limit,
            ordered=ordered,
            key_fn=key_fn,
            on_progress=on_progress,
            adaptive=adaptive,
            progress_interval=progress_interval,
        )

    # -- lifecycle ----------------------------------------------------------------------

    async def retrieve(self, session_id: str, **options: Unpack[RequestOptions]) -> Session:
        """Fetch one session (``GET /sessions/{id}``).

        Args:
            session_id: the ``sess_...`` id.
            options: per-call :class:`RequestOptions`.

        Example::

            session = await client.sessions.retrieve("sess_019e3bb1e8c171fd9abbb1477ffb84cc")
        """
        return await self._request("GET", session_path(session_id), _session, options)

    def list(
        self,
        *,
        limit: int | None = None,
        include_archived: bool | None = None,
        order: str | None = None,
        statuses: Sequence[str] | None = None,
        agent_id: str | None = None,
        created_at: Mapping[str, Any] | None = None,
        page: str | None = None,
        after_id: str | None = None,
        before_id: str | None = None,
        agent_version: int | None = None,
        deployment_id: str | None = None,
        memory_store_id: str | None = None,
        created_at_gt: datetime | str | None = None,
        created_at_gte: datetime | str | None = None,
        created_at_lt: datetime | str | None = None,
        created_at_lte: datetime | str | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[Session]:
        """Every session (newest first by default), fetched page by page as you iterate.

        Arguments are checked here; nothing is sent until you iterate. The time bounds can
        be given as the official SDK spells them (``created_at_gte=...``) or as one mapping
        (``created_at={"gte": ...}``), not both for the same bound.

        Args:
            limit: page size (1-100).
            include_archived: also list archived sessions.
            order: ``"asc"`` or ``"desc"`` by creation time.
            statuses: keep only these statuses (sent as ``statuses[]``).
            agent_id: keep only sessions of this ``agent_...`` agent.
            created_at: bounds on the creation time (``{"gte": datetime, "lt": datetime}``).
            page: an opaque page cursor to start from.
            after_id: start after this session id.
            before_id: walk backward from this session id.
            agent_version: keep only sessions running this version of their agent (>= 1).
            deployment_id: keep only sessions started by this deployment.
            memory_store_id: keep only sessions with this ``memstore_...`` store attached.
            created_at_gt: created after this time (``created_at[gt]``).
            created_at_gte: created at or after this time (``created_at[gte]``).
            created_at_lt: created before this time (``created_at[lt]``).
            created_at_lte: created at or before this time (``created_at[lte]``).
            options: per-call :class:`RequestOptions`, applied to every page.

        Example::

            async for session in client.sessions.list(statuses=["idle"], limit=100):
                print(session.id, session.title)
            nightly = client.sessions.list(deployment_id=deployment.id, created_at_gte=midnight)
        """
        bounds: dict[Any, Any] = {}
        if created_at is not None:
            if not isinstance(created_at, Mapping):
                raise ParameterTypeError(
                    "created_at", "expected a mapping like {'gte': datetime, 'lt': datetime}"
                )
            bounds.update(created_at)
        for op, when in (
            ("gt", created_at_gt),
            ("gte", created_at_gte),
            ("lt", created_at_lt),
            ("lte", created_at_lte),
        ):
            if when is not None:
                if op in bounds:
                    raise InvalidParameterError(
                        f"created_at_{op}", f"cannot be combined with created_at={{{op!r}: ...}}"
                    )
                bounds[op] = when
        query = list_query(limit, order, page, after_id, before_id, bounds or None)
        if include_archived is not None:
            if not isinstance(include_archived, bool):
                raise ParameterTypeError("include_archived", "expected bool")
            query["include_archived"] = "true" if include_archived else "false"
        if statuses is not None:
            query["statuses[]"] = check_str_list("statuses", statuses)
        if agent_id is not None:
            query["agent_id"] = check_id("agent_id", agent_id, "agent_")
        if agent_version is not None:
            query["agent_version"] = check_int_range("agent_version", agent_version, 1, 2**31 - 1)
        if deployment_id is not None:
            query["deployment_id"] = _deployment_id("deployment_id", deployment_id)
        if memory_store_id is not None:
            query["memory_store_id"] = check_id("memory_store_id", memory_store_id, "memstore_")
        return self._list("/sessions", _session_page, query, options)

    async def update(
        self,
        session_id: str,
        *,
        title: str | NotGiven | None = NOT_GIVEN,
        metadata: Mapping[str, str | None] | NotGiven | None = NOT_GIVEN,
        delta_flush_interval_ms: int | NotGiven = NOT_GIVEN,
        environment_variables: Mapping[str, str] | NotGiven | None = NOT_GIVEN,
        agent: Mapping[str, Any] | NotGiven = NOT_GIVEN,
        budget: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        vault_ids: Sequence[str] | NotGiven = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> Session:
        """Change a session (``POST /sessions/{id}``); only the fields you pass are sent.

        Args:
            session_id: the ``sess_...`` id.
            title: the new title; ``None`` clears it.
            metadata: keys to set; a key set to ``None`` is removed.
            delta_flush_interval_ms: the new preview flush interval (50-5000).
            environment_variables: the session's variables, replacing the old ones;
                ``None`` clears them.
            agent: ``{"tools": [...], "mcp_servers": [...]}`` (either or both), each
                replacing the agent's own for this session.
            budget: the new spending cap (``{"type": "limit", "max_credit_cost": "5.00"}``);
                ``None`` removes it.
            vault_ids: the vaults the agent may use, replacing the old list.
            options: per-call :class:`RequestOptions`.

        Example::

            session = await client.sessions.update(session.id, title="Reviewed",
                                                   metadata={"ticket": "OPS-42"})
            await client.sessions.update(session.id, environment_variables={"LOG_LEVEL": "info"},
                                         agent={"mcp_servers": []})
        """
        path = session_path(session_id)
        body: dict[str, Any] = {}
        if not isinstance(title, NotGiven):
            body["title"] = None if title is None else check_optional_str("title", title, 1_000)
        if not isinstance(metadata, NotGiven):
            body["metadata"] = (
                None if metadata is None else check_metadata(metadata, allow_null_values=True)
            )
        if not isinstance(delta_flush_interval_ms, NotGiven):
            body["delta_flush_interval_ms"] = check_int_range(
                "delta_flush_interval_ms", delta_flush_interval_ms, 50, 5000
            )
        if not isinstance(environment_variables, NotGiven):
            body["environment_variables"] = (
                None
                if environment_variables is None
                else check_environment_variables(environment_variables)
            )
        if not isinstance(agent, NotGiven):
            body["agent"] = check_agent_patch(agent)
        if not isinstance(budget, NotGiven):
            body["budget"] = None if budget is None else check_budget(budget)
        if not isinstance(vault_ids, NotGiven):
            body["vault_ids"] = check_id_list("vault_ids", vault_ids)
        return await self._request("POST", path, _session, options, body=body)

    async def archive(self, session_id: str, **options: Unpack[RequestOptions]) -> Session:
        """Archive a session (``POST /sessions/{id}/archive``): kept, but out of default lists
        and closed to new events. The body is ``{}``, as for every argument-less action.

        Args:
            session_id: the ``sess_...`` id.
            options: per-call :class:`RequestOptions`.

        Example::

            session = await client.sessions.archive(session.id)
            print(session.archived_at)
        """
        return await self._action(session_path(session_id, "/archive"), _session, options)

    async def delete(self, session_id: str, **options: Unpack[RequestOptions]) -> DeletedSession:
        """Delete a session and its events for good (``DELETE /sessions/{id}``).

        The body is ``{}`` (the API's DELETEs take JSON too). Both published answers
        (``"deleted": true`` and ``"type": "session_deleted"``) give ``deleted=True``.

        Args:
            session_id: the ``sess_...`` id.
            options: per-call :class:`RequestOptions`.

        Example::

            gone = await client.sessions.delete(session.id)
            assert gone.deleted
        """
        return await self._delete(session_path(session_id), _deleted_parser(session_id), options)

    async def cancel(
        self, session_id: str, **options: Unpack[RequestOptions]
    ) -> SessionCancelResult:
        """Cancel the running turn (``POST /sessions/{id}/cancel``); a no-op when idle.

        The session goes back to ``idle`` and stays usable: wait for ``session.status_idle``
        on the stream. (``status`` is the literal ``"canceling"``.) The body is ``{}``.

        Args:
            session_id: the ``sess_...`` id.
            options: per-call :class:`RequestOptions`.

        Example::

            result = await client.sessions.cancel(session.id)
        """
        return await self._action(
            session_path(session_id, "/cancel"), _cancel_parser(session_id), options
        )


_deleted = response_parser(DeletedSession)
_cancelled = response_parser(SessionCancelResult)


def _deleted_parser(session_id: str) -> Parser[DeletedSession]:
    def parse(data: Any, request_id: str | None) -> DeletedSession:
        result = _deleted({} if data is None else data, request_id)
        # A 2xx means gone; only an explicit ``"deleted": false`` says otherwise.
        return attrs.evolve(result, id=result.id or session_id, deleted=result.deleted is not False)

    return parse


def _cancel_parser(session_id: str) -> Parser[SessionCancelResult]:
    def parse(data: Any, request_id: str | None) -> SessionCancelResult:
        result = _cancelled({} if data is None else data, request_id)
        return result if result.id else attrs.evolve(result, id=session_id)

    return parse
