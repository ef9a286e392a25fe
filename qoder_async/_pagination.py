"""List endpoints: the page envelope, the cursor rules, and a lazy async iterator over them.

The cursor rules are pure (:class:`PageCursor`): given the page just received, which query
fetches the next one. Two generations of the API page differently, and both are followed:
an opaque ``next_page`` token sent back as ``page`` (newer), else ``last_id`` sent as
``after_id`` while ``has_more`` (older; ``first_id`` as ``before_id`` when walking backward).
A cursor that comes back a second time would loop forever, so it is an error instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

import attrs

from ._errors import APIResponseValidationError
from ._raw import RawResponse
from ._responses import Parser

if TYPE_CHECKING:
    from ._send import Requester

__all__ = ["CURSOR_PARAMS", "AsyncPaginator", "Page", "PageCursor", "page_parser"]

T = TypeVar("T")

#: Query parameters that position a page; at most one is sent per request.
CURSOR_PARAMS = ("page", "after_id", "before_id")


@attrs.frozen
class Page(Generic[T]):
    """One page of a list endpoint.

    ``next_page`` is the opaque cursor of newer servers (``None`` on older ones, which page
    with ``last_id``/``first_id``); ``total`` is only sent by some search endpoints.

    Example::

        async for page in client.sessions.list(limit=50).pages():
            print(len(page.data), page.first_id, page.last_id, page.has_more)
    """

    data: list[T]
    first_id: str | None = None
    last_id: str | None = None
    has_more: bool = False
    next_page: str | None = None
    total: int | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict, eq=False, repr=False, kw_only=True)
    request_id: str | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


_ENVELOPE_KEYS = frozenset({"data", "first_id", "last_id", "has_more", "next_page", "total"})


def _optional_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None or type(value) is str:
        return value
    raise TypeError(f"{key} must be a string or null, got {type(value).__name__}")


def page_parser(item: Callable[[Any], T]) -> Parser[Page[T]]:
    """A parse function for the list envelope whose ``data`` items ``item`` structures."""

    def parse(data: Any, request_id: str | None) -> Page[T]:
        if type(data) is not dict:
            raise TypeError(
                f"expected the list envelope (a JSON object), got {type(data).__name__}"
            )
        items = data.get("data")
        if items is None:
            items = []
        elif type(items) is not list:
            raise TypeError(f"data must be an array, got {type(items).__name__}")
        has_more = data.get("has_more", False)
        if has_more is None:
            has_more = False
        elif type(has_more) is not bool:
            raise TypeError(f"has_more must be a boolean, got {has_more!r:.40}")
        total = data.get("total")
        if total is not None and (type(total) is not int):
            raise TypeError(f"total must be an integer, got {total!r:.40}")
        extra = (
            {}
            if _ENVELOPE_KEYS.issuperset(data)
            else {k: v for k, v in data.items() if k not in _ENVELOPE_KEYS}
        )
        return Page(
            [item(entry) for entry in items],
            first_id=_optional_str(data, "first_id"),
            last_id=_optional_str(data, "last_id"),
            has_more=has_more,
            next_page=_optional_str(data, "next_page") or None,
            total=total,
            extra=extra,
            request_id=request_id,
        )

    return parse


class PageCursor:
    """Which query fetches the next page (sans I/O).

    Example::

        cursor = PageCursor({"limit": 2})
        query = cursor.first()                  # {"limit": 2}
        query = cursor.advance(page)            # {"limit": 2, "page": "..."} or None at the end
    """

    __slots__ = ("_backward", "_base", "_first", "_seen")

    def __init__(self, query: Mapping[str, Any]) -> None:
        self._first = dict(query)
        self._base = {k: v for k, v in query.items() if k not in CURSOR_PARAMS}
        self._backward = "before_id" in query
        self._seen: set[tuple[str, str]] = set()
        for key in CURSOR_PARAMS:
            value = query.get(key)
            if isinstance(value, str):
                self._seen.add((key, value))

    def first(self) -> dict[str, Any]:
        """The query of the first page."""
        return dict(self._first)

    def next_cursor(self, page: Page[Any]) -> tuple[str, str] | None:
        """``(param, value)`` positioning the page after ``page``, or ``None`` at the end."""
        if page.next_page:
            return "page", page.next_page
        if not page.has_more:
            return None
        if self._backward:
            if page.first_id:
                return "before_id", page.first_id
        elif page.last_id:
            return "after_id", page.last_id
        raise APIResponseValidationError(
            "the list response says has_more but gives no cursor to continue from "
            "(no next_page, first_id or last_id)",
            status_code=200,
            request_id=page.request_id,
        )

    def advance(self, page: Page[Any]) -> dict[str, Any] | None:
        """The query of the page after ``page``, or ``None`` when there is none."""
        cursor = self.next_cursor(page)
        if cursor is None:
            return None
        if cursor in self._seen:
            raise APIResponseValidationError(
                f"the server returned the {cursor[0]} cursor {cursor[1][:80]!r} twice; "
                "stopping instead of looping over the same pages",
                status_code=200,
                request_id=page.request_id,
            )
        self._seen.add(cursor)
        return {**self._base, cursor[0]: cursor[1]}


class AsyncPaginator(Generic[T]):
    """Every item of a list endpoint, fetched page by page as you iterate.

    Nothing is sent until iteration starts, and a page is only requested once the previous
    one is consumed. Each ``async for`` walks the list again from the first page.

    Example::

        async for session in client.sessions.list(limit=100):
            print(session.id)

        async for page in client.sessions.list().pages():
            print(len(page.data), page.has_more)
    """

    __slots__ = ("_options", "_parse", "_path", "_query", "_requester")

    def __init__(
        self,
        requester: Requester,
        path: str,
        parse: Parser[Page[T]],
        query: Mapping[str, Any],
        options: Mapping[str, Any] | None = None,
    ) -> None:
        self._requester = requester
        self._path = path
        self._parse = parse
        self._query = dict(query)
        self._options = options

    async def _fetch(self, query: dict[str, Any]) -> Any:
        return await self._requester.request(
            "GET", self._path, self._parse, query=query, options=self._options
        )

    def pages(self) -> AsyncIterator[Page[T]]:
        """Iterate over whole :class:`Page` objects instead of items.

        Example::

            async for page in client.sessions.list(limit=50).pages():
                print(len(page.data), page.has_more)
        """
        return _PageIterator(self._fetch, PageCursor(self._query))

    def raw_pages(self) -> AsyncIterator[RawResponse[Page[T]]]:
        """Iterate over the HTTP responses of the pages (status, headers, request id).

        Example::

            async for raw in client.sessions.list().raw_pages():
                print(raw.status, raw.request_id, len(raw.parse().data))
        """
        requester = self._requester.with_raw_response()

        async def fetch(query: dict[str, Any]) -> RawResponse[Page[T]]:
            # A raw requester hands back the RawResponse in place of the parsed page.
            raw = await requester.request(
                "GET", self._path, self._parse, query=query, options=self._options
            )
            return cast("RawResponse[Page[T]]", raw)

        return _RawPageIterator(fetch, PageCursor(self._query))

    def __aiter__(self) -> AsyncIterator[T]:
        return _ItemIterator(_PageIterator(self._fetch, PageCursor(self._query)))

    def __repr__(self) -> str:
        return f"<AsyncPaginator {self._path} query={self._query!r}>"


class _PageIterator(Generic[T]):
    __slots__ = ("_cursor", "_done", "_fetch", "_last")

    def __init__(
        self, fetch: Callable[[dict[str, Any]], Awaitable[Page[T]]], cursor: PageCursor
    ) -> None:
        self._fetch = fetch
        self._cursor = cursor
        self._last: Page[T] | None = None
        self._done = False

    def __aiter__(self) -> _PageIterator[T]:
        return self

    async def __anext__(self) -> Page[T]:
        if self._done:
            raise StopAsyncIteration
        if self._last is None:
            query = self._cursor.first()
        else:
            # Decided only when the next page is asked for: a page is always delivered
            # before an error about the cursor that follows it.
            self._done = True
            next_query = self._cursor.advance(self._last)
            if next_query is None:
                raise StopAsyncIteration
            self._done = False
            query = next_query
        page = await self._fetch(query)
        self._last = page
        return page


class _RawPageIterator(Generic[T]):
    """Pages as :class:`RawResponse` objects; the cursor still follows the parsed pages."""

    __slots__ = ("_latest", "_pages")

    def __init__(self, fetch: Callable[[dict[str, Any]], Awaitable[Any]], cursor: PageCursor):
        self._latest: RawResponse[Page[T]] | None = None

        async def fetch_parsed(query: dict[str, Any]) -> Page[T]:
            raw: RawResponse[Page[T]] = await fetch(query)
            self._latest = raw
            return raw.parse()

        self._pages = _PageIterator(fetch_parsed, cursor)

    def __aiter__(self) -> _RawPageIterator[T]:
        return self

    async def __anext__(self) -> RawResponse[Page[T]]:
        await self._pages.__anext__()
        assert self._latest is not None
        return self._latest


class _ItemIterator(Generic[T]):
    __slots__ = ("_index", "_items", "_pages")

    def __init__(self, pages: _PageIterator[T]) -> None:
        self._pages = pages
        self._items: list[T] = []
        self._index = 0

    def __aiter__(self) -> _ItemIterator[T]:
        return self

    async def __anext__(self) -> T:
        while self._index >= len(self._items):
            # Empty pages with has_more are legal; keep going until items or the end.
            page = await self._pages.__anext__()
            self._items = page.data
            self._index = 0
        item = self._items[self._index]
        self._index += 1
        return item
