"""Small shared types: the "not given" sentinel, the token holder, the token provider."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

__all__ = ["NOT_GIVEN", "NotGiven", "Secret", "TokenProvider"]

#: ``api_key`` as a callable: returns the token, or an awaitable of it.
TokenProvider = Callable[[], str | Awaitable[str]]


class NotGiven:
    """Sentinel for "argument not passed", distinct from an explicit ``None``.

    Example::

        await client.sessions.create(..., timeout=NOT_GIVEN)  # the client's timeout
        await client.sessions.create(..., timeout=None)       # no timeout for this call
    """

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> bool:
        return False


NOT_GIVEN = NotGiven()


class Secret:
    """Holds the API token; its repr never shows it."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<redacted>"
