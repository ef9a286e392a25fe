"""``AsyncQoder``: configuration, the pool it owns or borrows, and its lifetime."""

from __future__ import annotations

import ipaddress
import logging
import os
import ssl
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import attrs

from ._aiohttp import AiohttpTransport
from ._errors import InvalidParameterError, ParameterTypeError
from ._hooks import Hooks
from ._options import check_timeout, checked_extra_headers, scope_headers
from ._ratelimit import RateLimiter, build_limiter
from ._retry import RetryPolicy
from ._send import ClientConfig, Requester
from ._transport import AsyncTransport
from ._types import NOT_GIVEN, NotGiven, Secret, TokenProvider
from ._validation import check_int_range
from ._version import __version__
from .resources.agents import AsyncAgentsAPI
from .resources.deployments import AsyncDeploymentRunsAPI, AsyncDeploymentsAPI
from .resources.dreams import AsyncDreamsAPI
from .resources.environments import AsyncEnvironmentsAPI
from .resources.files import AsyncFilesAPI
from .resources.memory_stores import AsyncMemoryStoresAPI
from .resources.models import AsyncModelsAPI
from .resources.sessions import AsyncSessionsAPI
from .resources.skills import AsyncSkillsAPI
from .resources.vaults import AsyncVaultsAPI

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_MAX_RESPONSE_BYTES", "AsyncQoder"]

_log = logging.getLogger("qoder_async")

DEFAULT_BASE_URL = "https://openapi.qoder.sh/api/v1/cloud"
DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024
_TOKEN_ENV = ("QODER_PAT", "QODER_ACCESS_TOKEN")
_BASE_URL_ENV = "QODER_BASE_URL"
USER_AGENT = f"qoder-async/{__version__}"


class AsyncQoder:
    """Async client for the Qoder Cloud Agents API over one pooled ``aiohttp`` session.

    Resources: ``sessions`` (with ``events``), ``agents`` (``versions``), ``environments``
    (``work``), ``memory_stores`` (``memories``, ``memory_versions``), ``deployments``
    (``runs``), ``deployment_runs``, ``dreams``, ``models``, ``files``, ``vaults``
    (``credentials``) and ``skills`` (``versions``).

    Args:
        api_key: a PAT (``pt-...``), or a callable / async callable returning one, called for
            every attempt (rotating tokens). Defaults to ``$QODER_PAT``, then
            ``$QODER_ACCESS_TOKEN``.
        base_url: API root; defaults to ``$QODER_BASE_URL``, then ``https://openapi.qoder.sh/api/v1/cloud``.
        timeout: seconds per attempt (connect is capped at 10 s); ``None`` for no limit.
        retry: a :class:`RetryPolicy`; default 2 retries with backoff.
        max_retries: shorthand for ``retry=RetryPolicy(max_retries=...)`` (both may be given:
            this one wins).
        max_connections: size of the connection pool.
        http_session: an ``aiohttp.ClientSession`` you own; used as is, never closed by us.
        transport: an :class:`AsyncTransport` to send through instead of the default
            :class:`AiohttpTransport` (then ``max_connections``, ``http_session``,
            ``trace_configs``, ``verify_ssl`` and ``proxy`` are the transport's business).
        default_headers: extra headers for every request (``Authorization`` is refused here).
        workspace_id: sent as ``qoder-workspace-id``.
        betas: beta feature ids, sent as a comma list in ``x-qoder-beta``.
        hooks: :class:`Hooks` callbacks for metrics and tracing.
        trace_configs: ``aiohttp.TraceConfig`` objects for the pool we create.
        max_response_bytes: larger response bodies fail with ``APIResponseValidationError``.
        verify_ssl: ``False`` (or an ``ssl.SSLContext``) changes TLS verification; ``False`` warns.
        allow_insecure_http: allow ``http://`` to a host other than loopback.
        proxy: ``None`` honours ``HTTPS_PROXY`` and ``NO_PROXY``; a proxy URL overrides them;
            ``False`` uses no proxy. The token travels inside the proxy's TLS tunnel.
        writes_per_second: at most this many write attempts (POST, PATCH, PUT, DELETE;
            retries included) start per second: in this process, or with ``rate_limit_url``
            in every process sharing that Redis.
        rate_limit_url: a ``redis://`` URL: every process using it shares the one limit
            (needs the ``redis`` extra); a 429's ``Retry-After`` holds back all of them.
        rate_limit_key: the shared limit's name in Redis (one per account).
        rate_limit_reads: apply the limit to reads (GET, streams) as well.
        rate_limit_fallback: while Redis is unreachable, limit this process to this many
            starts per second (with a warning) instead of failing with
            :class:`RateLimiterUnavailableError`.
        rate_limiter: a :class:`RateLimiter` of your own instead (you close it).

    Example::

        async with AsyncQoder(api_key="pt-...") as client:
            session = await client.sessions.create(agent="agent_01", environment_id="env_01")
    """

    sessions: AsyncSessionsAPI
    """The Sessions endpoints, see :class:`AsyncSessionsAPI`."""
    agents: AsyncAgentsAPI
    """Agents and their versions, see :class:`AsyncAgentsAPI`."""
    environments: AsyncEnvironmentsAPI
    """Environments and the self-hosted work queue, see :class:`AsyncEnvironmentsAPI`."""
    memory_stores: AsyncMemoryStoresAPI
    """Memory stores, memories and memory versions, see :class:`AsyncMemoryStoresAPI`."""
    deployments: AsyncDeploymentsAPI
    """Deployments and their runs, see :class:`AsyncDeploymentsAPI`."""
    deployment_runs: AsyncDeploymentRunsAPI
    """Runs across every deployment, see :class:`AsyncDeploymentRunsAPI`."""
    dreams: AsyncDreamsAPI
    """Dreams, see :class:`AsyncDreamsAPI`."""
    models: AsyncModelsAPI
    """The models an account can use, see :class:`AsyncModelsAPI`."""
    files: AsyncFilesAPI
    """Files: streamed uploads and downloads, see :class:`AsyncFilesAPI`."""
    vaults: AsyncVaultsAPI
    """Vaults and their credentials, see :class:`AsyncVaultsAPI`."""
    skills: AsyncSkillsAPI
    """Skills and their versions, see :class:`AsyncSkillsAPI`."""

    def __init__(
        self,
        *,
        api_key: str | TokenProvider | None = None,
        base_url: str | None = None,
        timeout: float | None = 60.0,
        retry: RetryPolicy | None = None,
        max_retries: int | None = None,
        max_connections: int = 100,
        http_session: aiohttp.ClientSession | None = None,
        default_headers: Mapping[str, str] | None = None,
        workspace_id: str | None = None,
        betas: Sequence[str] | None = None,
        hooks: Hooks | None = None,
        trace_configs: Sequence[aiohttp.TraceConfig] | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        verify_ssl: bool | ssl.SSLContext = True,
        allow_insecure_http: bool = False,
        transport: AsyncTransport | None = None,
        proxy: str | bool | None = None,
        writes_per_second: float | None = None,
        rate_limit_url: str | None = None,
        rate_limit_key: str = "default",
        rate_limit_reads: bool = False,
        rate_limit_fallback: float | None = None,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        token, provider = _resolve_api_key(api_key)
        limiter, owned = build_limiter(
            rate_limiter,
            writes_per_second,
            rate_limit_url,
            rate_limit_key,
            rate_limit_fallback,
            rate_limit_reads,
        )
        if not isinstance(allow_insecure_http, bool):
            raise ParameterTypeError("allow_insecure_http", "expected True or False")
        url = _resolve_base_url(base_url, allow_insecure_http)
        if not isinstance(max_connections, int) or isinstance(max_connections, bool):
            raise ParameterTypeError("max_connections", "expected int")
        if max_connections < 1:
            raise InvalidParameterError("max_connections", "must be at least 1")
        if http_session is not None and not isinstance(http_session, aiohttp.ClientSession):
            raise ParameterTypeError("http_session", "expected an aiohttp.ClientSession")
        if (
            not isinstance(max_response_bytes, int)
            or isinstance(max_response_bytes, bool)
            or max_response_bytes < 1
        ):
            raise InvalidParameterError("max_response_bytes", "must be a positive int")
        if trace_configs is not None and (
            not isinstance(trace_configs, (list, tuple))
            or not all(isinstance(t, aiohttp.TraceConfig) for t in trace_configs)
        ):
            raise ParameterTypeError("trace_configs", "expected a list of aiohttp.TraceConfig")
        if hooks is not None and not isinstance(hooks, Hooks):
            raise ParameterTypeError("hooks", "expected a qoder_async.Hooks")
        if verify_ssl is False:
            _log.warning("TLS certificate verification is disabled for %s", _origin(url))
        elif not isinstance(verify_ssl, (bool, ssl.SSLContext)):
            raise ParameterTypeError("verify_ssl", "expected a bool or an ssl.SSLContext")
        if transport is None:
            transport = AiohttpTransport(
                max_connections=max_connections,
                http_session=http_session,
                verify_ssl=verify_ssl,
                trace_configs=trace_configs,
                proxy=proxy,
            )
        elif not isinstance(transport, AsyncTransport):
            raise ParameterTypeError("transport", "expected an AsyncTransport (send and aclose)")
        config = ClientConfig(
            base_url=url,
            token=token,
            token_provider=provider,
            timeout=check_timeout(timeout),
            retry=_check_retry(retry, max_retries),
            headers=_build_headers(default_headers, workspace_id, betas),
            max_response_bytes=max_response_bytes,
            hooks=hooks,
            rate_limiter=limiter,
            limit_reads=rate_limit_reads,
        )
        self._init_view(Requester(transport, config), limiter if owned else None)

    def _init_view(self, requester: Requester, owned_limiter: RateLimiter | None) -> None:
        self._requester = requester
        self._owned_limiter = owned_limiter
        self.sessions = AsyncSessionsAPI(requester)
        self.agents = AsyncAgentsAPI(requester)
        self.environments = AsyncEnvironmentsAPI(requester)
        self.memory_stores = AsyncMemoryStoresAPI(requester)
        self.deployments = AsyncDeploymentsAPI(requester)
        self.deployment_runs = AsyncDeploymentRunsAPI(requester)
        self.dreams = AsyncDreamsAPI(requester)
        self.models = AsyncModelsAPI(requester)
        self.files = AsyncFilesAPI(requester)
        self.vaults = AsyncVaultsAPI(requester)
        self.skills = AsyncSkillsAPI(requester)

    # -- derived views ------------------------------------------------------------------

    def with_options(
        self,
        *,
        timeout: float | NotGiven | None = NOT_GIVEN,
        retry: RetryPolicy | None = None,
        max_retries: int | None = None,
        default_headers: Mapping[str, str] | None = None,
        workspace_id: str | None = None,
        betas: Sequence[str] | None = None,
        api_key: str | TokenProvider | None = None,
        hooks: Hooks | None = None,
    ) -> AsyncQoder:
        """A view of this client with other defaults, sharing its transport and lifetime.

        No new ``ClientSession`` or connection is made; closing the parent closes the pool
        for every view (closing a view closes it too).

        Args:
            timeout: seconds per attempt (``None``: no limit); not given: the parent's.
            retry: another :class:`RetryPolicy`.
            max_retries: retries per call (shorthand for a ``RetryPolicy``).
            default_headers: headers added to the parent's.
            workspace_id: sent as ``qoder-workspace-id``.
            betas: beta ids, sent as ``x-qoder-beta``.
            api_key: another token or token provider.
            hooks: other :class:`Hooks`.

        Example::

            patient = client.with_options(timeout=300, retry=RetryPolicy(max_retries=5))
            await patient.sessions.create(agent="agent_01", environment_id="env_01")
        """
        config = self._requester.config
        changes: dict[str, Any] = {}
        if not isinstance(timeout, NotGiven):
            changes["timeout"] = check_timeout(timeout)
        if retry is not None or max_retries is not None:
            changes["retry"] = _check_retry(retry or config.retry, max_retries)
        if default_headers is not None or workspace_id is not None or betas is not None:
            merged = dict(config.headers)
            merged.update(_build_headers(default_headers, workspace_id, betas, base=False))
            changes["headers"] = merged
        if api_key is not None:
            changes["token"], changes["token_provider"] = _resolve_api_key(api_key)
        if hooks is not None:
            if not isinstance(hooks, Hooks):
                raise ParameterTypeError("hooks", "expected a qoder_async.Hooks")
            changes["hooks"] = hooks
        view = object.__new__(AsyncQoder)
        view._init_view(
            Requester(self._requester.transport, attrs.evolve(config, **changes)),
            self._owned_limiter,
        )
        return view

    # -- what it is -----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The API root every path is appended to."""
        return self._requester.config.base_url

    @property
    def transport(self) -> AsyncTransport:
        """The transport this client (and every view of it) sends through.

        Example::

            print(client.transport.in_flight())  # the default AiohttpTransport
        """
        return self._requester.transport

    # -- lifetime -----------------------------------------------------------------------

    @property
    def is_closed(self) -> bool:
        """Whether :meth:`aclose` was called (on this client or a view of its transport)."""
        return bool(getattr(self._requester.transport, "closed", False))

    async def aclose(self) -> None:
        """Close the transport (and the connection pool, if it created it) and the rate
        limiter it created. Safe to call twice.

        An ``http_session`` or ``rate_limiter`` you passed in is left open: it is yours.

        Example::

            client = AsyncQoder()
            try:
                await client.sessions.retrieve("sess_01")
            finally:
                await client.aclose()
        """
        try:
            await self._requester.transport.aclose()
        finally:
            if self._owned_limiter is not None:
                await self._owned_limiter.aclose()

    async def __aenter__(self) -> AsyncQoder:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        config = self._requester.config
        auth = "provider" if config.token_provider is not None else "token"
        state = "closed" if self.is_closed else "open"
        return f"<AsyncQoder base_url={config.base_url!r} auth={auth} {state}>"


def _resolve_api_key(api_key: object) -> tuple[Secret | None, TokenProvider | None]:
    if api_key is None:
        for name in _TOKEN_ENV:
            value = os.environ.get(name)
            if value:
                api_key = value.strip()
                break
        else:
            raise InvalidParameterError(
                "api_key",
                "no API key: pass api_key=... or set QODER_PAT (or QODER_ACCESS_TOKEN)",
            )
    if isinstance(api_key, str):
        if not api_key or any(c in api_key for c in "\r\n\x00 "):
            raise InvalidParameterError("api_key", "must be a non-empty token without whitespace")
        return Secret(api_key), None
    if callable(api_key):
        return None, api_key
    raise ParameterTypeError("api_key", "expected a str token or a callable returning one")


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _resolve_base_url(base_url: object, allow_insecure_http: bool) -> str:
    if base_url is None:
        base_url = os.environ.get(_BASE_URL_ENV) or DEFAULT_BASE_URL
    if not isinstance(base_url, str):
        raise ParameterTypeError("base_url", "expected str")
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidParameterError("base_url", f"expected an http(s) URL, got {base_url[:100]!r}")
    if parts.username or parts.password:
        raise InvalidParameterError("base_url", "must not contain credentials")
    if parts.query or parts.fragment:
        raise InvalidParameterError("base_url", "must not contain a query or fragment")
    if parts.scheme == "http" and not _is_loopback(parts.hostname) and not allow_insecure_http:
        raise InvalidParameterError(
            "base_url",
            "plain http:// would send the token in clear text; use https:// "
            "or pass allow_insecure_http=True",
        )
    return base_url.strip().rstrip("/")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _check_retry(retry: object, max_retries: object) -> RetryPolicy:
    if retry is None:
        retry = RetryPolicy()
    elif not isinstance(retry, RetryPolicy):
        raise ParameterTypeError("retry", "expected a qoder_async.RetryPolicy")
    if max_retries is not None:
        retry = attrs.evolve(retry, max_retries=check_int_range("max_retries", max_retries, 0, 100))
    return retry


def _build_headers(
    default_headers: Mapping[str, str] | None,
    workspace_id: str | None,
    betas: Sequence[str] | None,
    *,
    base: bool = True,
) -> dict[str, str]:
    headers: dict[str, str] = (
        {"User-Agent": USER_AGENT, "Accept": "application/json"} if base else {}
    )
    if default_headers is not None:
        if not isinstance(default_headers, Mapping):
            raise ParameterTypeError("default_headers", "expected a mapping of str to str")
        headers.update(checked_extra_headers(default_headers, "default_headers"))
    headers.update(scope_headers(workspace_id, betas))
    return headers
