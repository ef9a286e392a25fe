"""What every resource shares: a handle on the client's pipeline."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .._pipeline import Pipeline
    from .._raw import RawResponse

__all__ = ["RawResponseView", "Resource"]


class Resource:
    """Base of the resource namespaces (``client.sessions``, ...); holds the pipeline only."""

    __slots__ = ("_pipeline",)

    def __init__(self, pipeline: Pipeline) -> None:
        self._pipeline = pipeline

    @property
    def with_raw_response(self) -> RawResponseView:
        """The same methods, returning :class:`RawResponse` (status, headers, request id, timing).

        Example::

            raw = await client.sessions.with_raw_response.create(
                agent="agent_1", environment_id="env_1"
            )
            assert raw.status == 201 and raw.parse().id.startswith("sess_")
        """
        return RawResponseView(type(self)(self._pipeline.raw()))


class RawResponseView:
    """A resource whose methods return :class:`RawResponse` instead of the parsed result."""

    __slots__ = ("_resource",)

    def __init__(self, resource: Resource) -> None:
        self._resource = resource

    def __getattr__(self, name: str) -> Callable[..., Awaitable[RawResponse[Any]]]:
        if name.startswith("_"):
            raise AttributeError(name)
        method = getattr(self._resource, name)
        if not callable(method):
            raise AttributeError(f"{name} is not an endpoint method")
        return method  # type: ignore[no-any-return]
