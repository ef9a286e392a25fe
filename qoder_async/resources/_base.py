"""What every resource shares: a handle on the client's pipeline."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .._pipeline import Pipeline

__all__ = ["Resource"]


class Resource:
    """Base of the resource namespaces (``client.sessions``, ...); holds the pipeline only."""

    __slots__ = ("_pipeline",)

    def __init__(self, pipeline: Pipeline) -> None:
        self._pipeline = pipeline
