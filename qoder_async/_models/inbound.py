"""Events a client sends to a session (``events.send``), as typed, validated helpers.

Each helper checks its arguments when it is built and knows its wire form
(:meth:`to_wire`); plain dicts are accepted by ``events.send`` too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import attrs

from .._errors import InvalidParameterError, ParameterTypeError
from .event_base import ContentBlock

__all__ = [
    "InboundEvent",
    "UserCustomToolResult",
    "UserInterrupt",
    "UserMessage",
    "UserToolConfirmation",
    "content_blocks",
    "user_custom_tool_result",
    "user_interrupt",
    "user_message",
    "user_tool_confirmation",
]

ContentInput = str | Sequence[str | ContentBlock | Mapping[str, Any]]


def content_blocks(
    field: str, content: object, *, allow_empty: bool = False
) -> list[dict[str, Any]]:
    """``content`` as a wire block array: a string is one text block; blocks are checked."""
    if isinstance(content, str):
        if not content and not allow_empty:
            raise InvalidParameterError(field, "must not be empty")
        return [{"type": "text", "text": content}]
    if isinstance(content, (bytes, Mapping)) or not isinstance(content, Sequence):
        raise ParameterTypeError(
            field, f"expected a str or a list of content blocks, got {type(content).__name__}"
        )
    if not content and not allow_empty:
        raise InvalidParameterError(field, "must contain at least one content block")
    blocks: list[dict[str, Any]] = []
    for index, block in enumerate(content):
        name = f"{field}[{index}]"
        if isinstance(block, str):
            blocks.append({"type": "text", "text": block})
        elif isinstance(block, ContentBlock):
            wire = {**block.extra, "type": block.type or "text"}
            if block.text is not None:
                wire["text"] = block.text
            blocks.append(wire)
        elif isinstance(block, Mapping):
            kind = block.get("type")
            if not isinstance(kind, str) or not kind:
                raise InvalidParameterError(name, "a content block needs a 'type' string")
            if kind == "text" and not isinstance(block.get("text"), str):
                raise InvalidParameterError(name, "a text block needs a 'text' string")
            blocks.append(dict(block))
        else:
            raise ParameterTypeError(
                name, f"expected a str, ContentBlock or mapping, got {type(block).__name__}"
            )
    return blocks


def _non_empty_str(field: str, value: object) -> str:
    if not isinstance(value, str):
        raise ParameterTypeError(field, f"expected str, got {type(value).__name__}")
    if not value:
        raise InvalidParameterError(field, "must not be empty")
    return value


@attrs.frozen
class UserMessage:
    """A ``user.message``: ``content`` is a block array (build it with :func:`user_message`).

    Example::

        await client.sessions.events.send(session.id, [user_message("Summarise the repo")])
    """

    content: list[dict[str, Any]]

    def to_wire(self) -> dict[str, Any]:
        """The JSON object sent for this event.

        Example::

            wire = user_interrupt().to_wire()  # {"type": "user.interrupt"}
        """
        return {"type": "user.message", "content": [dict(block) for block in self.content]}


@attrs.frozen
class UserInterrupt:
    """A ``user.interrupt``: stop the running turn (optionally of one thread).

    Example::

        await client.sessions.events.send(session.id, [user_interrupt()])
    """

    session_thread_id: str | None = None

    def to_wire(self) -> dict[str, Any]:
        """The JSON object sent for this event.

        Example::

            wire = user_interrupt().to_wire()  # {"type": "user.interrupt"}
        """
        wire: dict[str, Any] = {"type": "user.interrupt"}
        if self.session_thread_id is not None:
            wire["session_thread_id"] = self.session_thread_id
        return wire


@attrs.frozen
class UserToolConfirmation:
    """A ``user.tool_confirmation``: allow or deny a tool use that waits for approval.

    Example::

        await client.sessions.events.send(sid, [user_tool_confirmation(use.id, "allow")])
    """

    tool_use_id: str
    result: Literal["allow", "deny"]
    deny_message: str | None = None

    def to_wire(self) -> dict[str, Any]:
        """The JSON object sent for this event.

        Example::

            wire = user_interrupt().to_wire()  # {"type": "user.interrupt"}
        """
        wire: dict[str, Any] = {
            "type": "user.tool_confirmation",
            "tool_use_id": self.tool_use_id,
            "result": self.result,
        }
        if self.deny_message is not None:
            wire["deny_message"] = self.deny_message
        return wire


@attrs.frozen
class UserCustomToolResult:
    """A ``user.custom_tool_result``: the answer to an ``agent.custom_tool_use``.

    Example::

        await client.sessions.events.send(sid, [user_custom_tool_result(use.id, "42")])
    """

    custom_tool_use_id: str
    content: list[dict[str, Any]] | None = None
    is_error: bool | None = None

    def to_wire(self) -> dict[str, Any]:
        """The JSON object sent for this event.

        Example::

            wire = user_interrupt().to_wire()  # {"type": "user.interrupt"}
        """
        wire: dict[str, Any] = {
            "type": "user.custom_tool_result",
            "custom_tool_use_id": self.custom_tool_use_id,
        }
        if self.content is not None:
            wire["content"] = [dict(block) for block in self.content]
        if self.is_error is not None:
            wire["is_error"] = self.is_error
        return wire


InboundEvent = UserMessage | UserInterrupt | UserToolConfirmation | UserCustomToolResult
"""Any typed inbound event helper."""


def user_message(content: ContentInput) -> UserMessage:
    """A ``user.message`` with ``content``: a string, or a list of strings / content blocks.

    Example::

        await client.sessions.events.send(session.id, [user_message("Hello")])
    """
    return UserMessage(content_blocks("content", content))


def user_interrupt(*, session_thread_id: str | None = None) -> UserInterrupt:
    """A ``user.interrupt`` for the running turn.

    Example::

        await client.sessions.events.send(session.id, [user_interrupt()])
    """
    if session_thread_id is not None:
        _non_empty_str("session_thread_id", session_thread_id)
    return UserInterrupt(session_thread_id)


def user_tool_confirmation(
    tool_use_id: str, result: Literal["allow", "deny"], *, deny_message: str | None = None
) -> UserToolConfirmation:
    """Allow or deny the ``agent.tool_use`` whose id is ``tool_use_id``.

    ``deny_message`` (only with ``"deny"``) tells the agent why.

    Example::

        await client.sessions.events.send(sid, [user_tool_confirmation(use.id, "deny",
                                                                       deny_message="no")])
    """
    _non_empty_str("tool_use_id", tool_use_id)
    if result not in ("allow", "deny"):
        raise InvalidParameterError("result", f"must be 'allow' or 'deny', got {result!r:.40}")
    if deny_message is not None:
        if result != "deny":
            raise InvalidParameterError("deny_message", "only allowed with result='deny'")
        _non_empty_str("deny_message", deny_message)
    return UserToolConfirmation(tool_use_id, result, deny_message)


def user_custom_tool_result(
    custom_tool_use_id: str, content: ContentInput | None = None, *, is_error: bool | None = None
) -> UserCustomToolResult:
    """The result of the ``agent.custom_tool_use`` whose id is ``custom_tool_use_id``.

    Example::

        await client.sessions.events.send(sid, [user_custom_tool_result(use.id, '{"temp": 21}')])
    """
    _non_empty_str("custom_tool_use_id", custom_tool_use_id)
    if is_error is not None and not isinstance(is_error, bool):
        raise ParameterTypeError("is_error", f"expected bool, got {type(is_error).__name__}")
    blocks = None if content is None else content_blocks("content", content, allow_empty=True)
    return UserCustomToolResult(custom_tool_use_id, blocks, is_error)


for _cls in (UserMessage, UserInterrupt, UserToolConfirmation, UserCustomToolResult):
    attrs.resolve_types(_cls)
