"""The one cattrs converter, configured once at import with every wire rule.

Every rule is a registered hook, and the structuring function of every attrs class is
the one cattrs generates for it (:func:`cattrs.gen.make_dict_structure_fn`). The only
code around a generated function sets unknown keys aside into the object's ``extra``
(see :func:`_model_hooks`).

Registering a hook clears cattrs' dispatch cache, so all hooks are registered here, up
front; cattrs generates the function of a class the first time it is needed, and the
structuring function of every top-level model is looked up once (:func:`structurer`,
:func:`response_parser`) and reused for every response.

The wire rules:

* forward compatible: unknown keys go to ``extra``, never an error; enums are open strings;
* ``null`` counts as absent: container fields fall back to ``[]`` / ``{}``, optional
  scalars stay ``None``;
* primitives are strict but tolerant: ``str`` accepts numbers (converted), ``int`` accepts
  integral floats, ``float`` accepts ints, ``bool`` accepts only booleans (:mod:`._primitives`);
* timestamps are RFC 3339 strings (:mod:`._timestamps`);
* some fields are a string or an object (see ``_event_hooks.py`` for the event ones).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from types import UnionType
from typing import Any, TypeVar, Union, get_args, get_origin

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ._event_hooks import register_event_hooks
from ._primitives import (
    optional_any_dict,
    optional_bool,
    optional_float,
    optional_int,
    optional_str,
    structure_any_dict,
    structure_any_list,
    structure_bool,
    structure_datetime,
    structure_float,
    structure_int,
    structure_str,
    structure_str_dict,
    structure_str_list,
    unstructure_datetime,
)
from ._timestamps import parse_optional_timestamp

__all__ = [
    "converter",
    "dispatch_on_wire",
    "model_parser",
    "response_parser",
    "structurer",
    "to_dict",
]

T = TypeVar("T")

#: A structuring hook as cattrs calls it: ``hook(value, type)``.
Hook = Callable[[Any, Any], Any]
#: A hook whose second argument is optional: ``hook(value)`` works too.
ModelHook = Callable[..., Any]

converter = cattrs.Converter(detailed_validation=False)

#: Fields that the converter fills itself, never from a key of the response object: a
#: server sending ``"extra"`` or ``"request_id"`` gets them kept in ``extra`` like any
#: other unknown key.
_NOT_FROM_THE_WIRE = frozenset({"extra", "request_id"})


# -- attrs classes -------------------------------------------------------------------------


def _as_is(value: Any, _: Any) -> Any:
    return value


def _as_dict(value: Any, name: str) -> dict[Any, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"expected a JSON object for {name}, got {type(value).__name__}")


@attrs.frozen
class _ModelHooks:
    """The structuring functions of one attrs class, all around one cattrs-generated function.

    ``structure(value, _=None)`` is its hook (callable with the value alone);
    ``nullable`` the hook of ``cls | None``, without a second call for the ``None`` check;
    ``parse(value, request_id)`` structures a response body with its request id.
    """

    structure: ModelHook
    nullable: ModelHook
    parse: Callable[[Any, str | None], Any]


_MODEL_HOOKS: dict[type[Any], _ModelHooks] = {}
#: Hook -> hook of the same class that also accepts ``None`` (see _optional_hook).
_NULLABLE: dict[Hook, ModelHook] = {}
#: Hooks that may be called with the value alone (see structurer).
_ONE_ARGUMENT: set[Hook] = set()


def _model_hooks(cls: type[Any]) -> _ModelHooks:
    """Generate (once per class) the structuring functions of attrs class ``cls``.

    cattrs' generated function reads the known keys of the object and builds it through
    ``__init__``; around it, an object with keys that are not fields is split into its
    known keys plus ``extra``. That split builds a new dict: the caller's object is never
    modified (an unreadable event keeps its raw payload intact). An object without unknown
    keys, the usual case, is passed to the generated function as it is.
    """
    hooks = _MODEL_HOOKS.get(cls)
    if hooks is not None:
        return hooks
    init_names = {field.name for field in attrs.fields(cls) if field.init}
    overrides = {name: override(struct_hook=_as_is) for name in init_names & _NOT_FROM_THE_WIRE}
    generated = make_dict_structure_fn(
        cls,
        converter,
        _cattrs_forbid_extra_keys=False,
        _cattrs_use_linecache=False,
        _cattrs_detailed_validation=False,
        _cattrs_use_alias=False,
        **overrides,  # type: ignore[arg-type]
    )
    known = frozenset(init_names - _NOT_FROM_THE_WIRE)
    is_known = known.issuperset
    keeps_extra = "extra" in init_names
    takes_request_id = "request_id" in init_names
    name = cls.__name__

    def split(value: Any) -> dict[Any, Any]:
        if type(value) is not dict:
            value = _as_dict(value, name)
        fields = {key: item for key, item in value.items() if key in known}
        if keeps_extra and len(fields) != len(value):
            fields["extra"] = {key: item for key, item in value.items() if key not in known}
        return fields

    def structure(value: Any, _: Any = None) -> Any:
        if type(value) is dict and is_known(value):
            return generated(value)
        return generated(split(value))

    def nullable(value: Any, _: Any = None) -> Any:
        if type(value) is dict and is_known(value):
            return generated(value)
        return None if value is None else generated(split(value))

    def parse(value: Any, request_id: str | None) -> Any:
        if request_id is None or not takes_request_id:
            return structure(value)
        fields = value.copy() if type(value) is dict and is_known(value) else split(value)
        fields["request_id"] = request_id  # the copy's: the body stays as decoded
        return generated(fields)

    hooks = _MODEL_HOOKS[cls] = _ModelHooks(structure, nullable, parse)
    _NULLABLE[structure] = nullable
    _ONE_ARGUMENT.update((structure, nullable))
    return hooks


def _model_hook(cls: type[Any]) -> ModelHook:
    return _model_hooks(cls).structure


def _is_optional(type_: Any) -> bool:
    args = getattr(type_, "__args__", ())
    return type(None) in args and len(args) > 1


def _optional_inner(type_: Any) -> Any:
    rest = [arg for arg in type_.__args__ if arg is not type(None)]
    inner = rest[0]
    for arg in rest[1:]:
        inner = inner | arg
    return inner


def _optional_hook(type_: Any) -> Hook:
    # cattrs' default dispatches the inner type on every call; resolve it once instead.
    inner = _optional_inner(type_)
    inner_hook = converter.get_structure_hook(inner)
    nullable = _NULLABLE.get(inner_hook)
    if nullable is not None:
        return nullable

    def structure(value: Any, _: Any) -> Any:
        return None if value is None else inner_hook(value, inner)

    return structure


def _is_str_or_model(type_: Any) -> bool:
    if get_origin(type_) not in (Union, UnionType):
        return False
    rest = [arg for arg in get_args(type_) if arg is not type(None)]
    return len(rest) == 2 and str in rest and any(attrs.has(arg) for arg in rest)


def _str_or_model_hook(type_: Any) -> Hook:
    # A bare id or level where richer servers send an object ("model": "x" or {"id": "x"}).
    model = next(arg for arg in get_args(type_) if arg not in (str, type(None)))
    structure = _model_hooks(model).structure

    def hook(value: Any, _: Any = None) -> Any:
        if type(value) is str or value is None:
            return value
        return structure(value)

    return hook


def _is_list(type_: Any) -> bool:
    origin: Any = get_origin(type_)
    return origin is list


def _list_hook(type_: Any) -> Hook:
    # cattrs' own list hook fails on null; the wire rule is that null is an empty list.
    (item_type,) = get_args(type_) or (Any,)
    item = converter.get_structure_hook(item_type)

    def structure(value: Any, _: Any) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"expected a JSON array, got {type(value).__name__}")
        return [item(entry, item_type) for entry in value]

    return structure


def _merge_extra_unstructure(cls: type[Any]) -> Callable[[Any], dict[str, Any]]:
    omitted = {
        field.name: override(omit=True)
        for field in attrs.fields(cls)
        if field.name in _NOT_FROM_THE_WIRE or not field.init
    }
    generated = make_dict_unstructure_fn(cls, converter, **omitted)  # type: ignore[arg-type]

    def unstructure(obj: Any) -> dict[str, Any]:
        data: dict[str, Any] = generated(obj)
        extra = getattr(obj, "extra", None)
        if extra:
            data = {**extra, **data}
        return data

    return unstructure


#: Base classes whose subclass the data chooses (by its ``type``): base -> parse(data).
#: Filled by the model modules at import, before anything is structured.
_DISPATCH: dict[type[Any], Callable[[Any], Any]] = {}


def dispatch_on_wire(base: type[Any], parse: Callable[[Any], Any]) -> None:
    """Structure a field declared as ``base`` with ``parse``, which picks the subclass (call
    it before anything is structured as ``base``; ``parse`` builds with :func:`model_parser`).

    Args:
        base: the declared class (``SessionResource``).
        parse: builds the object of the right subclass from the decoded JSON.

    Example::

        dispatch_on_wire(SessionResource, structure_resource)
    """
    _DISPATCH[base] = parse


def model_parser(cls: type[T]) -> Callable[[Any, str | None], T]:
    """:func:`response_parser` for attrs class ``cls`` itself, never a subclass the data
    chooses (what the parse function given to :func:`dispatch_on_wire` builds with).

    Example::

        parse_file = model_parser(FileResource)
    """
    return _model_hooks(cls).parse


_OWN_UNSTRUCTURE: dict[type[Any], Callable[[Any], dict[str, Any]]] = {}


def _unstructure_own_class(obj: Any) -> dict[str, Any]:
    cls = type(obj)
    unstructure = _OWN_UNSTRUCTURE.get(cls)
    if unstructure is None:
        unstructure = _OWN_UNSTRUCTURE[cls] = _merge_extra_unstructure(cls)
    return unstructure(obj)


def _exact(type_: Any, hook: Hook) -> None:
    converter.register_structure_hook_func(lambda candidate: candidate == type_, hook)


# Later registrations win in cattrs: generic factories first, exact hooks after them.
converter.register_structure_hook_factory(_is_optional, _optional_hook)
converter.register_structure_hook_factory(attrs.has, _model_hook)
converter.register_structure_hook_factory(_is_list, _list_hook)
converter.register_structure_hook_factory(_is_str_or_model, _str_or_model_hook)
converter.register_structure_hook(str, structure_str)
converter.register_structure_hook(int, structure_int)
converter.register_structure_hook(float, structure_float)
converter.register_structure_hook(bool, structure_bool)
converter.register_structure_hook(datetime, structure_datetime)
_exact(str | None, optional_str)
_exact(int | None, optional_int)
_exact(float | None, optional_float)
_exact(bool | None, optional_bool)
_exact(datetime | None, parse_optional_timestamp)
_exact(list[Any], structure_any_list)
_exact(list[str], structure_str_list)
_exact(dict[str, Any], structure_any_dict)
_exact(dict[str, Any] | None, optional_any_dict)
_exact(dict[str, str], structure_str_dict)
register_event_hooks(converter, _model_hook, _ONE_ARGUMENT)
converter.register_structure_hook_func(
    lambda type_: type_ in _DISPATCH, lambda value, type_: _DISPATCH[type_](value)
)
converter.register_unstructure_hook(datetime, unstructure_datetime)
converter.register_unstructure_hook_factory(attrs.has, _merge_extra_unstructure)
# A field declared as a dispatched base holds subclasses: unstructure each as what it is.
converter.register_unstructure_hook_func(lambda type_: type_ in _DISPATCH, _unstructure_own_class)


def structurer(cls: type[T]) -> Callable[[Any], T]:
    """The structuring function for ``cls`` (looked up once, called per response).

    The caller's data is never modified. Example::

        session = structurer(Session)(json.loads(body))
    """
    hook = converter.get_structure_hook(cls)
    if hook in _ONE_ARGUMENT:
        return hook  # type: ignore[return-value]  # no wrapper call per response

    def structure(value: Any) -> T:
        return hook(value, cls)  # type: ignore[no-any-return]

    return structure


def response_parser(cls: type[T]) -> Callable[[Any, str | None], T]:
    """The parser of a decoded response body: ``parse(body, request_id)``.

    When ``cls`` has a ``request_id`` field, the request id is passed to the structuring
    like a key of the body (set in ``__init__``, no attribute is set afterwards); a key
    ``"request_id"`` that the server sent in the body is kept in ``extra`` instead. The
    body is never modified: the request id goes into a copy of it. For a class without the
    field the request id is ignored.

    Example::

        parse_session = response_parser(Session)
        session = parse_session(json.loads(body), response.headers.get("x-request-id"))
    """
    hook = converter.get_structure_hook(cls)
    hooks = _MODEL_HOOKS.get(cls)
    if hooks is not None and hook is hooks.structure:
        return hooks.parse
    structure = structurer(cls)

    def parse(value: Any, request_id: str | None) -> T:
        return structure(value)

    return parse


def to_dict(obj: Any) -> Any:
    """Turn a model (or a list of them) back into JSON-ready data, unknown fields included.

    Example::

        print(json.dumps(qoder_async.to_dict(session)))
    """
    return converter.unstructure(obj)
