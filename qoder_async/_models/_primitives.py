"""cattrs hooks for JSON primitives, timestamps and containers: the strict-but-tolerant rules.

``str`` accepts numbers (converted), ``int`` accepts integral floats, ``float`` accepts ints,
``bool`` accepts only booleans; a container of the right shape is kept as it is and
``null`` becomes an empty one. ``_converter.py`` registers them.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ._timestamps import parse_timestamp

__all__ = [
    "optional_any_dict",
    "optional_bool",
    "optional_float",
    "optional_int",
    "optional_str",
    "structure_any_dict",
    "structure_any_list",
    "structure_bool",
    "structure_datetime",
    "structure_float",
    "structure_int",
    "structure_str",
    "structure_str_dict",
    "structure_str_list",
    "unstructure_datetime",
]


# -- primitives ----------------------------------------------------------------------------


def structure_str(value: Any, _: Any) -> str:
    if type(value) is str:
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"expected a string, got {type(value).__name__}")


def structure_int(value: Any, _: Any) -> int:
    if type(value) is int:
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise TypeError(f"expected an integer, got {value!r:.40}")


def structure_float(value: Any, _: Any) -> float:
    if type(value) is float:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    raise TypeError(f"expected a number, got {value!r:.40}")


def structure_bool(value: Any, _: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise TypeError(f"expected a boolean, got {value!r:.40}")


# The optional scalars are most of every object's fields: each gets its own hook, so that
# a value of the right type costs one call and one check, not a dispatch through a union.


def optional_str(value: Any, _: Any) -> str | None:
    if type(value) is str or value is None:
        return value
    return structure_str(value, _)


def optional_int(value: Any, _: Any) -> int | None:
    if type(value) is int or value is None:
        return value
    return structure_int(value, _)


def optional_float(value: Any, _: Any) -> float | None:
    # An int is a valid float (PEP 484): kept as sent, like a float.
    if type(value) is float or type(value) is int or value is None:
        return value
    return structure_float(value, _)


def optional_bool(value: Any, _: Any) -> bool | None:
    if type(value) is bool or value is None:
        return value
    return structure_bool(value, _)


def structure_datetime(value: Any, _: Any) -> datetime:
    return parse_timestamp(value)


def unstructure_datetime(value: datetime) -> str:
    if value.tzinfo is not None and value.utcoffset() == timezone.utc.utcoffset(None):
        return value.replace(tzinfo=None).isoformat() + "Z"
    return value.isoformat()


# -- containers ----------------------------------------------------------------------------
# A container of the right shape is returned as it is (the model shares it with the
# decoded body, which nothing else keeps); null becomes a fresh empty one.


def structure_any_list(value: Any, _: Any) -> list[Any]:
    if type(value) is list:
        return value
    if value is None:
        return []
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"expected a JSON array, got {type(value).__name__}")


def structure_str_list(value: Any, _: Any) -> list[str]:
    if type(value) is list:
        for item in value:
            if type(item) is not str:
                break
        else:
            return value
    elif value is None:
        return []
    elif not isinstance(value, (list, tuple)):
        raise TypeError(f"expected a JSON array of strings, got {type(value).__name__}")
    return [item if type(item) is str else structure_str(item, None) for item in value]


def structure_any_dict(value: Any, _: Any) -> dict[str, Any]:
    if type(value) is dict:
        return value
    if value is None:
        return {}
    raise TypeError(f"expected a JSON object, got {type(value).__name__}")


def optional_any_dict(value: Any, _: Any) -> dict[str, Any] | None:
    if value is None or type(value) is dict:
        return value
    raise TypeError(f"expected a JSON object, got {type(value).__name__}")


def structure_str_dict(value: Any, _: Any) -> dict[str, str]:
    if type(value) is dict:
        for key in value:
            if type(value[key]) is not str or type(key) is not str:
                break
        else:
            return value
    elif value is None:
        return {}
    elif not isinstance(value, dict):
        raise TypeError(f"expected a JSON object, got {type(value).__name__}")
    return {str(k): v if type(v) is str else structure_str(v, None) for k, v in value.items()}
