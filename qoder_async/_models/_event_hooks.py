"""Structuring rules for events, registered on the one converter by ``_converter.py``.

Events are discriminated on ``type`` with one dict lookup; a type this version does not
know, or a known type in a shape it cannot read, becomes an :class:`UnknownEvent` with the
raw payload instead of an error: a long-running stream must survive a server upgrade.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import cattrs

from .event_base import ContentBlock, Event, UnknownEvent
from .events import EVENT_TYPES, SessionErrorInfo, StopReason

__all__ = ["register_event_hooks", "unknown_event"]

_log = logging.getLogger("qoder_async")

Hook = Callable[[Any, Any], Any]


def unknown_event(payload: dict[str, Any]) -> UnknownEvent:
    """An :class:`UnknownEvent` for ``payload``, keeping ``id`` and ``type`` when they are str."""
    event_id = payload.get("id")
    kind = payload.get("type")
    return UnknownEvent(
        id=event_id if isinstance(event_id, str) else None,
        type=kind if isinstance(kind, str) else "",
        raw=payload,
    )


def register_event_hooks(converter: cattrs.Converter, attrs_hook: Callable[[type], Hook]) -> None:
    """Register the event hooks; ``attrs_hook`` compiles the plain hook of an attrs class."""
    block_hook = attrs_hook(ContentBlock)
    stop_hook = attrs_hook(StopReason)
    error_hook = attrs_hook(SessionErrorInfo)

    def content(value: Any, _: Any) -> list[ContentBlock]:
        # v1 sends ``content`` as one string, v3 as a block array; both become blocks.
        if value is None:
            return []
        if type(value) is str:
            return [ContentBlock("text", value)]
        if isinstance(value, (list, tuple)):
            return [
                ContentBlock("text", item) if type(item) is str else block_hook(item, ContentBlock)
                for item in value
            ]
        if isinstance(value, Mapping):
            return [block_hook(value, ContentBlock)]
        raise TypeError(f"expected content blocks, got {type(value).__name__}")

    def stop_reason(value: Any, _: Any) -> StopReason:
        if type(value) is str:
            return StopReason(type=value)
        return stop_hook(value, StopReason)  # type: ignore[no-any-return]

    def session_error(value: Any, _: Any) -> SessionErrorInfo:
        if type(value) is str:
            return SessionErrorInfo(message=value)
        return error_hook(value, SessionErrorInfo)  # type: ignore[no-any-return]

    # Compiled per class on first use, after every hook is registered.
    event_hooks: dict[type[Event], Hook] = {}

    def event(value: Any, _: Any) -> Event:
        if type(value) is not dict:
            if not isinstance(value, Mapping):
                raise TypeError(f"expected a JSON object for an event, got {type(value).__name__}")
            value = dict(value)
        kind = value.get("type")
        cls = EVENT_TYPES.get(kind) if type(kind) is str else None
        if cls is None:
            return unknown_event(value)
        hook = event_hooks.get(cls)
        if hook is None:
            hook = event_hooks[cls] = converter.get_structure_hook(cls)
        try:
            return hook(value, cls)  # type: ignore[no-any-return]
        except Exception as exc:
            _log.debug("%s event in an unreadable shape (%s); kept as UnknownEvent", kind, exc)
            return unknown_event(value)

    list_of_blocks = list[ContentBlock]
    converter.register_structure_hook_func(lambda t: t == list_of_blocks, content)
    converter.register_structure_hook_func(lambda t: t is StopReason, stop_reason)
    converter.register_structure_hook_func(lambda t: t is SessionErrorInfo, session_error)
    converter.register_structure_hook_func(lambda t: t is Event, event)
