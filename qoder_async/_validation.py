"""Client-side checks of caller input, run before a single byte is sent.

Each check names the field it rejects, so the error says what to fix. Types are checked
strictly (``True`` is not an ``int``, a ``str`` is not a list of ids): being strict in
what we send is what lets the API be liberal in what it accepts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from ._errors import InvalidParameterError, ParameterTypeError
from ._models.session import AgentRef

__all__ = [
    "check_agent",
    "check_id",
    "check_id_list",
    "check_idempotency_key",
    "check_int_range",
    "check_metadata",
    "check_optional_str",
    "check_resources",
    "path_segment",
]

# Ids are opaque, but never contain what could change the URL they are put into.
_UNSAFE_ID = re.compile(r"[\s/?#%\\\x00-\x1f\x7f]|\.\.")
_HEADER_SAFE = re.compile(r"[\x21-\x7e]{1,255}")

METADATA_MAX_KEYS = 16
METADATA_MAX_KEY_CHARS = 64
METADATA_MAX_VALUE_CHARS = 512


def _type_name(value: object) -> str:
    return type(value).__name__


def check_id(field: str, value: object, prefix: str) -> str:
    """An API id: a ``str`` starting with ``prefix`` and safe inside a URL path."""
    if not isinstance(value, str):
        raise ParameterTypeError(
            field, f"expected a {prefix}... id string, got {_type_name(value)}"
        )
    if not value.startswith(prefix) or len(value) == len(prefix):
        raise InvalidParameterError(
            field, f"expected an id starting with {prefix!r}, got {value[:80]!r}"
        )
    # Fast path for the usual ``prefix_0123abc`` shape; anything else gets the full check.
    if not (value.isascii() and value.replace("_", "").isalnum()) and _UNSAFE_ID.search(value):
        raise InvalidParameterError(
            field, f"id contains characters not allowed in an id: {value[:80]!r}"
        )
    return value


def path_segment(field: str, value: object, prefix: str) -> str:
    """``check_id`` and percent-quote the id for a URL path (belt and braces)."""
    return quote(check_id(field, value, prefix), safe="")


def check_agent(value: object) -> str | dict[str, Any]:
    """``agent``: an ``agent_...`` id, an :class:`AgentRef`, or ``{"id", "type"?, "version"?}``."""
    if isinstance(value, str):
        return check_id("agent", value, "agent_")
    if isinstance(value, AgentRef):
        value = {"id": value.id, "type": value.type, "version": value.version}
    if not isinstance(value, Mapping):
        raise ParameterTypeError(
            "agent", f"expected an agent id, AgentRef or mapping, got {_type_name(value)}"
        )
    unknown = set(value) - {"id", "type", "version"}
    if unknown:
        raise InvalidParameterError("agent", f"unknown keys {sorted(map(str, unknown))}")
    ref: dict[str, Any] = {"id": check_id("agent.id", value.get("id"), "agent_")}
    kind = value.get("type", "agent")
    if kind != "agent":
        raise InvalidParameterError("agent.type", f"must be 'agent', got {kind!r:.40}")
    ref["type"] = "agent"
    version = value.get("version")
    if version is not None:
        ref["version"] = check_int_range("agent.version", version, 0, 2**31 - 1)
    return ref


def check_optional_str(field: str, value: object, max_chars: int = 10_000) -> str:
    """A plain string of bounded length."""
    if not isinstance(value, str):
        raise ParameterTypeError(field, f"expected str, got {_type_name(value)}")
    if len(value) > max_chars:
        raise InvalidParameterError(field, f"longer than {max_chars} characters ({len(value)})")
    return value


def check_int_range(field: str, value: object, low: int, high: int) -> int:
    """An ``int`` (not a ``bool``) within ``low..high`` inclusive."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise ParameterTypeError(field, f"expected int, got {_type_name(value)}")
    if not low <= value <= high:
        raise InvalidParameterError(field, f"must be in {low}..{high}, got {value}")
    return value


def check_metadata(value: object, *, allow_null_values: bool = False) -> dict[str, Any]:
    """Metadata: at most 16 ``str`` keys (1-64 chars) with ``str`` values (<= 512 chars)."""
    if not isinstance(value, Mapping):
        raise ParameterTypeError("metadata", f"expected a mapping, got {_type_name(value)}")
    if len(value) > METADATA_MAX_KEYS:
        raise InvalidParameterError(
            "metadata", f"at most {METADATA_MAX_KEYS} keys are allowed, got {len(value)}"
        )
    checked: dict[str, Any] = {}
    for key, item in value.items():
        if not isinstance(key, str):
            raise ParameterTypeError("metadata", f"keys must be str, got {_type_name(key)}")
        if not 0 < len(key) <= METADATA_MAX_KEY_CHARS:
            raise InvalidParameterError(
                f"metadata[{key[:40]!r}]", f"keys must be 1-{METADATA_MAX_KEY_CHARS} characters"
            )
        if item is None and allow_null_values:
            checked[key] = None
            continue
        if not isinstance(item, str):
            raise ParameterTypeError(
                f"metadata[{key!r}]", f"values must be str, got {_type_name(item)}"
            )
        if len(item) > METADATA_MAX_VALUE_CHARS:
            raise InvalidParameterError(
                f"metadata[{key!r}]",
                f"values must be at most {METADATA_MAX_VALUE_CHARS} characters",
            )
        checked[key] = item
    return checked


def check_id_list(field: str, value: object, prefix: str | None = None) -> list[str]:
    """A list (or tuple) of id strings; a bare ``str`` is refused, not split into characters."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise ParameterTypeError(field, f"expected a list of strings, got {_type_name(value)}")
    out: list[str] = []
    for index, item in enumerate(value):
        name = f"{field}[{index}]"
        if prefix is not None:
            out.append(check_id(name, item, prefix))
        elif isinstance(item, str) and item:
            out.append(item)
        else:
            raise ParameterTypeError(name, f"expected a non-empty str, got {_type_name(item)}")
    return out


def check_resources(value: object) -> list[dict[str, Any]]:
    """Resources: a list of JSON objects, each with a ``type`` string when given."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise ParameterTypeError(
            "resources", f"expected a list of objects, got {_type_name(value)}"
        )
    out: list[dict[str, Any]] = []
    for index, item in enumerate(value):
        if not isinstance(item, Mapping):
            raise ParameterTypeError(
                f"resources[{index}]", f"expected a mapping, got {_type_name(item)}"
            )
        kind = item.get("type")
        if kind is not None and not isinstance(kind, str):
            raise ParameterTypeError(f"resources[{index}].type", "expected str")
        if not all(isinstance(key, str) for key in item):
            raise ParameterTypeError(f"resources[{index}]", "keys must be str")
        try:
            # Checked here so that the error names the resource, not the whole body.
            json.dumps(item, allow_nan=False)
        except (TypeError, ValueError, RecursionError) as exc:
            raise InvalidParameterError(
                f"resources[{index}]", f"not JSON-serialisable: {exc}"
            ) from None
        out.append(dict(item))
    return out


def check_idempotency_key(value: object) -> str:
    """A caller's idempotency key: 1-255 printable ASCII characters (it becomes a header)."""
    if not isinstance(value, str):
        raise ParameterTypeError("idempotency_key", f"expected str, got {_type_name(value)}")
    if _HEADER_SAFE.fullmatch(value) is None:
        raise InvalidParameterError(
            "idempotency_key", "must be 1-255 printable ASCII characters without spaces"
        )
    return value
