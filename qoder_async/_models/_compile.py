"""Structuring functions generated once per attrs class, straight-line, for its fields.

cattrs' generic code dispatches every field on every call; responses are structured far
too often for that, so each class gets its own function, compiled at first use. Two
shapes of generated code apply the same wire rules (``null`` counts as absent, unknown
keys go to ``extra``, primitives are checked inline and converted only when needed):

* dict-built, for the response models (``@attrs.frozen(slots=False)``): the decoded JSON
  object is copied once, checked and converted in place, and attached as the ``__dict__``
  of a bare instance: no per-field ``__init__`` argument, no per-field store. With the
  inline checks this halves the cost of structuring a ``Session`` (five objects).
* init-built, the fallback for classes that must go through ``__init__`` (slotted
  classes, validators, converters, aliases, ``__attrs_post_init__``, a hash cache).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

__all__ = ["Hook", "Rules", "compile_structure", "optional_inner"]

Hook = Callable[[Any, Any], Any]


@attrs.frozen
class Rules:
    """What the converter tells the compiler about its hooks.

    ``scalars``: the strict hooks of ``str``/``int``/``float``/``bool``; each returns a
    value of exactly that type unchanged. ``pass_through``: field types whose hook returns
    the value itself (or an equal copy) when ``type(value)`` is the given container and,
    if an item type is given, every item (every key and value of a dict) is exactly of
    that type; ``None`` becomes a fresh empty container. ``direct``: types structured by a
    one-argument function (no hook wrapper call). ``str_or``: union types whose hook keeps
    a ``str`` as it is and structures anything else as the given class.
    """

    resolve: Callable[[Any], Hook]
    scalars: Mapping[Any, Hook]
    pass_through: Mapping[Any, tuple[type, type | None]]
    direct: Mapping[Any, Callable[[Any], Any]]
    str_or: Mapping[Any, type[Any]]


def compile_structure(cls: type[Any], rules: Rules, *, through_init: bool = False) -> Hook:
    """The structuring function of attrs class ``cls``: ``structure(value, _=None)``.

    ``through_init`` forces the init-built shape (the tests compare the two shapes).
    """
    dict_built = not through_init and _can_build_dict(cls)
    source, namespace = _dict_built(cls, rules) if dict_built else _init_built(cls, rules)
    exec(compile(source, f"<qoder_async structure {cls.__qualname__}>", "exec"), namespace)
    compiled = namespace["structure"]
    compiled.__qoder_compiled__ = True  # callable with the value alone
    return compiled  # type: ignore[no-any-return]


def _can_build_dict(cls: type[Any]) -> bool:
    """Whether attaching a checked dict gives exactly the object ``__init__`` would build."""
    if cls.__dictoffset__ == 0 or any(base.__dict__.get("__slots__") for base in cls.__mro__):
        return False  # slotted: values live in slots, not in __dict__
    if hasattr(cls, "__attrs_pre_init__") or hasattr(cls, "__attrs_post_init__"):
        return False
    init = cls.__dict__.get("__init__")
    code = getattr(init, "__code__", None)
    if code is None or not code.co_filename.startswith("<attrs generated"):
        return False  # a hand-written __init__ must run
    if "_attrs_cached_hash" in code.co_consts:
        return False  # cache_hash=True: __init__ sets a hidden attribute
    for field in attrs.fields(cls):
        if field.validator is not None or field.converter is not None:
            return False
        if field.init and field.alias != field.name:
            return False  # the wire key would not be the attribute name
        default = field.default
        factory = isinstance(default, attrs.Factory)  # type: ignore[arg-type]
        if factory and default.takes_self:
            return False
        if field.name == "extra" and (default is attrs.NOTHING or factory or not field.init):
            return False  # the generated code shares one default ``extra`` (see _dict_built)
    return True


def optional_inner(type_: Any) -> Any:
    """``X`` for ``X | None``, else ``None``."""
    args = getattr(type_, "__args__", ())
    if type(None) in args:
        rest = [arg for arg in args if arg is not type(None)]
        if len(rest) == 1:
            return rest[0]
        result = rest[0]
        for arg in rest[1:]:
            result = result | arg
        return result
    return None


# -- dict-built --------------------------------------------------------------------------


def _dict_built(cls: type[Any], rules: Rules) -> tuple[str, dict[str, Any]]:
    all_fields = attrs.fields(cls)
    fields = [f for f in all_fields if f.init and f.name != "extra"]
    extra = next((f for f in all_fields if f.name == "extra"), None)
    dict_owner = next(base for base in cls.__mro__ if "__dict__" in base.__dict__)
    namespace: dict[str, Any] = {
        "__cls": cls,
        "__name": cls.__name__,
        "__known": frozenset(f.name for f in fields),
        "__Mapping": Mapping,
        "__new": object.__new__,
        # The instance dict is attached through its descriptor: one call, no attribute lookup.
        "__set_dict": dict_owner.__dict__["__dict__"].__set__,
    }
    lines = [
        # ``type`` is called for nearly every field: bound as a local it is cheaper to load
        # than the builtin (about 3% of the whole function); other builtins make no difference.
        "def structure(o, _=None, type=type):",
        # The copy is the instance dict: the caller's object is never modified (an
        # unreadable event keeps its raw payload intact) and is read only once.
        "    if type(o) is dict:",
        "        d = o.copy()",
        "    elif isinstance(o, __Mapping):",
        "        d = dict(o)",
        "    else:",
        "        raise TypeError(f'expected a JSON object for {__name}, got {type(o).__name__}')",
    ]
    for index, field in enumerate(fields):
        lines += _field_lines(index, field, namespace, rules)
    # Every field is in d now (a missing required one raised KeyError), so d is longer
    # exactly when the object had keys that are not fields: one len() instead of a
    # key-set comparison per object.
    lines += [
        f"    if len(d) != {len(fields)}:",
        "        unknown = {k: x for k, x in d.items() if k not in __known}",
        "        for k in unknown:",
        "            del d[k]",
    ]
    if extra is not None:
        lines.append("        d['extra'] = unknown")
        # Without unknown keys an object shares the default ``extra``: when the class has it
        # as a class attribute (finish_model), the instance need not store it at all.
        if getattr(cls, "extra", attrs.NOTHING) is not extra.default:
            namespace["__extra_default"] = extra.default
            lines += ["    else:", "        d['extra'] = __extra_default"]
    for index, field in enumerate(all_fields):
        if field.init or field.default is attrs.NOTHING:
            continue
        value = f"__nd{index}"
        if isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
            namespace[value] = field.default.factory
            value += "()"
        elif field.default is None:
            value = "None"
        else:
            namespace[value] = field.default
        lines.append(f"    d[{field.name!r}] = {value}")
    lines += ["    obj = __new(__cls)", "    __set_dict(obj, d)", "    return obj"]
    return "\n".join(lines), namespace


def _field_lines(index: int, field: Any, namespace: dict[str, Any], rules: Rules) -> list[str]:
    """Read field ``index`` into ``v`` (missing: its default), check it, convert if needed."""
    key = field.name
    type_ = field.type
    default = field.default
    required = default is attrs.NOTHING
    factory = isinstance(default, attrs.Factory)  # type: ignore[arg-type]
    inner = None if required or factory else optional_inner(type_)
    target = type_ if inner is None else inner
    hook_name, type_name = f"__h{index}", f"__t{index}"
    namespace[type_name] = target
    store = f"d[{key!r}] = "

    if required:
        read = f"    v = d[{key!r}]"  # KeyError names the missing field
    elif factory or default is None:  # a factory field's hook decides what null becomes
        read = f"    v = d.setdefault({key!r})"
    elif type(default) in (bool, int, str):
        read = f"    v = d.setdefault({key!r}, {default!r})"  # a constant: cheaper than a global
    else:
        namespace[f"__d{index}"] = default
        read = f"    v = d.setdefault({key!r}, __d{index})"

    scalar = None if factory else rules.scalars.get(target)
    if scalar is not None:
        namespace[hook_name] = scalar
        check = f"type(v) is not {target.__name__}"
        if inner is float:  # an int is a valid float (PEP 484); keep it as sent
            check += " and type(v) is not int"
        if not required:  # a defaulted primitive sent as null is None
            check += " and v is not None"
        return [read, f"    if {check}: {store}{hook_name}(v, None)"]

    passing = rules.pass_through.get(target)
    if passing is not None:
        namespace[hook_name] = rules.resolve(target)
        return [read, *_pass_through_lines(key, passing, hook_name, type_name, required, factory)]

    direct = rules.direct.get(target)
    alternative = rules.str_or.get(target)
    if direct is not None:
        namespace[hook_name] = direct
        convert = f"{hook_name}(v)"
    else:
        if alternative is not None:  # the class's own hook, not the union's around it
            namespace[type_name] = target = alternative
        hook = rules.resolve(target)
        namespace[hook_name] = hook
        one_arg = getattr(hook, "__qoder_compiled__", False)
        convert = f"{hook_name}(v)" if one_arg else f"{hook_name}(v, {type_name})"
    keep = "" if alternative is None else "not isinstance(v, str)"
    if required or factory:  # the hook decides what null becomes
        return [read, f"    if {keep}: {store}{convert}" if keep else f"    {store}{convert}"]
    keep = f" and {keep}" if keep else ""
    return [read, f"    if v is not None{keep}: {store}{convert}"]


def _pass_through_lines(
    key: str,
    passing: tuple[type, type | None],
    hook_name: str,
    type_name: str,
    required: bool,
    factory: bool,
) -> list[str]:
    container, item = passing
    store = f"d[{key!r}] = "
    convert = f"{hook_name}(v, {type_name})"
    if factory:  # missing or null: a fresh container, as the hook would return
        empty = "{}" if container is dict else "[]"
        otherwise = f"{store}{empty} if v is None else {convert}"
    elif required:
        otherwise = f"{store}{convert}"
    else:  # an optional container is mostly absent: test for None first
        check = f"v is not None and type(v) is not {container.__name__}"
        if item is None:
            return [f"    if {check}: {store}{convert}"]
        otherwise = f"if v is not None: {store}{convert}"
    if item is None:
        return [f"    if type(v) is not {container.__name__}:", f"        {otherwise}"]
    # Items are checked in Python: for the short lists and maps of responses a loop is
    # cheaper than set(map(type, v)), and it stops at the first item to convert.
    if container is dict:  # (indexing is cheaper than unpacking items() pairs)
        loop = [
            "        for k in v:",
            f"            if type(v[k]) is not {item.__name__} or type(k) is not str:",
        ]
    else:
        loop = ["        for x in v:", f"            if type(x) is not {item.__name__}:"]
    return [
        f"    if type(v) is {container.__name__}:",
        *loop,
        f"                {store}{convert}",
        "                break",
        "    else:",
        f"        {otherwise}",
    ]


# -- init-built (fallback) -----------------------------------------------------------------


def _init_built(cls: type[Any], rules: Rules) -> tuple[str, dict[str, Any]]:
    fields = [f for f in attrs.fields(cls) if f.init and f.name != "extra"]
    has_extra = any(f.name == "extra" for f in attrs.fields(cls))
    known = frozenset(f.alias for f in fields)
    namespace: dict[str, Any] = {
        "__cls": cls,
        "__known": known,
        "__is_known": known.issuperset,
        "__set": object.__setattr__,
        "__Mapping": Mapping,
        "__name": cls.__name__,
    }
    lines = [
        "def structure(o, _=None):",
        "    if type(o) is not dict:",
        "        if not isinstance(o, __Mapping):",
        "            got = type(o).__name__",
        "            raise TypeError(f'expected a JSON object for {__name}, got {got}')",
        "        o = dict(o)",
        "    g = o.get",
    ]
    positional: list[str] = []
    keyword: list[str] = []
    for index, field in enumerate(fields):
        var = f"v{index}"
        key = field.alias
        type_ = field.type
        hook_name, type_name = f"__h{index}", f"__t{index}"
        namespace[type_name] = type_
        required = field.default is attrs.NOTHING
        inner = optional_inner(type_)
        if required:
            lines.append(f"    {var} = o[{key!r}]")
            primitive = rules.scalars.get(type_)
            if primitive is not None:
                namespace[hook_name] = primitive
                lines.append(
                    f"    if type({var}) is not {type_.__name__}: {var} = {hook_name}({var}, None)"
                )
            else:
                namespace[hook_name] = rules.resolve(type_)
                lines.append(f"    {var} = {hook_name}({var}, {type_name})")
        elif isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
            namespace[hook_name] = rules.resolve(type_)
            exact = getattr(type_, "__origin__", None)
            lines.append(f"    {var} = g({key!r})")
            if exact in (list, dict) and type_.__args__[-1] is Any:
                container = exact.__name__
                convert = f"{var} = {hook_name}({var}, {type_name})"
                lines.append(f"    if type({var}) is not {container}: {convert}")
            else:
                lines.append(f"    {var} = {hook_name}({var}, {type_name})")
        else:
            default_name = f"__d{index}"
            namespace[default_name] = field.default
            lines.append(f"    {var} = g({key!r}, {default_name})")
            primitive = rules.scalars.get(inner)
            if primitive is not None:
                namespace[hook_name] = primitive
                check = f"type({var}) is not {inner.__name__}"
                if inner is float:  # an int is a valid float (PEP 484); keep it as sent
                    check += f" and type({var}) is not int"
                lines.append(
                    f"    if {var} is not None and {check}: {var} = {hook_name}({var}, None)"
                )
            else:
                namespace[hook_name] = rules.resolve(inner if inner is not None else type_)
                target = type_name
                if inner is not None:
                    target = f"__i{index}"
                    namespace[target] = inner
                lines.append(f"    if {var} is not None: {var} = {hook_name}({var}, {target})")
        if field.kw_only:
            keyword.append(f"{field.alias}={var}")
        else:
            positional.append(var)
    lines.append(f"    obj = __cls({', '.join(positional + keyword)})")
    if has_extra:
        lines.append("    if not __is_known(o):")
        lines.append(
            "        __set(obj, 'extra', {k: x for k, x in o.items() if k not in __known})"
        )
    lines.append("    return obj")
    return "\n".join(lines), namespace
