"""The one cattrs converter, configured once at import with every wire rule.

Registering hooks clears cattrs' dispatch cache, so all hooks are registered here, up
front, and the structuring function of every top-level model is looked up once
(:func:`structurer`) and reused by the request pipeline.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_unstructure_fn, override

from ._compile import Rules, compile_structure, optional_inner
from ._event_hooks import register_event_hooks
from ._timestamps import parse_timestamp
from .session import AgentModel

__all__ = ["converter", "structurer", "to_dict"]

T = TypeVar("T")

converter = cattrs.Converter(detailed_validation=False)


def _structure_any_list(value: Any, _: Any) -> list[Any]:
    if type(value) is list:
        return value
    if value is None:
        return []
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"expected a JSON array, got {type(value).__name__}")


def _structure_str_list(value: Any, _: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [item if type(item) is str else _structure_str(item, None) for item in value]
    raise TypeError(f"expected a JSON array of strings, got {type(value).__name__}")


def _structure_any_dict(value: Any, _: Any) -> dict[str, Any]:
    if type(value) is dict:
        return value
    if value is None:
        return {}
    raise TypeError(f"expected a JSON object, got {type(value).__name__}")


def _structure_str_dict(value: Any, _: Any) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return {str(k): v if type(v) is str else _structure_str(v, None) for k, v in value.items()}
    raise TypeError(f"expected a JSON object, got {type(value).__name__}")


def _structure_str(value: Any, _: Any) -> str:
    if type(value) is str:
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"expected a string, got {type(value).__name__}")


def _structure_int(value: Any, _: Any) -> int:
    if type(value) is int:
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise TypeError(f"expected an integer, got {value!r:.40}")


def _structure_float(value: Any, _: Any) -> float:
    if type(value) is float:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    raise TypeError(f"expected a number, got {value!r:.40}")


def _structure_bool(value: Any, _: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise TypeError(f"expected a boolean, got {value!r:.40}")


def _optional_str(value: Any, _: Any) -> str | None:
    if value is None or type(value) is str:
        return value
    return _structure_str(value, _)


def _optional_int(value: Any, _: Any) -> int | None:
    if value is None or type(value) is int:
        return value
    return _structure_int(value, _)


def _optional_float(value: Any, _: Any) -> float | None:
    if value is None or type(value) is float:
        return value
    return _structure_float(value, _)


def _optional_bool(value: Any, _: Any) -> bool | None:
    return None if value is None else _structure_bool(value, _)


def _optional_datetime(value: Any, _: Any) -> datetime | None:
    return None if value is None else parse_timestamp(value)


def _structure_agent_model(value: Any, _: Any) -> str | AgentModel:
    if isinstance(value, str):
        return value
    return _agent_model_hook(value, AgentModel)  # type: ignore[no-any-return]


def _unstructure_datetime(value: datetime) -> str:
    if value.tzinfo is not None and value.utcoffset() == timezone.utc.utcoffset(None):
        return value.replace(tzinfo=None).isoformat() + "Z"
    return value.isoformat()


def _is_optional(type_: Any) -> bool:
    return type(None) in getattr(type_, "__args__", ()) and len(type_.__args__) > 1


def _optional_hook(type_: Any) -> Callable[[Any, Any], Any]:
    # cattrs' default dispatches the inner type on every call; resolve it once instead.
    inner = optional_inner(type_)
    inner_hook = converter.get_structure_hook(inner)

    def structure(value: Any, _: Any) -> Any:
        return None if value is None else inner_hook(value, inner)

    return structure


_PRIMITIVES: dict[Any, Callable[[Any, Any], Any]] = {
    str: _structure_str,
    int: _structure_int,
    float: _structure_float,
    bool: _structure_bool,
}


#: Field types whose hook hands back the value itself (or an equal copy) when it already has
#: exactly the right shape, so compiled code checks the shape inline and skips the call.
_PASS_THROUGH: dict[Any, tuple[type, type | None]] = {
    list[Any]: (list, None),
    list[str]: (list, str),
    dict[str, Any]: (dict, None),
    dict[str, str]: (dict, str),
}


def _tolerant_attrs_hook(cls: type[Any]) -> Callable[[Any, Any], Any]:
    """Compile a structuring function for ``cls``, tolerant the way the API's generations need.

    ``null`` counts as absent (list fields fall back to ``[]``); unknown keys go to the
    ``extra`` field instead of failing, so new server fields never break old clients.
    The generated code is straight-line (see :mod:`._compile`), which makes a whole
    ``Session`` several times cheaper to build than cattrs' generic code.
    """
    return compile_structure(cls, _RULES)


def _merge_extra_unstructure(cls: type[Any]) -> Callable[[Any], dict[str, Any]]:
    fields = attrs.fields(cls)
    omitted = {f.name: override(omit=True) for f in fields if f.name == "extra" or not f.init}
    generated = make_dict_unstructure_fn(cls, converter, **omitted)  # type: ignore[arg-type]

    def unstructure(obj: Any) -> dict[str, Any]:
        data: dict[str, Any] = generated(obj)
        extra = getattr(obj, "extra", None)
        if extra:
            data = {**extra, **data}
        return data

    return unstructure


def _exact(type_: Any, hook: Callable[[Any, Any], Any]) -> None:
    converter.register_structure_hook_func(lambda candidate: candidate == type_, hook)


_RULES = Rules(
    resolve=converter.get_structure_hook,
    scalars=_PRIMITIVES,
    pass_through=_PASS_THROUGH,
    direct={datetime: parse_timestamp},
    str_or={str | AgentModel: AgentModel},  # as _structure_agent_model does
)

# Later registrations win in cattrs: generic factories first, exact hooks after them.
converter.register_structure_hook_factory(_is_optional, _optional_hook)
converter.register_structure_hook_factory(attrs.has, _tolerant_attrs_hook)
converter.register_structure_hook(str, _structure_str)
converter.register_structure_hook(int, _structure_int)
converter.register_structure_hook(float, _structure_float)
converter.register_structure_hook(bool, _structure_bool)
converter.register_structure_hook(datetime, lambda value, _: parse_timestamp(value))
_exact(str | None, _optional_str)
_exact(int | None, _optional_int)
_exact(float | None, _optional_float)
_exact(bool | None, _optional_bool)
_exact(datetime | None, _optional_datetime)
_exact(
    dict[str, Any] | None, lambda value, _: None if value is None else _structure_any_dict(value, _)
)
_exact(list[Any], _structure_any_list)
_exact(list[str], _structure_str_list)
_exact(dict[str, Any], _structure_any_dict)
_exact(dict[str, str], _structure_str_dict)
_exact(str | AgentModel, _structure_agent_model)
converter.register_unstructure_hook(datetime, _unstructure_datetime)
_agent_model_hook = converter.get_structure_hook(AgentModel)
converter.register_unstructure_hook_factory(attrs.has, _merge_extra_unstructure)
register_event_hooks(converter, _tolerant_attrs_hook)


def structurer(cls: type[T]) -> Callable[[Any], T]:
    """The compiled structuring function for ``cls`` (looked up once, called per response)."""
    hook = converter.get_structure_hook(cls)
    if getattr(hook, "__qoder_compiled__", False):
        return hook  # type: ignore[return-value]  # takes the value alone: no wrapper call

    def structure(value: Any) -> T:
        return hook(value, cls)  # type: ignore[no-any-return]

    return structure


def to_dict(obj: Any) -> Any:
    """Turn a model (or a list of them) back into JSON-ready data, unknown fields included.

    Example::

        print(json.dumps(qoder_async.to_dict(session)))
    """
    return converter.unstructure(obj)
