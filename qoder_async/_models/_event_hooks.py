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

#: A hook whose second argument is optional: ``hook(value)`` works too.
ModelHook = Callable[..., Any]


def unknown_event(payload: dict[str, Any]) -> UnknownEvent:
    """An :class:`UnknownEvent` for ``payload``, keeping ``id`` and ``type`` when they are str."""
    event_id = payload.get("id")
    kind = payload.get("type")
    return UnknownEvent(
        id=event_id if isinstance(event_id, str) else None,
        type=kind if isinstance(kind, str) else "",
        raw=payload,
    )


def register_event_hooks(
    converter: cattrs.Converter,
    model_hook: Callable[[type[Any]], ModelHook],
    one_argument: set[Any],
) -> None:
    """Register the event hooks; ``model_hook(cls)`` is the plain hook of an attrs class,
    callable with the value alone. The hook of :class:`Event` is added to ``one_argument``,
    the converter's set of hooks callable with the value alone.

    The hooks that use other hooks are registered as factories: those are looked up when
    first needed, after every registration (a registration clears cattrs' cache).
    """

    def content_hook(_: Any) -> ModelHook:
        block = model_hook(ContentBlock)

        def content(value: Any, _: Any = None) -> list[ContentBlock]:
            # v1 sends ``content`` as one string, v3 as a block array; both become blocks.
            if isinstance(value, (list, tuple)):
                return [
                    block(item) if type(item) is not str else ContentBlock("text", item)
                    for item in value
                ]
            if value is None:
                return []
            if type(value) is str:
                return [ContentBlock("text", value)]
            if isinstance(value, Mapping):
                return [block(value)]
            raise TypeError(f"expected content blocks, got {type(value).__name__}")

        return content

    def string_or_model_hook(cls: type[Any], key: str) -> ModelHook:
        # Older servers send a bare string where newer ones send an object.
        model = model_hook(cls)

        def structure(value: Any, _: Any = None) -> Any:
            if type(value) is str:
                return cls(**{key: value})
            return model(value)

        return structure

    # Filled on first use of each type: the hook of an event class is generated when the
    # first event of that type arrives, long after every registration.
    event_hooks: dict[str, ModelHook] = {}

    def event(value: Any, _: Any = None) -> Event:
        if type(value) is not dict:
            if not isinstance(value, Mapping):
                raise TypeError(f"expected a JSON object for an event, got {type(value).__name__}")
            value = dict(value)
        kind = value.get("type")
        if type(kind) is not str:
            return unknown_event(value)
        hook = event_hooks.get(kind)
        if hook is None:
            cls = EVENT_TYPES.get(kind)
            if cls is None:
                return unknown_event(value)
            hook = event_hooks[kind] = model_hook(cls)
        try:
            return hook(value)  # type: ignore[no-any-return]
        except Exception as exc:
            _log.debug("%s event in an unreadable shape (%s); kept as UnknownEvent", kind, exc)
            return unknown_event(value)

    list_of_blocks = list[ContentBlock]
    converter.register_structure_hook_factory(lambda t: t == list_of_blocks, content_hook)
    converter.register_structure_hook_factory(
        lambda t: t is StopReason, lambda _: string_or_model_hook(StopReason, "type")
    )
    converter.register_structure_hook_factory(
        lambda t: t is SessionErrorInfo,
        lambda _: string_or_model_hook(SessionErrorInfo, "message"),
    )
    converter.register_structure_hook_func(lambda t: t is Event, event)
    one_argument.add(event)
