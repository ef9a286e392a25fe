"""How response objects are built from decoded JSON: the rules every response model follows."""

from __future__ import annotations

import copy
import json
import pickle
import subprocess
import sys
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from types import MappingProxyType
from typing import Any

import attrs
import pytest

from qoder_async import (
    AgentMessageEvent,
    APIResponseValidationError,
    Event,
    Session,
    SessionAgent,
    Usage,
    request_id_of,
    to_dict,
)
from qoder_async._models import event_base, events, previews
from qoder_async._models import session as session_models
from qoder_async._models._base import NO_EXTRA, extra_field
from qoder_async._models._compile import _can_build_dict, compile_structure
from qoder_async._models._converter import _RULES, structurer
from qoder_async._responses import parse_success


def _response_models() -> list[type[Any]]:
    found: dict[str, type[Any]] = {}
    for module in (session_models, event_base, events, previews):
        for value in vars(module).values():
            is_model = isinstance(value, type) and attrs.has(value)
            if is_model and value is not session_models.AgentRef:  # AgentRef is request-side
                found[value.__name__] = value
    return [found[name] for name in sorted(found)]


RESPONSE_MODELS = _response_models()
parse_session = structurer(Session)

# Values of every JSON type (and a few Python ones) that each field is tried with.
PALETTE: list[Any] = [
    None, "s", "", 0, 7, 7.0, 7.5, True, False, [], ["a"], ["a", 1], ("a", 2), {}, {"a": "b"},
    {"a": 1}, {"type": "text", "text": "hi"}, [{"type": "text", "text": "a"}, "b"],
    "2026-05-18T15:26:15.747298Z", "2026-05-18T03:40:48.888851795Z", "2026-05-18 03:40",
    "not a time", MappingProxyType({"a": "b"}),
]  # fmt: skip


def _outcome(parse: Callable[[Any], Any], value: Any) -> tuple[Any, ...]:
    try:
        obj = parse(value)
    except Exception as exc:
        return ("error", type(exc), str(exc))
    state = [
        (a.name, type(getattr(obj, a.name)), repr(getattr(obj, a.name)))
        for a in attrs.fields(type(obj))
        if hasattr(obj, a.name)
    ]
    extra = getattr(obj, "extra", None)
    stored = set(vars(obj)) - {"extra"}  # unknown keys must never be stored as attributes
    return ("ok", type(obj), state, extra is NO_EXTRA, dict(extra or {}), stored)


def test_every_response_model_is_built_from_its_dict() -> None:
    # A model that silently fell back to __init__ would still work, at twice the cost.
    assert len(RESPONSE_MODELS) > 30
    assert [cls.__name__ for cls in RESPONSE_MODELS if not _can_build_dict(cls)] == []


@pytest.mark.parametrize("cls", RESPONSE_MODELS, ids=lambda cls: cls.__name__)
def test_the_dict_built_object_is_the_one_init_would_build(cls: type[Any]) -> None:
    fast = compile_structure(cls, _RULES)
    slow = compile_structure(cls, _RULES, through_init=True)
    fields = [a for a in attrs.fields(cls) if a.init and a.name != "extra"]
    typical = {a.name: "x" for a in fields}
    inputs: list[Any] = [
        {},
        typical,
        {"zzz": 1},
        {"id": "i", "extra": 5, "_request_id": "r"},
        {1: "x"},
        OrderedDict(id="i"),
        MappingProxyType({"id": "i", "zzz": 2}),
        [],
        "x",
        None,
    ]
    for field in fields:
        for value in PALETTE:
            inputs += [{field.name: value}, {**typical, field.name: value}]
    for value in inputs:
        assert _outcome(fast, value) == _outcome(slow, value), (cls.__name__, value)


def test_unknown_keys_go_to_extra_and_never_become_attributes() -> None:
    session = parse_session({"id": "s", "zz": 1, "extra": 2, "_request_id": "r", "agent": {"q": 3}})
    assert session.extra == {"zz": 1, "extra": 2, "_request_id": "r"}
    assert not hasattr(session, "zz") and request_id_of(session) is None
    assert session.agent is not None and session.agent.extra == {"q": 3}
    assert set(vars(session)) <= {a.name for a in attrs.fields(Session)}


def test_objects_without_unknown_keys_share_no_extra() -> None:
    session = parse_session({"id": "s", "agent": {"id": "a"}, "usage": {}})
    assert session.extra is NO_EXTRA and session.extra == {} and not session.extra
    assert session.agent is not None and session.agent.extra is NO_EXTRA
    assert session.usage is not None and session.usage.extra is NO_EXTRA


def test_missing_and_null_containers_are_fresh_per_object() -> None:
    first, second = parse_session({"id": "a"}), parse_session({"id": "b", "metadata": None})
    for name in ("metadata", "resources", "vault_ids", "environment_variables"):
        assert getattr(first, name) == getattr(second, name)
        assert not getattr(first, name)
        assert getattr(first, name) is not getattr(second, name)
    agents = [parse_session({"id": "a", "agent": {}}).agent for _ in range(2)]
    assert agents[0] is not None and agents[1] is not None
    assert agents[0].tools == [] and agents[0].tools is not agents[1].tools


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
    ],
)
def test_primitives_convert_only_where_the_wire_allows(body, field, expected) -> None:
    value: Any = parse_session({"id": "s", **body})
    for name in field.split("."):
        value = getattr(value, name)
    assert value == expected and type(value) is type(expected)


def test_timestamps_are_aware_datetimes() -> None:
    session = parse_session({"id": "s", "created_at": "2026-05-18T03:40:48.888851795Z"})
    assert session.created_at == datetime(2026, 5, 18, 3, 40, 48, 888851, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"title": "t"}, "missing required field 'id'"),
        ({"id": None}, "TypeError"),
        ({"id": "s", "title": True}, "TypeError"),
        ({"id": "s", "title": ["t"]}, "TypeError"),
        ({"id": "s", "agent": {"version": 2.5}}, "TypeError"),
        ({"id": "s", "agent": {"version": False}}, "TypeError"),
        ({"id": "s", "stats": {"active_seconds": True}}, "TypeError"),
        ({"id": "s", "resources": "r"}, "TypeError"),
        ({"id": "s", "created_at": "yesterday"}, "ValueError"),
        ({"id": "s", "usage": []}, "TypeError"),
    ],
)
def test_bad_shapes_are_validation_errors(body, reason) -> None:
    with pytest.raises(APIResponseValidationError, match=reason):
        parse_success(201, json.dumps(body).encode(), "req_1", parse_session)


def test_any_mapping_is_accepted_and_anything_else_is_a_type_error() -> None:
    assert parse_session(MappingProxyType({"id": "s", "zz": 1})).extra == {"zz": 1}
    with pytest.raises(TypeError, match="expected a JSON object for Session, got list"):
        parse_session(["id"])


def test_the_request_id_is_an_attribute_of_every_object() -> None:
    session = parse_session({"id": "s"})
    assert session._request_id is None and request_id_of(session) is None
    parsed = parse_success(201, b'{"id": "s"}', "req_9", parse_session)
    assert request_id_of(parsed) == "req_9"


def test_attrs_features_work_on_dict_built_objects() -> None:
    session = parse_session({"id": "s", "title": "t", "zz": 1, "agent": {"name": "n"}})
    plain = parse_session({"id": "s", "title": "t", "agent": {"name": "n"}})
    assert session == plain and session != attrs.evolve(plain, title="u")
    assert attrs.evolve(session, title="u").extra == {"zz": 1}
    assert "zz" not in repr(session) and repr(session) == repr(plain)
    assert attrs.asdict(session)["extra"] == {"zz": 1}
    assert to_dict(session)["zz"] == 1 and to_dict(session)["agent"]["name"] == "n"
    for obj in (session, plain, Session(id="built"), attrs.evolve(plain, title="u")):
        restored = pickle.loads(pickle.dumps(obj))
        assert restored == obj and restored.extra == obj.extra
        assert copy.deepcopy(obj) == obj
    assert pickle.loads(pickle.dumps(plain)).extra is NO_EXTRA
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        session.title = "u"  # type: ignore[misc]


def test_objects_unpickle_in_a_fresh_interpreter() -> None:
    # Their shared ``extra`` is a class attribute; it must exist before any parsing happens.
    event = structurer(Event)(
        {"type": "span.model_request_end", "model_usage": {"credits": 2}, "usage": {}}
    )
    code = (
        "import pickle, sys; event = pickle.loads(sys.stdin.buffer.read()); "
        "print(event.extra == {}, event.model_usage.extra == {}, event.usage.extra == {})"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], input=pickle.dumps(event), capture_output=True, check=True
    )
    assert done.stdout.split() == [b"True", b"True", b"True"]


def test_events_are_dict_built_too() -> None:
    event = structurer(Event)({"type": "agent.message", "content": "hi", "zz": 1})
    assert isinstance(event, AgentMessageEvent) and event.text == "hi"
    assert event.extra == {"zz": 1} and not hasattr(event, "zz")
    assert pickle.loads(pickle.dumps(event)) == event


# -- classes that must go through __init__ -------------------------------------------------


@attrs.frozen
class _Slotted:
    a: str | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen(slots=False)
class _Validated:
    a: int = attrs.field(default=0, validator=attrs.validators.ge(0))


@attrs.frozen(slots=False)
class _Aliased:
    _a: str | None = None


@attrs.frozen(slots=False)
class _PostInit:
    a: str | None = None

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "seen", True)


@attrs.frozen(slots=False)
class _Unfinished:  # a dict-based model whose module did not call finish_model
    a: str | None = None
    extra: Mapping[str, Any] = extra_field()


for _cls in (_Slotted, _Validated, _Aliased, _PostInit, _Unfinished):
    attrs.resolve_types(_cls)


def test_a_model_without_a_class_level_extra_stores_it() -> None:
    parse = structurer(_Unfinished)
    assert _can_build_dict(_Unfinished)
    assert parse({"a": "x"}).extra is NO_EXTRA and parse({"z": 1}).extra == {"z": 1}
    slow = compile_structure(_Unfinished, _RULES, through_init=True)
    for value in ({}, {"a": "x"}, {"a": 5, "z": 1}, {"extra": 1}, {"a": []}):
        assert _outcome(parse, value) == _outcome(slow, value)


def test_classes_that_need_init_are_built_through_it() -> None:
    for cls in (_Slotted, _Validated, _Aliased, _PostInit):
        assert not _can_build_dict(cls)
    assert structurer(_Slotted)({"a": "x", "zz": 1}).extra == {"zz": 1}
    with pytest.raises(ValueError, match="must be >= 0"):
        structurer(_Validated)({"a": -1})
    assert structurer(_Aliased)({"a": "x"}) == _Aliased("x")
    assert structurer(_PostInit)({"a": "x"}).seen  # type: ignore[attr-defined]


def test_nested_models_keep_their_types() -> None:
    session = parse_session({"id": "s", "agent": {"model": {"id": "m"}}, "usage": {}})
    assert isinstance(session.agent, SessionAgent) and isinstance(session.usage, Usage)
    assert session.agent.model_id == "m"
