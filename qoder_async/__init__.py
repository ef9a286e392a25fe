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
from ._pipeline import NOT_GIVEN, NotGiven
from ._raw import RawResponse
from ._retry import RetryPolicy
from ._version import __version__
from .resources.sessions import AsyncSessionsAPI

__all__ = [
    "DEFAULT_BASE_URL",
    "NOT_GIVEN",
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AgentModel",
    "AgentRef",
    "AsyncQoder",
    "AsyncSessionsAPI",
    "AuthenticationError",
    "CacheCreation",
    "ClientClosedError",
    "ConflictError",
    "DeletedSession",
    "ErrorInfo",
    "Hooks",
    "InternalServerError",
    "InvalidParameterError",
    "InvalidRequestError",
    "NotFoundError",
    "NotGiven",
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
    "SessionStats",
    "TokenProviderError",
    "UnprocessableEntityError",
    "Usage",
    "__version__",
    "request_id_of",
    "to_dict",
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
