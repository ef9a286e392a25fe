"""The models an account can run (``models.list``) and what each supports."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from ._base import extra_field
from .platform import PlatformObject

__all__ = [
    "CapabilitySupport",
    "ContextManagementCapability",
    "EffortCapability",
    "ModelCapabilities",
    "ModelInfo",
    "ThinkingCapability",
    "ThinkingTypes",
]


@attrs.frozen
class CapabilitySupport:
    """One capability flag: ``supported``.

    Example::

        print(model.capabilities.image_input.supported)
    """

    supported: bool | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class ContextManagementCapability(CapabilitySupport):
    """Context-management support, overall and per strategy.

    Example::

        print(model.capabilities.context_management.compact_20260112)
    """

    clear_thinking_20251015: CapabilitySupport | None = None
    clear_tool_uses_20250919: CapabilitySupport | None = None
    compact_20260112: CapabilitySupport | None = None


@attrs.frozen
class EffortCapability(CapabilitySupport):
    """Reasoning-effort support, overall and per level.

    Example::

        print(model.capabilities.effort.high)
    """

    low: CapabilitySupport | None = None
    medium: CapabilitySupport | None = None
    high: CapabilitySupport | None = None
    xhigh: CapabilitySupport | None = None
    max: CapabilitySupport | None = None


@attrs.frozen
class ThinkingTypes:
    """The kinds of extended thinking a model offers.

    Example::

        print(model.capabilities.thinking.types.adaptive)
    """

    adaptive: CapabilitySupport | None = None
    enabled: CapabilitySupport | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class ThinkingCapability(CapabilitySupport):
    """Extended-thinking support, and its kinds.

    Example::

        print(model.capabilities.thinking.supported)
    """

    types: ThinkingTypes | None = None


@attrs.frozen
class ModelCapabilities:
    """What a model supports; a capability the server does not mention is ``None``.

    Example::

        caps = model.capabilities
        print(caps.pdf_input and caps.pdf_input.supported)
    """

    batch: CapabilitySupport | None = None
    citations: CapabilitySupport | None = None
    code_execution: CapabilitySupport | None = None
    context_management: ContextManagementCapability | None = None
    effort: EffortCapability | None = None
    image_input: CapabilitySupport | None = None
    pdf_input: CapabilitySupport | None = None
    structured_outputs: CapabilitySupport | None = None
    thinking: ThinkingCapability | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class ModelInfo(PlatformObject):
    """A model (``models.list``).

    Only ``id`` is required; unknown fields are kept in ``extra``. ``request_id`` is the
    ``x-request-id`` of the response (not part of equality or repr).

    Example::

        async for model in client.models.list():
            print(model.id, model.display_name, model.max_tokens)
    """

    display_name: str | None = None
    source: str | None = None
    is_enabled: bool | None = None
    is_new: bool | None = None
    price_factor: float | None = None
    efforts: list[str] = attrs.field(factory=list)
    default_effort: str | None = None
    default_context_window: int | None = None
    available_context_windows: list[int] = attrs.field(factory=list)
    max_input_tokens: int | None = None
    max_tokens: int | None = None
    allowed_fallback_models: list[str] = attrs.field(factory=list)
    capabilities: ModelCapabilities | None = None
    created_at: datetime | None = None


for _cls in (
    CapabilitySupport,
    ContextManagementCapability,
    EffortCapability,
    ThinkingTypes,
    ThinkingCapability,
    ModelCapabilities,
    ModelInfo,
):
    attrs.resolve_types(_cls)
