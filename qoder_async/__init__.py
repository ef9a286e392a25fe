"""qoder-async: an asyncio-first client for the Qoder Cloud Agents API.

Example::

    import asyncio
    from qoder_async import AsyncQoder

    async def main() -> None:
        async with AsyncQoder() as client:           # reads $QODER_PAT
            session = await client.sessions.create(
                agent="agent_019e390add9f7bac9b6cc806db46fcbd",
                environment_id="env_019e2590d33f711fabf42f2857cecd8a",
            )
            print(session.id, session.status)

    asyncio.run(main())
"""

from __future__ import annotations

import warnings
from typing import Any

from ._bulk_results import BulkProgress, BulkResult
from ._client import DEFAULT_BASE_URL, AsyncQoder
from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ConflictError,
    InternalServerError,
    InvalidParameterError,
    NotFoundError,
    ParameterTypeError,
    PermissionDeniedError,
    QoderError,
    RateLimitError,
    TokenProviderError,
    UnprocessableEntityError,
)
from ._hooks import ErrorInfo, Hooks, RequestInfo, ResponseInfo, RetryInfo
from ._models._base import request_id_of
from ._models._converter import to_dict
from ._models.agent_events import (
    AgentCustomToolUseEvent,
    AgentMcpToolResultEvent,
    AgentMcpToolUseEvent,
    AgentMessageEvent,
    AgentThinkingEvent,
    AgentToolResultEvent,
    AgentToolUseEvent,
)
from ._models.event_base import ContentBlock, Event, UnknownEvent
from ._models.events import (
    ModelUsage,
    SessionErrorEvent,
    SessionErrorInfo,
    SessionStatusIdleEvent,
    SessionStatusRescheduledEvent,
    SessionStatusRunningEvent,
    SessionStatusTerminatedEvent,
    SpanModelRequestEndEvent,
    SpanModelRequestStartEvent,
    StopReason,
)
from ._models.inbound import (
    UserCustomToolResult,
    UserInterrupt,
    UserMessage,
    UserToolConfirmation,
    user_custom_tool_result,
    user_interrupt,
    user_message,
    user_tool_confirmation,
)
from ._models.previews import ContentDelta, DeltaTarget, EventDeltaEvent, EventStartEvent
from ._models.session import (
    AgentModel,
    AgentRef,
    CacheCreation,
    DeletedSession,
    Session,
    SessionAgent,
    SessionCancelResult,
    SessionStats,
    Usage,
)
from ._models.turn import EventList, TurnResult
from ._models.user_events import (
    UserCustomToolResultEvent,
    UserInterruptEvent,
    UserMessageEvent,
    UserToolConfirmationEvent,
    UserToolResultEvent,
)
from ._options import RequestOptions
from ._pagination import AsyncPaginator, Page
from ._raw import RawResponse
from ._retry import RetryPolicy
from ._session_params import SessionCreateParams
from ._streaming import EventStream
from ._transport import AiohttpTransport, AsyncTransport, Request, Response
from ._types import NOT_GIVEN, NotGiven, TokenProvider
from ._version import __version__
from .resources.events import AsyncEventsAPI
from .resources.sessions import AsyncSessionsAPI

__all__ = [
    # the client and its configuration
    "AsyncQoder",
    "DEFAULT_BASE_URL",
    "RetryPolicy",
    "RequestOptions",
    "Hooks",
    "RequestInfo",
    "ResponseInfo",
    "RetryInfo",
    "ErrorInfo",
    "TokenProvider",
    "NOT_GIVEN",
    "NotGiven",
    "__version__",
    # the transport seam
    "AsyncTransport",
    "AiohttpTransport",
    "Request",
    "Response",
    # resources and what they return besides models
    "AsyncSessionsAPI",
    "AsyncEventsAPI",
    "AsyncPaginator",
    "Page",
    "EventStream",
    "RawResponse",
    "SessionCreateParams",
    "BulkResult",
    "BulkProgress",
    "request_id_of",
    "to_dict",
    # errors
    "QoderError",
    "ClientClosedError",
    "InvalidParameterError",
    "ParameterTypeError",
    "APIError",
    "APIConnectionError",
    "APITimeoutError",
    "APIResponseValidationError",
    "TokenProviderError",
    "APIStatusError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "UnprocessableEntityError",
    "RateLimitError",
    "InternalServerError",
    # models: sessions
    "Session",
    "SessionAgent",
    "AgentModel",
    "AgentRef",
    "Usage",
    "CacheCreation",
    "SessionStats",
    "DeletedSession",
    "SessionCancelResult",
    # models: events the session emits
    "Event",
    "UnknownEvent",
    "ContentBlock",
    "StopReason",
    "ModelUsage",
    "SessionErrorInfo",
    "SessionStatusRunningEvent",
    "SessionStatusIdleEvent",
    "SessionStatusRescheduledEvent",
    "SessionStatusTerminatedEvent",
    "SessionErrorEvent",
    "AgentMessageEvent",
    "AgentThinkingEvent",
    "AgentToolUseEvent",
    "AgentToolResultEvent",
    "AgentMcpToolUseEvent",
    "AgentMcpToolResultEvent",
    "AgentCustomToolUseEvent",
    "UserMessageEvent",
    "UserInterruptEvent",
    "UserToolConfirmationEvent",
    "UserToolResultEvent",
    "UserCustomToolResultEvent",
    "SpanModelRequestStartEvent",
    "SpanModelRequestEndEvent",
    "EventStartEvent",
    "EventDeltaEvent",
    "ContentDelta",
    "DeltaTarget",
    "EventList",
    "TurnResult",
    # models: events you send
    "UserMessage",
    "UserInterrupt",
    "UserToolConfirmation",
    "UserCustomToolResult",
    "user_message",
    "user_interrupt",
    "user_tool_confirmation",
    "user_custom_tool_result",
]

_RENAMED = {"InvalidRequestError": "BadRequestError"}


def __getattr__(name: str) -> Any:
    # Names renamed in this release keep working, with a warning, for one more release.
    new = _RENAMED.get(name)
    if new is None:
        raise AttributeError(f"module 'qoder_async' has no attribute {name!r}")
    warnings.warn(
        f"qoder_async.{name} is now qoder_async.{new}; the old name will be removed "
        "in the next release",
        DeprecationWarning,
        stacklevel=2,
    )
    return globals()[new]
