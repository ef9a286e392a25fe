"""``client.agents``: create, list, retrieve, update, archive; ``versions.list``.

Agent ids are ``agent_...`` ids. Nested request shapes (``tools``, ``mcp_servers``,
``skills``, ``multiagent``, a model config) are JSON objects checked for shape, not content:
what a newer API accepts is not refused here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .._models._converter import response_parser, structurer
from .._models.agents import Agent
from .._pagination import AsyncPaginator, page_parser
from .._types import NOT_GIVEN, NotGiven
from ._base import Resource
from ._common import (
    ARCHIVABLE_LIST,
    PAGED,
    Spec,
    build_body,
    build_query,
    integer,
    item_path,
    json_object,
    metadata,
    metadata_patch,
    object_list,
    required,
    str_or_object,
    text,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._options import RequestOptions
    from .._send import Requester

__all__ = ["AsyncAgentVersionsAPI", "AsyncAgentsAPI"]

_agent = response_parser(Agent)
_agent_page = page_parser(structurer(Agent))
_FIELDS: Spec = {
    "model": str_or_object,
    "name": text,
    "description": text,
    "system": text,
    "mcp_servers": object_list,
    "metadata": metadata_patch,
    "multiagent": json_object,
    "skills": object_list,
    "tools": object_list,
}
_CREATE: Spec = {
    **_FIELDS,
    "model": required(str_or_object),
    "name": required(text),
    "metadata": metadata,
}
_UPDATE: Spec = {**_FIELDS, "version": integer}

JSON = Mapping[str, Any]


def _path(agent_id: object, rest: str = "") -> str:
    return item_path("agents", "agent_id", agent_id, "agent_", rest)


class AsyncAgentVersionsAPI(Resource):
    """Every version of an agent (each update makes one): ``list``.

    Reach it as ``client.agents.versions``.

    Example::

        async for version in client.agents.versions.list(agent.id):
            print(version.version, version.updated_at)
    """

    __slots__ = ()

    def list(
        self,
        agent_id: str,
        *,
        limit: int | None = None,
        page: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[Agent]:
        """The versions of an agent (``GET /agents/{id}/versions``), one :class:`Agent` each.

        Args:
            agent_id: the ``agent_...`` id.
            limit: page size (1-100).
            page: an opaque page cursor to start from.
            options: per-call :class:`RequestOptions`, applied to every page.

        Example::

            versions = [v.version async for v in client.agents.versions.list(agent.id)]
        """
        query = build_query(PAGED, locals())
        return self._list(_path(agent_id, "/versions"), _agent_page, query, options)


class AsyncAgentsAPI(Resource):
    """Agents: ``create``, ``list``, ``retrieve``, ``update``, ``archive``; ``versions`` below.

    Reach it as ``client.agents``. Every method also takes the per-call
    :class:`RequestOptions` (``timeout``, ``max_retries``, ``idempotency_key``,
    ``extra_headers``, ``extra_query``, ``extra_body``, ``workspace_id``, ``betas``).

    Example::

        agent = await client.agents.create(model="ultimate", name="Reviewer")
        agent = await client.agents.update(agent.id, system="Review the diff.")
    """

    __slots__ = ("versions",)

    versions: AsyncAgentVersionsAPI
    """An agent's versions (see :class:`AsyncAgentVersionsAPI`)."""

    def __init__(self, requester: Requester) -> None:
        super().__init__(requester)
        self.versions = AsyncAgentVersionsAPI(requester)

    async def create(
        self,
        *,
        model: str | JSON,
        name: str,
        description: str | NotGiven | None = NOT_GIVEN,
        system: str | NotGiven | None = NOT_GIVEN,
        mcp_servers: Sequence[JSON] | NotGiven | None = NOT_GIVEN,
        metadata: Mapping[str, str] | NotGiven | None = NOT_GIVEN,
        multiagent: JSON | NotGiven | None = NOT_GIVEN,
        skills: Sequence[JSON] | NotGiven | None = NOT_GIVEN,
        tools: Sequence[JSON] | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> Agent:
        """Create an agent (``POST /agents``); its first version.

        Args:
            model: a model id, or ``{"id", "context_window"?, "effort"?, "speed"?, ...}``.
            name: the agent's name.
            description: what it is for.
            system: its system prompt.
            mcp_servers: ``{"type": "url", "name", "url"}`` items.
            metadata: up to 16 string keys and values.
            multiagent: ``{"type": "coordinator", "agents": [...]}``.
            skills: ``{"type": "qoder" | "custom", "skill_id", "version"?}`` items.
            tools: built-in (``agent_toolset_20260401``), ``mcp_toolset`` or ``custom`` tools.
            options: per-call :class:`RequestOptions`.

        Example::

            agent = await client.agents.create(
                model={"id": "ultimate", "speed": "fast"}, name="Reviewer", system="Be brief."
            )
        """
        body = build_body(_CREATE, locals())
        return await self._request("POST", "/agents", _agent, options, body=body)

    async def retrieve(
        self, agent_id: str, *, version: int | None = None, **options: Unpack[RequestOptions]
    ) -> Agent:
        """Fetch an agent (``GET /agents/{id}``), its latest version or ``version``.

        Args:
            agent_id: the ``agent_...`` id.
            version: a version number to fetch instead of the latest.
            options: per-call :class:`RequestOptions`.

        Example::

            first = await client.agents.retrieve(agent.id, version=1)
        """
        query = build_query({"version": integer}, locals())
        return await self._request("GET", _path(agent_id), _agent, options, query=query)

    async def update(
        self,
        agent_id: str,
        *,
        model: str | JSON | NotGiven | None = NOT_GIVEN,
        name: str | NotGiven | None = NOT_GIVEN,
        description: str | NotGiven | None = NOT_GIVEN,
        system: str | NotGiven | None = NOT_GIVEN,
        mcp_servers: Sequence[JSON] | NotGiven | None = NOT_GIVEN,
        metadata: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        multiagent: JSON | NotGiven | None = NOT_GIVEN,
        skills: Sequence[JSON] | NotGiven | None = NOT_GIVEN,
        tools: Sequence[JSON] | NotGiven | None = NOT_GIVEN,
        version: int | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> Agent:
        """Change an agent (``POST /agents/{id}``), making a new version; only the fields you
        pass are sent (``None`` sends ``null``).

        Args:
            agent_id: the ``agent_...`` id.
            model: a model id or config, as in :meth:`create`.
            name: the new name.
            description: the new description.
            system: the new system prompt.
            mcp_servers: replaces the MCP servers.
            metadata: keys to set; a key set to ``None`` is removed.
            multiagent: replaces the coordination settings.
            skills: replaces the skills.
            tools: replaces the tools.
            version: the version this update is based on (sent as given).
            options: per-call :class:`RequestOptions`.

        Example::

            agent = await client.agents.update(agent.id, system="Review the diff.", version=1)
        """
        body = build_body(_UPDATE, locals())
        return await self._request("POST", _path(agent_id), _agent, options, body=body)

    def list(
        self,
        *,
        created_at_gte: datetime | str | None = None,
        created_at_lte: datetime | str | None = None,
        include_archived: bool | None = None,
        limit: int | None = None,
        page: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[Agent]:
        """Every agent, fetched page by page as you iterate (archived ones on request).

        Arguments are checked here; nothing is sent until you iterate.

        Args:
            created_at_gte: created at or after this time.
            created_at_lte: created at or before this time.
            include_archived: also list archived agents.
            limit: page size (1-100).
            page: an opaque page cursor to start from.
            options: per-call :class:`RequestOptions`, applied to every page.

        Example::

            async for agent in client.agents.list(include_archived=True):
                print(agent.id, agent.name, agent.archived_at)
        """
        return self._list("/agents", _agent_page, build_query(ARCHIVABLE_LIST, locals()), options)

    async def archive(self, agent_id: str, **options: Unpack[RequestOptions]) -> Agent:
        """Archive an agent (``POST /agents/{id}/archive``): kept, out of default lists.

        Args:
            agent_id: the ``agent_...`` id.
            options: per-call :class:`RequestOptions`.

        Example::

            agent = await client.agents.archive(agent.id)
            assert agent.archived_at is not None
        """
        return await self._action(_path(agent_id, "/archive"), _agent, options)
