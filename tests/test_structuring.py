"""How response objects are built from decoded JSON: the rules every response model follows."""

from __future__ import annotations

import copy
import json
import pickle
import subprocess
import sys
from collections.abc import Mapping
from datetime import datetime, timezone
from types import MappingProxyType
from typing import Any

import attrs
import pytest
from conftest import sample

from qoder_async import (
    AgentMessageEvent,
    DeletedSession,
    Event,
    EventList,
    Session,
    SessionAgent,
    SessionCancelResult,
    SessionErrorEvent,
    SessionStatusIdleEvent,
    TurnResult,
    UnknownEvent,
    Usage,
    request_id_of,
    to_dict,
)
from qoder_async._models import agent_events, event_base, events, previews, user_events
from qoder_async._models import session as session_models
from qoder_async._models._base import NO_EXTRA, extra_field
from qoder_async._models._converter import response_parser, structurer


def _response_models() -> list[type[Any]]:
    found: dict[str, type[Any]] = {}
    for module in (session_models, event_base, events, agent_events, user_events, previews):
        for value in vars(module).values():
            is_model = isinstance(value, type) and attrs.has(value)
            if is_model and value is not session_models.AgentRef:  # AgentRef is request-side
                found[value.__name__] = value
    return [found[name] for name in sorted(found)]


RESPONSE_MODELS = _response_models()
parse_session = structurer(Session)
parse_event = structurer(Event)
session_response = response_parser(Session)

# Values of every JSON type (and a few Python ones) that each field is tried with.
PALETTE: list[Any] = [
    None, "s", "", 0, 7, 7.0, 7.5, True, False, [], ["a"], ["a", 1], ("a", 2), {}, {"a": "b"},
    {"a": 1}, {"type": "text", "text": "hi"}, [{"type": "text", "text": "a"}, "b"],
    "2026-05-18T15:26:15.747298Z", "2026-05-18T03:40:48.888851795Z", "2026-05-18 03:40",
    "not a time", MappingProxyType({"a": "b"}),
]  # fmt: skip


def _v3_session_body() -> dict[str, Any]:
    return json.loads(sample("session.create.v3-docs.json"))  # type: ignore[no-any-return]


# -- models are plain slotted attrs classes ------------------------------------------------


def test_every_response_model_is_slotted_and_frozen() -> None:
    assert len(RESPONSE_MODELS) > 30
    for cls in (*RESPONSE_MODELS, TurnResult):
        assert "__slots__" in cls.__dict__, cls.__name__
        instance = cls(**{a.alias: "x" for a in attrs.fields(cls) if a.default is attrs.NOTHING})
        assert not hasattr(instance, "__dict__"), cls.__name__
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            instance.extra = {}  # type: ignore[misc]


@pytest.mark.parametrize("cls", RESPONSE_MODELS, ids=lambda cls: cls.__name__)
def test_every_field_takes_any_json_value_or_fails_with_a_plain_error(cls: type[Any]) -> None:
    # Whatever a field holds, structuring returns the class or raises TypeError/ValueError
    # (KeyError for a missing required field), reads the payload without changing it, and
    # keeps every unknown key in ``extra``.
    parse = structurer(cls)
    fields = [a for a in attrs.fields(cls) if a.init and a.name not in ("extra", "request_id")]
    typical = {a.name: "x" for a in fields}
    inputs: list[Any] = [{}, typical, {"zzz": 1}, {"extra": 5, "request_id": "r"}]
    for field in fields:
        for value in PALETTE:
            inputs += [{field.name: value}, {**typical, field.name: value}]
    for value in inputs:
        before = repr(value)
        try:
            obj = parse(value)
        except (TypeError, ValueError, KeyError):
            continue
        finally:
            assert repr(value) == before
        if cls is Event:  # the discriminating hook: never fails on an object
            assert isinstance(obj, Event)
            continue
        assert type(obj) is cls
        unknown = {k: v for k, v in value.items() if k not in {a.name for a in fields}}
        if "extra" in attrs.fields_dict(cls):
            assert dict(obj.extra) == unknown
        assert getattr(obj, "request_id", None) is None


def test_objects_are_picklable_and_copyable() -> None:
    session = parse_session({**_v3_session_body(), "zz": 1})
    event = parse_event({"type": "session.status_idle", "stop_reason": "end_turn", "q": 2})
    turn = TurnResult(text="t", events=[event])
    for obj in (session, event, turn, Session(id="built"), attrs.evolve(session, title="u")):
        restored = pickle.loads(pickle.dumps(obj))
        assert restored == obj and getattr(restored, "extra", None) == getattr(obj, "extra", None)
        assert copy.deepcopy(obj) == obj
    assert pickle.loads(pickle.dumps(Session(id="s"))).extra is NO_EXTRA


def test_objects_unpickle_in_a_fresh_interpreter() -> None:
    # The shared empty ``extra`` pickles by name: it must come back as the one NO_EXTRA.
    event = parse_event(
        {"type": "span.model_request_end", "model_usage": {"credits": 2}, "usage": {}}
    )
    code = (
        "import pickle, sys; from qoder_async._models._base import NO_EXTRA; "
        "event = pickle.loads(sys.stdin.buffer.read()); "
        "print(event.extra is NO_EXTRA, event.model_usage.extra is NO_EXTRA, "
        "event.usage.extra == {})"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], input=pickle.dumps(event), capture_output=True, check=True
    )
    assert done.stdout.split() == [b"True", b"True", b"True"]


def test_attrs_features_work_on_structured_objects() -> None:
    session = parse_session({"id": "s", "title": "t", "zz": 1, "agent": {"name": "n"}})
    plain = parse_session({"id": "s", "title": "t", "agent": {"name": "n"}})
    assert session == plain and session != attrs.evolve(plain, title="u")
    assert attrs.evolve(session, title="u").extra == {"zz": 1}
    assert "zz" not in repr(session) and repr(session) == repr(plain)
    assert attrs.asdict(session)["extra"] == {"zz": 1}
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        session.title = "u"  # type: ignore[misc]


def test_to_dict_merges_extra_back_and_leaves_the_request_id_out() -> None:
    session = session_response({"id": "s", "zz": 1, "agent": {"name": "n", "q": 2}}, "req_1")
    data = to_dict(session)
    assert data["zz"] == 1 and data["agent"]["name"] == "n" and data["agent"]["q"] == 2
    assert "extra" not in data and "request_id" not in data
    stamped = parse_session({"id": "s", "created_at": "2026-05-18T03:40:48.888851795Z"})
    assert to_dict(stamped)["created_at"] == "2026-05-18T03:40:48.888851Z"
    assert to_dict(parse_event({"type": "agent.message", "content": "hi"}))["content"] == [
        {"type": "text", "text": "hi"}
    ]


# -- forward compatibility ---------------------------------------------------------------


def test_unknown_keys_go_to_extra_and_never_become_attributes() -> None:
    body = {
        "id": "s",
        "zz": 1,
        "extra": 2,
        "request_id": "r",
        "_request_id": "q",
        "agent": {"q": 3},
    }
    before = copy.deepcopy(body)
    session = parse_session(body)
    assert session.extra == {"zz": 1, "extra": 2, "request_id": "r", "_request_id": "q"}
    assert not hasattr(session, "zz") and session.request_id is None
    assert request_id_of(session) is None
    assert session.agent is not None and session.agent.extra == {"q": 3}
    assert body == before  # the caller's object is read, never changed


def test_objects_without_unknown_keys_share_no_extra() -> None:
    session = parse_session({"id": "s", "agent": {"id": "a"}, "usage": {}})
    assert session.extra is NO_EXTRA and session.extra == {} and not session.extra
    assert session.agent is not None and session.agent.extra is NO_EXTRA
    assert session.usage is not None and session.usage.extra is NO_EXTRA
    assert parse_session(MappingProxyType({"id": "s"})).extra is NO_EXTRA


def test_enums_are_open_strings() -> None:
    session = parse_session({"id": "s", "status": "hibernating", "turn_status": "new"})
    assert session.status == "hibernating" and session.turn_status == "new"
    idle = parse_event({"type": "session.status_idle", "stop_reason": {"type": "brand_new"}})
    assert isinstance(idle, SessionStatusIdleEvent) and idle.stop_reason is not None
    assert idle.stop_reason.type == "brand_new"


# -- null, primitives, timestamps ---------------------------------------------------------


def test_missing_and_null_containers_are_fresh_per_object() -> None:
    first, second = parse_session({"id": "a"}), parse_session({"id": "b", "metadata": None})
    for name in ("metadata", "resources", "vault_ids", "environment_variables"):
        assert getattr(first, name) == getattr(second, name)
        assert not getattr(first, name)
        assert getattr(first, name) is not getattr(second, name)
    agents = [parse_session({"id": "a", "agent": {}}).agent for _ in range(2)]
    assert agents[0] is not None and agents[1] is not None
    assert agents[0].tools == [] and agents[0].tools is not agents[1].tools


def test_null_optional_fields_stay_none() -> None:
    session = parse_session(
        {"id": "s", "title": None, "agent": None, "usage": None, "budget": None,
         "created_at": None, "vault_ids": None, "environment_variables": None}
    )  # fmt: skip
    assert session.title is None and session.agent is None and session.usage is None
    assert session.budget is None and session.created_at is None
    assert session.vault_ids == [] and session.environment_variables == {}


@pytest.mark.parametrize(
    ("body", "field", "expected"),
    [
        ({"title": 5}, "title", "5"),
        ({"title": 2.5}, "title", "2.5"),
        ({"agent": {"version": 3.0}}, "agent.version", 3),
        ({"stats": {"active_seconds": 2}}, "stats.active_seconds", 2),
        ({"usage": {"total_credits": 1.5}}, "usage.total_credits", 1.5),
        ({"vault_ids": ["v", 7]}, "vault_ids", ["v", "7"]),
        ({"environment_variables": {"A": 1}}, "environment_variables", {"A": "1"}),
        ({"agent": {"model": "m1"}}, "agent.model", "m1"),
        ({"type": None}, "type", None),
        ({"agent": {"tools": ("t",)}}, "agent.tools", ["t"]),
        ({"budget": {"max": 1}}, "budget", {"max": 1}),
    ],
)
def test_primitives_convert_only_where_the_wire_allows(body, field, expected) -> None:
    value: Any = parse_session({"id": "s", **body})
    for name in field.split("."):
        value = getattr(value, name)
    assert value == expected and type(value) is type(expected)


def test_timestamps_are_aware_datetimes() -> None:
    session = parse_session(
        {
            "id": "s",
            "created_at": "2026-05-18T03:40:48.888851795Z",
            "updated_at": "2026-05-18 03:40",
        }
    )
    assert session.created_at == datetime(2026, 5, 18, 3, 40, 48, 888851, tzinfo=timezone.utc)
    assert session.updated_at == datetime(2026, 5, 18, 3, 40, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("body", "error", "reason"),
    [
        ({"title": "t"}, KeyError, "'id'"),
        ({"id": None}, TypeError, "expected a string"),
        ({"id": "s", "title": True}, TypeError, "expected a string"),
        ({"id": "s", "title": ["t"]}, TypeError, "expected a string"),
        ({"id": "s", "agent": {"version": 2.5}}, TypeError, "expected an integer"),
        ({"id": "s", "agent": {"version": False}}, TypeError, "expected an integer"),
        ({"id": "s", "stats": {"active_seconds": True}}, TypeError, "expected a number"),
        ({"id": "s", "resources": "r"}, TypeError, "expected a JSON array"),
        ({"id": "s", "metadata": []}, TypeError, "expected a JSON object"),
        ({"id": "s", "created_at": "yesterday"}, ValueError, "RFC 3339"),
        ({"id": "s", "created_at": 1747539648}, TypeError, "RFC 3339"),
        ({"id": "s", "usage": []}, TypeError, "expected a JSON object for Usage"),
        ({"id": "s", "agent": {"model": 5}}, TypeError, "expected a JSON object for AgentModel"),
    ],
)
def test_bad_shapes_are_plain_errors(body, error, reason) -> None:
    # The response pipeline turns any of them into an APIResponseValidationError.
    with pytest.raises(error, match=reason):
        parse_session(body)
    with pytest.raises(error, match=reason):
        session_response(body, "req_1")


def test_any_mapping_is_accepted_and_anything_else_is_a_type_error() -> None:
    assert parse_session(MappingProxyType({"id": "s", "zz": 1})).extra == {"zz": 1}
    for value in (["id"], "id", None, 5):
        with pytest.raises(TypeError, match="expected a JSON object for Session, got"):
            parse_session(value)


def test_nested_models_keep_their_types() -> None:
    session = parse_session({"id": "s", "agent": {"model": {"id": "m"}}, "usage": {}})
    assert isinstance(session.agent, SessionAgent) and isinstance(session.usage, Usage)
    assert session.agent.model_id == "m"


# -- string-or-object fields and events ---------------------------------------------------


def test_fields_sent_as_a_string_or_an_object() -> None:
    v1 = parse_session({"id": "s", "agent": {"model": "ultimate"}})
    v3 = parse_session({"id": "s", "agent": {"model": {"id": "ultimate", "q": 1}}})
    assert v1.agent is not None and v1.agent.model == "ultimate"
    assert v3.agent is not None and v3.agent.model_id == "ultimate"
    assert v3.agent.model.extra == {"q": 1}  # type: ignore[union-attr]
    old = parse_event({"type": "agent.message", "content": "hi"})
    new = parse_event({"type": "agent.message", "content": [{"type": "text", "text": "h"}, "i"]})
    assert isinstance(old, AgentMessageEvent) and old.text == "hi"
    assert isinstance(new, AgentMessageEvent) and new.text == "hi"
    assert [b.type for b in new.content] == ["text", "text"]
    idle = parse_event({"type": "session.status_idle", "stop_reason": "end_turn"})
    assert isinstance(idle, SessionStatusIdleEvent) and idle.stop_reason is not None
    assert idle.stop_reason.type == "end_turn" and idle.stop_reason.event_ids == []
    error = parse_event({"type": "session.error", "error": "quota exceeded"})
    assert isinstance(error, SessionErrorEvent) and error.message == "quota exceeded"


def test_events_are_discriminated_on_type() -> None:
    for kind, cls in events.EVENT_TYPES.items():
        event = parse_event({"type": kind, "id": "evt_1"})
        assert type(event) is cls and event.type == kind and event.id == "evt_1"
    message = parse_event({"type": "agent.message", "content": "hi", "zz": 1})
    assert isinstance(message, AgentMessageEvent) and message.extra == {"zz": 1}
    assert not hasattr(message, "zz") and not hasattr(message, "__dict__")


@pytest.mark.parametrize(
    "payload",
    [
        {"id": "evt_1", "type": "agent.thread_context_compacted", "thread": {"x": 1}},
        {"type": 5, "id": 6},
        {"id": "evt_2"},
        {"id": "evt_3", "type": "agent.message", "content": 5, "zz": 1},
        {"id": "evt_4", "type": "session.status_idle", "stop_reason": ["end_turn"]},
        {"id": "evt_5", "type": "agent.tool_use", "created_at": "yesterday"},
    ],
)
def test_unknown_or_unreadable_events_keep_the_raw_payload(payload: dict[str, Any]) -> None:
    before = copy.deepcopy(payload)
    event = parse_event(payload)
    assert type(event) is UnknownEvent and event.raw == before and payload == before
    assert event.id == (payload["id"] if isinstance(payload.get("id"), str) else None)
    assert event.type == (payload["type"] if isinstance(payload.get("type"), str) else "")


def test_an_event_must_be_an_object() -> None:
    with pytest.raises(TypeError, match="expected a JSON object for an event, got list"):
        parse_event([])
    assert isinstance(parse_event(MappingProxyType({"type": "agent.message"})), AgentMessageEvent)


# -- the request id ------------------------------------------------------------------------


def test_the_response_parser_sets_the_request_id_as_a_field() -> None:
    body = _v3_session_body()
    before = copy.deepcopy(body)
    session = session_response(body, "req_9")
    assert session.request_id == "req_9" and request_id_of(session) == "req_9"
    assert body == before  # the request id goes into a copy, not the decoded body
    assert session.id == body["id"] and session.agent is not None
    assert attrs.fields_dict(Session)["request_id"].kw_only
    assert Session(id="s", request_id="r").request_id == "r"


def test_the_request_id_is_not_part_of_equality_or_repr() -> None:
    body = _v3_session_body()
    first, second = session_response(body, "req_1"), session_response(body, "req_2")
    plain = parse_session(body)
    assert first == second == plain
    assert "req_1" not in repr(first) and repr(first) == repr(plain)


def test_without_a_request_id_the_field_is_none() -> None:
    assert session_response({"id": "s"}, None).request_id is None
    assert parse_session({"id": "s"}).request_id is None
    assert request_id_of(Session(id="s")) is None and request_id_of(object()) is None


def test_a_request_id_in_the_body_does_not_win_over_the_response_s() -> None:
    session = session_response({"id": "s", "request_id": "from_body", "zz": 1}, "req_1")
    assert session.request_id == "req_1"
    assert session.extra == {"request_id": "from_body", "zz": 1}
    unknown_only = session_response({"id": "s", "request_id": "from_body"}, None)
    assert unknown_only.request_id is None and unknown_only.extra == {"request_id": "from_body"}


def test_every_top_level_result_has_the_field() -> None:
    deleted = response_parser(DeletedSession)({"id": "s", "deleted": True}, "req_d")
    cancelled = response_parser(SessionCancelResult)({"status": "canceling"}, "req_c")
    assert deleted.deleted is True and deleted.request_id == "req_d"
    assert cancelled.status == "canceling" and request_id_of(cancelled) == "req_c"


def test_the_request_id_is_ignored_for_classes_without_the_field() -> None:
    agent = response_parser(SessionAgent)({"id": "a", "zz": 1}, "req_1")
    assert agent == SessionAgent(id="a") and agent.extra == {"zz": 1}
    assert not hasattr(agent, "request_id")
    event = response_parser(Event)({"type": "agent.message", "content": "hi"}, "req_1")
    assert isinstance(event, AgentMessageEvent) and request_id_of(event) is None


def test_event_lists_carry_their_request_id() -> None:
    sent = [parse_event({"type": "user.message", "content": "hi"})]
    listed = EventList(sent, request_id="req_5")
    assert listed == sent and listed.request_id == "req_5" and request_id_of(listed) == "req_5"
    assert EventList().request_id is None and EventList(iter(sent)) == sent
    assert not hasattr(listed, "__dict__") and EventList.__slots__ == ("request_id",)
    restored = pickle.loads(pickle.dumps(listed))
    assert restored == listed and restored.request_id == "req_5"
    with pytest.raises(TypeError):
        EventList(sent, "req_5")  # type: ignore[misc]


# -- classes built outside the package go through __init__ too --------------------------


@attrs.frozen
class _Slotted:
    a: str | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class _Validated:
    a: int = attrs.field(default=0, validator=attrs.validators.ge(0))


@attrs.define
class _PostInit:
    a: str | None = None
    seen: bool = attrs.field(default=False, init=False)

    def __attrs_post_init__(self) -> None:
        self.seen = True


for _cls in (_Slotted, _Validated, _PostInit):
    attrs.resolve_types(_cls)


def test_any_attrs_class_follows_the_rules_through_its_init() -> None:
    assert structurer(_Slotted)({"a": 5, "zz": 1}) == _Slotted("5")
    assert structurer(_Slotted)({"a": "x", "zz": 1}).extra == {"zz": 1}
    with pytest.raises(ValueError, match="must be >= 0"):
        structurer(_Validated)({"a": -1})
    assert structurer(_PostInit)({"a": "x", "seen": False}).seen
