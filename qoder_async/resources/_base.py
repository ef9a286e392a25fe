"""What every resource shares: a handle on the client's send path, and the raw-response view."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from .._pagination import AsyncPaginator, Page
from .._responses import Parser
from .._validation import path_segment

if TYPE_CHECKING:
    from .._raw import RawResponse
    from .._send import Requester

__all__ = ["RawResponseView", "Resource", "session_path"]

T = TypeVar("T")


def session_path(session_id: object, suffix: str = "") -> str:
    """``/sessions/{id}{suffix}``, the id validated and quoted: no caller input can change
    which URL is requested."""
    return f"/sessions/{path_segment('session_id', session_id, 'sess_')}{suffix}"


class Resource:
    """Base of the resource namespaces (``client.sessions``, ...); holds the send path only.

    An endpoint method validates its own arguments and hands method, path, body, query and
    result parser to :meth:`_request` (or :meth:`_list`); ``options`` are the caller's
    per-call :class:`RequestOptions`.
    """

    __slots__ = ("_requester",)

    def __init__(self, requester: Requester) -> None:
        self._requester = requester

    async def _request(
        self,
        method: str,
        path: str,
        parse: Parser[T],
        options: Mapping[str, Any],
        *,
        body: Any = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        secrets: tuple[str, ...] = (),
    ) -> T:
        return await self._requester.request(
            method,
            path,
            parse,
            body=body,
            query=query,
            options=options,
            headers=headers,
            secrets=secrets,
        )

    async def _action(self, path: str, parse: Parser[T], options: Mapping[str, Any]) -> T:
        # Argument-less POST actions send ``{}``, as the API expects.
        return await self._request("POST", path, parse, options, body={})

    async def _delete(
        self,
        path: str,
        parse: Parser[T],
        options: Mapping[str, Any],
        query: Mapping[str, Any] | None = None,
    ) -> T:
        # The API's DELETEs take a JSON body too: ``{}``.
        return await self._request("DELETE", path, parse, options, body={}, query=query)

    def _list(
        self,
        path: str,
        parse: Parser[Page[T]],
        query: Mapping[str, Any],
        options: Mapping[str, Any],
    ) -> AsyncPaginator[T]:
        return AsyncPaginator(self._requester, path, parse, query, options)

    @property
    def with_raw_response(self) -> RawResponseView:
        """The same methods, returning :class:`RawResponse` (status, headers, request id, timing).

        ``list(...)`` becomes an async iterator of the pages' responses (``raw.parse()`` is the
        :class:`Page`). ``stream``, ``run_turn``, ``create_many`` and ``download`` (whose
        :class:`BinaryResponse` has the status and headers) have no raw form.

        Example::

            raw = await client.sessions.with_raw_response.create(
                agent="agent_1", environment_id="env_1"
            )
            assert raw.status == 201 and raw.parse().id.startswith("sess_")
        """
        return RawResponseView(type(self)(self._requester.with_raw_response()))


class RawResponseView:
    """A resource whose methods return :class:`RawResponse` instead of the parsed result."""

    __slots__ = ("_resource",)

    def __init__(self, resource: Resource) -> None:
        self._resource = resource

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in _NO_RAW_FORM:
            raise AttributeError(
                f"{name} has no raw-response form (a stream, a download or a batch of calls); "
                "call it on the resource itself"
            )
        method = getattr(self._resource, name)
        if not callable(method) or isinstance(method, Resource):
            raise AttributeError(f"{name} is not an endpoint method")
        if name == "list":
            # A list call returns a paginator: its raw form iterates the pages' responses.
            def raw_pages(*args: Any, **kwargs: Any) -> AsyncIterator[RawResponse[Any]]:
                paginator: AsyncPaginator[Any] = method(*args, **kwargs)
                return paginator.raw_pages()

            return raw_pages
        return method  # type: ignore[no-any-return]


#: Methods that are not one request and one response.
_NO_RAW_FORM = frozenset({"stream", "run_turn", "create_many", "download"})
