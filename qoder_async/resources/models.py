"""``client.models``: ``list``, the one list that pages by id (``after_id=<last_id>``, or
``before_id=<first_id>`` when the first call walks backward), not by ``page`` token."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from .._models._converter import structurer
from .._models.models import ModelInfo
from .._pagination import AsyncPaginator, Page, page_parser
from ._base import Resource
from ._common import CURSORS, build_query

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._options import RequestOptions

__all__ = ["AsyncModelsAPI"]

_page = page_parser(structurer(ModelInfo))
_QUERY = {name: CURSORS[name] for name in ("after_id", "before_id", "limit")}


def _model_page(data: Any, request_id: str | None) -> Page[ModelInfo]:
    page = _page(data, request_id)
    # An empty page ends an id-paged list even if it says has_more: there is no id to go on.
    return attrs.evolve(page, has_more=False) if not page.data and page.has_more else page


class AsyncModelsAPI(Resource):
    """The models an account can use: ``list``.

    Reach it as ``client.models``.

    Example::

        async for model in client.models.list():
            print(model.id, model.display_name)
    """

    __slots__ = ()

    def list(
        self,
        *,
        after_id: str | None = None,
        before_id: str | None = None,
        limit: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[ModelInfo]:
        """Every model (``GET /models``), fetched page by page as you iterate.

        Args:
            after_id: start after this model id.
            before_id: walk backward from this model id.
            limit: page size (1-100).
            options: per-call :class:`RequestOptions`, applied to every page.

        Example::

            ids = [model.id async for model in client.models.list(limit=50)]
        """
        return self._list("/models", _model_page, build_query(_QUERY, locals()), options)
