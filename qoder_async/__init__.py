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

from ._bulk import BulkProgress, BulkResult, SessionCreateParams
from ._client import DEFAULT_BASE_URL, AsyncQoder
from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ClientClosedError,
    ConflictError,
    InternalServerError,
    InvalidParameterError,
    InvalidRequestError,
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
from ._models.events import (
    AgentCustomToolUseEvent,
    AgentMcpToolResultEvent,
    AgentMcpToolUseEvent,
    AgentMessageEvent,
    AgentThinkingEvent,
    AgentToolResultEvent,
    AgentToolUseEvent,
    ContentBlock,
    Event,
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
    UnknownEvent,
    UserCustomToolResultEvent,
    UserInterruptEvent,
    UserMessageEvent,
    UserToolConfirmationEvent,
    UserToolResultEvent,
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
from ._pagination import AsyncPaginator, Page
from ._raw import RawResponse
from ._retry import RetryPolicy
from ._streaming import EventStream
from ._types import NOT_GIVEN, NotGiven
from ._version import __version__
from .resources.events import AsyncEventsAPI
from .resources.sessions import AsyncSessionsAPI

__all__ = [
    "DEFAULT_BASE_URL",
    "NOT_GIVEN",
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AgentCustomToolUseEvent",
    "AgentMcpToolResultEvent",
    "AgentMcpToolUseEvent",
    "AgentMessageEvent",
    "AgentModel",
    "AgentRef",
    "AgentThinkingEvent",
    "AgentToolResultEvent",
    "AgentToolUseEvent",
    "AsyncEventsAPI",
    "AsyncPaginator",
    "AsyncQoder",
    "AsyncSessionsAPI",
    "AuthenticationError",
    "BulkProgress",
    "BulkResult",
    "CacheCreation",
    "ClientClosedError",
    "ConflictError",
    "ContentBlock",
    "ContentDelta",
    "DeletedSession",
    "DeltaTarget",
    "ErrorInfo",
    "Event",
    "EventDeltaEvent",
    "EventList",
    "EventStartEvent",
    "EventStream",
    "Hooks",
    "InternalServerError",
    "InvalidParameterError",
    "InvalidRequestError",
    "ModelUsage",
    "NotFoundError",
    "NotGiven",
    "Page",
    "ParameterTypeError",
    "PermissionDeniedError",
    "QoderError",
    "RateLimitError",
    "RawResponse",
    "RequestInfo",
    "ResponseInfo",
    "RetryInfo",
    "RetryPolicy",
    "Session",
    "SessionAgent",
    "SessionCancelResult",
    "SessionCreateParams",
    "SessionErrorEvent",
    "SessionErrorInfo",
    "SessionStats",
    "SessionStatusIdleEvent",
    "SessionStatusRescheduledEvent",
    "SessionStatusRunningEvent",
    "SessionStatusTerminatedEvent",
    "SpanModelRequestEndEvent",
    "SpanModelRequestStartEvent",
    "StopReason",
    "TokenProviderError",
    "TurnResult",
    "UnknownEvent",
    "UnprocessableEntityError",
    "Usage",
    "UserCustomToolResult",
    "UserCustomToolResultEvent",
    "UserInterrupt",
    "UserInterruptEvent",
    "UserMessage",
    "UserMessageEvent",
    "UserToolConfirmation",
    "UserToolConfirmationEvent",
    "UserToolResultEvent",
    "__version__",
    "request_id_of",
    "to_dict",
    "user_custom_tool_result",
    "user_interrupt",
    "user_message",
    "user_tool_confirmation",
]

# Public objects show their public home in reprs and tracebacks.
for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type) or callable(_obj):
        try:
            _obj.__module__ = __name__
        except (AttributeError, TypeError):
            pass
del _name, _obj
