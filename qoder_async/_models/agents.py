"""Agents: the reusable definition (model, system prompt, tools, skills, sub-agents) a
session runs, one immutable version per update.

Unions are one flat model keyed by ``type`` (a tool is built-in, MCP or custom by its
``type``); ``model`` and ``effort`` are a plain string or an object, as the server sends them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from ._base import extra_field
from .platform import PlatformObject

__all__ = [
    "Agent",
    "AgentSkill",
    "AgentTool",
    "Effort",
    "McpServer",
    "ModelConfig",
    "Multiagent",
    "MultiagentAgent",
]


@attrs.frozen
class Effort:
    """A reasoning effort given as an object (``{"type": "high"}``); ``type`` is open.

    Example::

        effort = agent.model.effort
        print(effort if isinstance(effort, str) else effort.type)
    """

    type: str | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class ModelConfig:
    """The model an agent runs when given as an object rather than a bare id.

    Example::

        model = agent.model
        print(model if isinstance(model, str) else (model.id, model.speed))
    """

    id: str | None = None
    context_window: int | None = None
    effort: str | Effort | None = None
    inference_geo: str | None = None
    speed: str | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class McpServer:
    """An MCP server the agent can reach (``{type: "url", name, url}``).

    Example::

        print([server.url for server in agent.mcp_servers])
    """

    type: str | None = None
    name: str | None = None
    url: str | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class AgentSkill:
    """A skill attached to the agent: ``type`` ``qoder`` or ``custom``; ``version`` is a string.

    Example::

        print([(skill.skill_id, skill.version) for skill in agent.skills])
    """

    type: str | None = None
    skill_id: str | None = None
    version: str | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class AgentTool:
    """A tool set of the agent, one flat model for every ``type``: the built-in toolset
    (``agent_toolset_20260401``: ``enabled_tools``, ``disallowed_tools``), an MCP toolset
    (``mcp_toolset``: ``mcp_server_name``) or a custom tool (``custom``: ``name``,
    ``description``, ``input_schema``). ``default_config`` and ``configs`` stay JSON.

    Example::

        custom = [tool.name for tool in agent.tools if tool.type == "custom"]
    """

    type: str | None = None
    name: str | None = None
    description: str | None = None
    input_schema: dict[str, Any] | None = None
    mcp_server_name: str | None = None
    enabled_tools: list[str] = attrs.field(factory=list)
    disallowed_tools: list[str] = attrs.field(factory=list)
    default_config: dict[str, Any] | None = None
    configs: list[Any] = attrs.field(factory=list)
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class MultiagentAgent:
    """One agent a coordinator may delegate to: ``type`` ``agent`` (``id``, ``version``),
    ``self`` or ``advisor`` (``model``).

    Example::

        print([(a.type, a.id) for a in agent.multiagent.agents])
    """

    type: str | None = None
    id: str | None = None
    version: int | None = None
    model: str | ModelConfig | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class Multiagent:
    """How the agent coordinates sub-agents (``type`` ``coordinator``); an item given as a
    bare agent id stays a string.

    Example::

        if agent.multiagent is not None:
            print(agent.multiagent.type, len(agent.multiagent.agents))
    """

    type: str | None = None
    agents: list[str | MultiagentAgent] = attrs.field(factory=list)
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class Agent(PlatformObject):
    """An agent, one version of it (``agents.create``, ``retrieve``, ``update``, ``archive``,
    ``list``, ``versions.list``).

    Only ``id`` is required; every other field may be missing (``None``) and unknown fields
    are kept in ``extra``. ``model`` is a bare model id or a :class:`ModelConfig`.
    ``request_id`` is the ``x-request-id`` of the response (not part of equality or repr).

    Example::

        agent = await client.agents.create(model="ultimate", name="Reviewer")
        print(agent.id, agent.version, agent.model)
    """

    name: str | None = None
    description: str | None = None
    system: str | None = None
    version: int | None = None
    model: str | ModelConfig | None = None
    mcp_servers: list[McpServer] = attrs.field(factory=list)
    tools: list[AgentTool] = attrs.field(factory=list)
    skills: list[AgentSkill] = attrs.field(factory=list)
    multiagent: Multiagent | None = None
    metadata: dict[str, Any] = attrs.field(factory=dict)
    archived_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


for _cls in (Effort, ModelConfig, McpServer, AgentSkill, AgentTool, MultiagentAgent, Multiagent):
    attrs.resolve_types(_cls)
attrs.resolve_types(Agent)
