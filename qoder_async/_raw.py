"""Raw responses: status, headers, request id and timing, with the body parsed on demand."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Generic, TypeVar

from ._responses import Parser, parse_success

__all__ = ["RawResponse"]

T = TypeVar("T")

_UNPARSED: Any = object()


class RawResponse(Generic[T]):
    """The HTTP response behind a call, from ``client.<resource>.with_raw_response.<method>()``.

    The body is read once; :meth:`parse` decodes and structures it the first time it is called
    and returns the same object afterwards.

    Example::

        raw = await client.sessions.with_raw_response.create(
            agent="agent_1", environment_id="env_1"
        )
        print(raw.status, raw.request_id, raw.headers.get("content-type"), raw.elapsed)
        session = raw.parse()
    """

    __slots__ = ("_parse", "_parsed", "content", "elapsed", "headers", "request_id", "status")

    def __init__(
        self,
        status: int,
        headers: Mapping[str, str],
        request_id: str | None,
        elapsed: float,
        content: bytes,
        parse: Parser[T],
    ) -> None:
        self.status = status
        self.headers = headers
        self.request_id = request_id
        self.elapsed = elapsed
        self.content = content
        self._parse = parse
        self._parsed: T = _UNPARSED

    def parse(self) -> T:
        """The typed result (``Session``, ...), as the plain method would have returned it.

        Example::

            session = raw.parse()
        """
        if self._parsed is _UNPARSED:
            self._parsed = parse_success(self.status, self.content, self.request_id, self._parse)
        return self._parsed

    def json(self) -> Any:
        """The body decoded as JSON, without structuring.

        Example::

            data = raw.json()  # a dict, as the server sent it
        """
        return json.loads(self.content)

    def __repr__(self) -> str:
        return f"<RawResponse status={self.status} request_id={self.request_id!r}>"
