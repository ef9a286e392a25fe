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

from ._aiohttp import AiohttpTransport
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
    RateLimiterUnavailableError,
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
    AgentThreadMessageReceivedEvent,
    AgentThreadMessageSentEvent,
    AgentToolResultEvent,
    AgentToolUseEvent,
)
from ._models.agents import (
    Agent,
    AgentSkill,
    AgentTool,
    Effort,
    McpServer,
    ModelConfig,
    Multiagent,
    MultiagentAgent,
)
from ._models.deployments import (
    BudgetLimit,
    Deployment,
    DeploymentRun,
    InitialEvent,
    PausedReason,
    Schedule,
    TriggerContext,
)
from ._models.dreams import Dream, DreamInput, DreamModel, DreamOutput, DreamUsage, OutputBehavior
from ._models.environments import (
    Environment,
    EnvironmentConfig,
    Networking,
    Packages,
    SelfHostedWork,
    WorkData,
    WorkHeartbeat,
    WorkQueueStats,
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
    SessionThreadCreatedEvent,
    SessionThreadStatusIdleEvent,
    SessionThreadStatusRescheduledEvent,
    SessionThreadStatusRunningEvent,
    SessionThreadStatusTerminatedEvent,
    SpanModelRequestEndEvent,
    SpanModelRequestStartEvent,
    StopReason,
    ThreadLifecycleEvent,
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
from ._models.memory_stores import Actor, Memory, MemoryStore, MemoryVersion
from ._models.models import (
    CapabilitySupport,
    ContextManagementCapability,
    EffortCapability,
    ModelCapabilities,
    ModelInfo,
    ThinkingCapability,
    ThinkingTypes,
)
from ._models.platform import AgentReference, DeletedObject, ErrorDetail, PlatformObject
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
from ._models.session_resources import (
    DeletedSessionResource,
    FileResource,
    GitHubRepositoryResource,
    GitRepositoryResource,
    MemoryStoreResource,
    RepositoryCheckout,
    SessionResource,
)
from ._models.threads import SessionThread, ThreadStats
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
from ._ratelimit import LocalRateLimiter, RateLimiter, RedisRateLimiter
from ._raw import RawResponse
from ._retry import RetryPolicy
from ._session_params import SessionCreateParams
from ._storage import *  # noqa: F403  (the files, vaults and skills names: _storage.__all__)
from ._storage import __all__ as _storage_names
from ._streaming import EventStream
from ._sync import Qoder
from ._sync_loop import SyncCallInEventLoopError
from ._sync_wrappers import SyncEventStream, SyncIterator, SyncPaginator, SyncResource
from ._transport import AsyncTransport, Request, Response
from ._types import NOT_GIVEN, NotGiven, TokenProvider
from ._version import __version__
from .resources.agents import AsyncAgentsAPI, AsyncAgentVersionsAPI
from .resources.deployments import (
    AsyncDeploymentRunsAPI,
    AsyncDeploymentsAPI,
    AsyncDeploymentScopedRunsAPI,
)
from .resources.dreams import AsyncDreamsAPI
from .resources.environments import AsyncEnvironmentsAPI, AsyncWorkAPI
from .resources.events import AsyncEventsAPI
from .resources.memory_stores import AsyncMemoriesAPI, AsyncMemoryStoresAPI, AsyncMemoryVersionsAPI
from .resources.models import AsyncModelsAPI
from .resources.session_resources import AsyncSessionResourcesAPI
from .resources.sessions import AsyncSessionsAPI
from .resources.threads import AsyncThreadEventsAPI, AsyncThreadsAPI

__all__ = [
    # the client and its configuration
    "AsyncQoder",
    "Qoder",
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
    # rate limits (shared across processes through Redis)
    "RateLimiter",
    "LocalRateLimiter",
    "RedisRateLimiter",
    # the transport seam
    "AsyncTransport",
    "AiohttpTransport",
    "Request",
    "Response",
    # resources and what they return besides models
    "AsyncSessionsAPI",
    "AsyncEventsAPI",
    "AsyncThreadsAPI",
    "AsyncThreadEventsAPI",
    "AsyncSessionResourcesAPI",
    "AsyncPaginator",
    "Page",
    "EventStream",
    "RawResponse",
    "SyncResource",
    "SyncPaginator",
    "SyncIterator",
    "SyncEventStream",
    "SessionCreateParams",
    "BulkResult",
    "BulkProgress",
    "request_id_of",
    "to_dict",
    # platform resources
    "AsyncAgentsAPI",
    "AsyncAgentVersionsAPI",
    "AsyncEnvironmentsAPI",
    "AsyncWorkAPI",
    "AsyncMemoryStoresAPI",
    "AsyncMemoriesAPI",
    "AsyncMemoryVersionsAPI",
    "AsyncDeploymentsAPI",
    "AsyncDeploymentScopedRunsAPI",
    "AsyncDeploymentRunsAPI",
    "AsyncDreamsAPI",
    "AsyncModelsAPI",
    # errors
    "QoderError",
    "ClientClosedError",
    "SyncCallInEventLoopError",
    "InvalidParameterError",
    "ParameterTypeError",
    "APIError",
    "APIConnectionError",
    "APITimeoutError",
    "APIResponseValidationError",
    "TokenProviderError",
    "RateLimiterUnavailableError",
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
    # models: threads and session resources
    "SessionThread",
    "ThreadStats",
    "SessionResource",
    "FileResource",
    "GitHubRepositoryResource",
    "GitRepositoryResource",
    "MemoryStoreResource",
    "RepositoryCheckout",
    "DeletedSessionResource",
    # models: agents
    "Agent",
    "ModelConfig",
    "Effort",
    "McpServer",
    "AgentSkill",
    "AgentTool",
    "Multiagent",
    "MultiagentAgent",
    # models: environments and self-hosted work
    "Environment",
    "EnvironmentConfig",
    "Networking",
    "Packages",
    "SelfHostedWork",
    "WorkData",
    "WorkHeartbeat",
    "WorkQueueStats",
    # models: memory stores
    "MemoryStore",
    "Memory",
    "MemoryVersion",
    "Actor",
    # models: deployments
    "Deployment",
    "DeploymentRun",
    "BudgetLimit",
    "Schedule",
    "PausedReason",
    "InitialEvent",
    "TriggerContext",
    # models: dreams
    "Dream",
    "DreamInput",
    "DreamModel",
    "DreamOutput",
    "DreamUsage",
    "OutputBehavior",
    # models: models
    "ModelInfo",
    "ModelCapabilities",
    "CapabilitySupport",
    "ContextManagementCapability",
    "EffortCapability",
    "ThinkingCapability",
    "ThinkingTypes",
    # models: shared by the platform resources
    "PlatformObject",
    "DeletedObject",
    "ErrorDetail",
    "AgentReference",
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
    "ThreadLifecycleEvent",
    "SessionThreadCreatedEvent",
    "SessionThreadStatusRunningEvent",
    "SessionThreadStatusIdleEvent",
    "SessionThreadStatusRescheduledEvent",
    "SessionThreadStatusTerminatedEvent",
    "AgentMessageEvent",
    "AgentThinkingEvent",
    "AgentToolUseEvent",
    "AgentToolResultEvent",
    "AgentMcpToolUseEvent",
    "AgentMcpToolResultEvent",
    "AgentCustomToolUseEvent",
    "AgentThreadMessageSentEvent",
    "AgentThreadMessageReceivedEvent",
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
__all__ += _storage_names

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
