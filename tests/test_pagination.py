"""Cursor rules (pure) and the lazy paginator over loopback, in both cursor styles."""

from __future__ import annotations

import json

import pytest
from conftest import AGENT, ENV, sample

from qoder_async import (
    APIResponseValidationError,
    AsyncPaginator,
    BadRequestError,
    InvalidParameterError,
    Page,
    Session,
    request_id_of,
)
from qoder_async._pagination import PageCursor, page_parser
from qoder_async.testing import FakeQoderServer, Fault

pytestmark = pytest.mark.anyio


def page(**kw) -> Page[str]:
    return Page(kw.pop("data", ["x"]), **kw)


# -- pure cursor rules ----------------------------------------------------------------


def test_next_page_wins_over_ids() -> None:
    cursor = PageCursor({"limit": 2, "order": "asc"})
    assert cursor.first() == {"limit": 2, "order": "asc"}
    nxt = cursor.advance(page(next_page="tok1", last_id="b", has_more=True))
    assert nxt == {"limit": 2, "order": "asc", "page": "tok1"}


def test_last_id_while_has_more_without_next_page() -> None:
    cursor = PageCursor({"limit": 2})
    assert cursor.advance(page(last_id="b", has_more=True)) == {"limit": 2, "after_id": "b"}
    assert cursor.advance(page(last_id="d", has_more=False)) is None


def test_the_cursor_param_is_replaced_not_accumulated() -> None:
    cursor = PageCursor({"limit": 2, "page": "tok0"})
    assert cursor.advance(page(next_page="tok1")) == {"limit": 2, "page": "tok1"}
    assert cursor.advance(page(last_id="z", has_more=True)) == {"limit": 2, "after_id": "z"}


def test_backward_walks_follow_first_id() -> None:
    cursor = PageCursor({"before_id": "m"})
    assert cursor.advance(page(first_id="f", last_id="l", has_more=True)) == {"before_id": "f"}


@pytest.mark.parametrize(
    "last",
    [page(has_more=False), page(has_more=False, last_id="b"), page(data=[], has_more=False)],
)
def test_the_end(last: Page[str]) -> None:
    assert PageCursor({}).advance(last) is None


def test_has_more_without_any_cursor_is_an_error() -> None:
    with pytest.raises(APIResponseValidationError, match="no cursor"):
        PageCursor({}).advance(page(data=[], has_more=True))


@pytest.mark.parametrize(
    "pages",
    [
        [page(next_page="t"), page(next_page="t")],
        [page(last_id="a", has_more=True), page(last_id="a", has_more=True)],
        [page(next_page="t0")],  # the first query's own cursor coming back
    ],
)
def test_a_repeated_cursor_is_an_error(pages: list[Page[str]]) -> None:
    cursor = PageCursor({"page": "t0"})
    for p in pages[:-1]:
        cursor.advance(p)
    with pytest.raises(APIResponseValidationError, match="twice"):
        cursor.advance(pages[-1])


def test_envelope_parsing() -> None:
    parse = page_parser(str.upper)
    parsed = parse({"data": ["a"], "first_id": "a", "last_id": "a", "has_more": False,
                    "next_page": None, "total": 1, "cursor_hint": "x"}, "req_1")  # fmt: skip
    assert parsed == Page(["A"], first_id="a", last_id="a", total=1)
    assert parsed.extra == {"cursor_hint": "x"} and parsed.request_id == "req_1"
    empty = {"data": [], "first_id": None, "last_id": None, "has_more": False}
    assert parse(empty, None).data == []
    assert parse({"data": None, "next_page": ""}, None).next_page is None


@pytest.mark.parametrize(
    "body",
    [[], {"data": {}}, {"data": [], "has_more": "yes"}, {"data": [], "last_id": 5}],
)
def test_bad_envelopes_raise(body: object) -> None:
    with pytest.raises(TypeError):
        page_parser(str)(body, None)


# -- over loopback ----------------------------------------------------------------------


async def make_sessions(client, count: int) -> list[str]:
    return [
        (await client.sessions.create(agent=AGENT, environment_id=ENV, title=f"s{n}")).id
        for n in range(count)
    ]


@pytest.mark.parametrize("style", ["page", "after_id"])
async def test_three_pages_fetched_lazily(fake_qoder: FakeQoderServer, qoder_client, style):
    fake_qoder.events.cursor_style = style
    created = await make_sessions(qoder_client, 7)
    listing = qoder_client.sessions.list(limit=3)
    assert isinstance(listing, AsyncPaginator)

    def fetched() -> list:
        return fake_qoder.requests_to("GET", "/sessions")

    assert fetched() == []  # nothing is sent before iterating
    iterator = aiter(listing)
    seen: list[Session] = []
    counts = []
    for _ in range(7):
        seen.append(await anext(iterator))
        counts.append(len(fetched()))
    # a page is only requested once the previous one is used up
    assert counts == [1, 1, 1, 2, 2, 2, 3]
    with pytest.raises(StopAsyncIteration):
        await anext(iterator)
    assert len(fetched()) == 3
    assert [s.id for s in seen] == created[::-1]  # newest first
    queries = [r.query for r in fetched()]
    if style == "page":
        assert queries == [{"limit": "3"}, {"limit": "3", "page": "page_3"},
                           {"limit": "3", "page": "page_6"}]  # fmt: skip
    else:
        assert queries == [{"limit": "3"}, {"limit": "3", "after_id": seen[2].id},
                           {"limit": "3", "after_id": seen[5].id}]  # fmt: skip


async def test_pages_and_reiteration(fake_qoder, qoder_client) -> None:
    await make_sessions(qoder_client, 5)
    listing = qoder_client.sessions.list(limit=2, order="asc")
    pages = [p async for p in listing.pages()]
    assert [len(p.data) for p in pages] == [2, 2, 1]
    assert [p.has_more for p in pages] == [True, True, False]
    assert all(p.first_id == p.data[0].id and p.last_id == p.data[-1].id for p in pages)
    assert all(request_id_of(p) for p in pages)
    again = [s.id async for s in listing]  # a second walk starts over
    assert again == [s.id for p in pages for s in p.data]
    assert len(fake_qoder.requests_to("GET", "/sessions")) == 6


async def test_a_server_that_repeats_its_cursor_does_not_loop(fake_qoder, qoder_client):
    body = {"data": [{"id": "sess_1"}], "has_more": True, "next_page": "same"}
    fake_qoder.inject(Fault.respond(200, body), times=5, path="/sessions")
    iterator = aiter(qoder_client.sessions.list())
    seen = [(await anext(iterator)).id, (await anext(iterator)).id]
    with pytest.raises(APIResponseValidationError, match="twice"):
        await anext(iterator)
    assert seen == ["sess_1", "sess_1"]  # both pages were delivered before the error
    assert len(fake_qoder.requests_to("GET", "/sessions")) == 2


async def test_a_bad_envelope_is_a_validation_error(fake_qoder, qoder_client) -> None:
    fake_qoder.inject(Fault.respond(200, [{"id": "sess_1"}]), path="/sessions")
    with pytest.raises(APIResponseValidationError):
        async for _ in qoder_client.sessions.list():
            pass


@pytest.mark.parametrize(
    "extra", [{"limit": "0"}, {"limit": "101"}, {"page": "page_0", "after_id": "sess_1"}]
)
async def test_the_fake_server_answers_the_documented_400s(fake_qoder, qoder_client, extra):
    await make_sessions(qoder_client, 1)
    with pytest.raises(BadRequestError):
        async for _ in qoder_client.sessions.list(extra_query=extra):
            pass


@pytest.mark.parametrize("limit", [0, 101, -1, True, 2.5])
async def test_limit_out_of_range_raises_before_sending(fake_qoder, qoder_client, limit) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        qoder_client.sessions.list(limit=limit)
    assert caught.value.field == "limit"
    assert fake_qoder.requests == []


@pytest.mark.parametrize(
    "name",
    [
        "sessions.list.v1-docs.json",
        "sessions.list.v2-docs.zh-mintlify.json",
        "sessions.list.v3-docs.json",
    ],
)
async def test_session_list_samples(fake_qoder, qoder_client, name) -> None:
    raw = sample(name)
    published = json.loads(raw)
    fake_qoder.inject(Fault.respond(200, raw), path="/sessions")
    pages = [p async for p in qoder_client.sessions.list().pages()]
    [first] = pages
    assert [s.id for s in first.data] == [s["id"] for s in published["data"]]
    assert first.first_id == published["first_id"] and first.last_id == published["last_id"]
    assert first.has_more is False and first.next_page is None
    assert all(isinstance(s, Session) for s in first.data)
    assert len(fake_qoder.requests_to("GET", "/sessions")) == 1
