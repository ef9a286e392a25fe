"""Client-side checks of caller input, run before a single byte is sent.

Each check names the field it rejects, so the error says what to fix. Types are checked
strictly (``True`` is not an ``int``, a ``str`` is not a list of ids): being strict in
what we send is what lets the API be liberal in what it accepts.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from ._errors import InvalidParameterError, ParameterTypeError
from ._models.inbound import UserMessage, content_blocks
from ._models.session import AgentRef

__all__ = [
    "check_agent",
    "check_agent_patch",
    "check_budget",
    "check_environment_variables",
    "check_id",
    "check_id_list",
    "check_idempotency_key",
    "check_initial_events",
    "check_json_object",
    "check_int_range",
    "check_metadata",
    "check_positive",
    "check_optional_str",
    "check_resources",
    "new_idempotency_key",
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


def check_positive(field: str, value: object, *, integer: bool = False) -> float:
    """A positive, finite number (an ``int`` with ``integer``; never a ``bool``), as a float."""
    kinds: tuple[type, ...] = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        expected = "an int" if integer else "a number"
        raise ParameterTypeError(field, f"expected {expected}, got {_type_name(value)}")
    if not 0 < value < math.inf:  # type: ignore[operator]
        raise InvalidParameterError(field, f"must be positive and finite, got {value!r}")
    return float(value)  # type: ignore[arg-type]


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


def check_json_object(field: str, value: object) -> dict[str, Any]:
    """A mapping with ``str`` keys that JSON can encode, as a plain ``dict`` (checked here,
    so that the error names the field, not the whole body)."""
    if not isinstance(value, Mapping):
        raise ParameterTypeError(field, f"expected a mapping, got {_type_name(value)}")
    for key in value:
        if not isinstance(key, str):
            raise ParameterTypeError(field, f"keys must be str, got {_type_name(key)}")
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise InvalidParameterError(field, f"not JSON-serialisable: {exc}") from None
    return dict(value)


def check_environment_variables(value: object) -> dict[str, str]:
    """``environment_variables``: ``str`` names (non-empty, without ``=`` or NUL) mapped to
    ``str`` values (without NUL): what a process environment can hold."""
    field = "environment_variables"
    if not isinstance(value, Mapping):
        raise ParameterTypeError(
            field, f"expected a mapping of str to str, got {_type_name(value)}"
        )
    out: dict[str, str] = {}
    for name, item in value.items():
        if not isinstance(name, str):
            raise ParameterTypeError(field, f"names must be str, got {_type_name(name)}")
        if not name or "=" in name or "\x00" in name:
            raise InvalidParameterError(
                f"{field}[{name[:40]!r}]", "names must be non-empty, without '=' or NUL"
            )
        if not isinstance(item, str):
            raise ParameterTypeError(
                f"{field}[{name[:40]!r}]", f"values must be str, got {_type_name(item)}"
            )
        if "\x00" in item:
            raise InvalidParameterError(f"{field}[{name[:40]!r}]", "values must not contain NUL")
        out[name] = item
    return out


def check_budget(value: object) -> dict[str, Any]:
    """``budget``: a JSON object such as ``{"type": "limit", "max_credit_cost": "5.00"}``;
    ``type`` and ``max_credit_cost``, when given, are strings (the cost is a decimal string)."""
    budget = check_json_object("budget", value)
    for key in ("type", "max_credit_cost"):
        if key in budget and not isinstance(budget[key], str):
            raise ParameterTypeError(
                f"budget.{key}", f"expected str, got {_type_name(budget[key])}"
            )
    return budget


#: The event types ``sessions.create`` accepts in ``initial_events``.
INITIAL_EVENT_TYPES = ("user.message", "user.define_outcome")


def _check_rubric(field: str, value: object) -> None:
    rubric = check_json_object(field, value)
    kind = rubric.get("type")
    if kind == "text":
        if not isinstance(rubric.get("content"), str):
            raise ParameterTypeError(f"{field}.content", "a text rubric needs a 'content' str")
    elif kind == "file":
        check_id(f"{field}.file_id", rubric.get("file_id"), "file_")
    else:
        raise InvalidParameterError(f"{field}.type", f"must be 'text' or 'file', got {kind!r:.40}")


def check_initial_events(value: object) -> list[dict[str, Any]]:
    """``initial_events``: a list of ``user.message`` (a :func:`user_message` helper or its
    dict) and ``user.define_outcome`` events, checked like ``events.send`` checks them."""
    field = "initial_events"
    if isinstance(value, (str, bytes, Mapping, UserMessage)) or not isinstance(value, Sequence):
        raise ParameterTypeError(field, f"expected a list of events, got {_type_name(value)}")
    out: list[dict[str, Any]] = []
    for index, item in enumerate(value):
        name = f"{field}[{index}]"
        if isinstance(item, UserMessage):
            out.append(item.to_wire())
            continue
        event = check_json_object(name, item)
        kind = event.get("type")
        if kind not in INITIAL_EVENT_TYPES:
            raise InvalidParameterError(
                f"{name}.type", f"must be 'user.message' or 'user.define_outcome', got {kind!r:.40}"
            )
        if kind == "user.message":
            if "content" not in event:
                raise InvalidParameterError(f"{name}.content", "a user.message needs content")
            content_blocks(f"{name}.content", event["content"])
        else:
            if "description" in event:
                check_optional_str(f"{name}.description", event["description"])
            if "rubric" in event:
                _check_rubric(f"{name}.rubric", event["rubric"])
            if "max_iterations" in event:
                check_int_range(f"{name}.max_iterations", event["max_iterations"], 1, 20)
        out.append(event)
    return out


#: What ``sessions.update`` may change of a session's agent; each is replaced wholesale.
AGENT_PATCH_KEYS = ("tools", "mcp_servers")


def check_agent_patch(value: object) -> dict[str, Any]:
    """``sessions.update``'s ``agent``: ``{"tools": [...], "mcp_servers": [...]}`` (either or
    both), each a list of JSON objects that replaces the session's own."""
    patch = check_json_object("agent", value)
    unknown = sorted(set(patch) - set(AGENT_PATCH_KEYS))
    if unknown:
        raise InvalidParameterError(
            "agent", f"only tools and mcp_servers can be updated, got {unknown}"
        )
    for key, items in patch.items():
        if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Sequence):
            raise ParameterTypeError(
                f"agent.{key}", f"expected a list of objects, got {_type_name(items)}"
            )
        patch[key] = [check_json_object(f"agent.{key}[{n}]", item) for n, item in enumerate(items)]
    return patch


# The UUID variant's first hex digit (10xx in binary) for any random hex digit.
_VARIANT_DIGIT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def new_idempotency_key() -> str:
    """A fresh ``Idempotency-Key``: a random UUID4 in canonical form (122 random bits).

    Example::

        headers["Idempotency-Key"] = new_idempotency_key()
    """
    # Formats the random bytes directly: str(uuid.uuid4()) costs a measurable share of a
    # create (see benchmarks/README.md).
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT_DIGIT[h[16]]}{h[17:20]}-{h[20:]}"


def check_idempotency_key(value: object) -> str:
    """A caller's idempotency key: 1-255 printable ASCII characters (it becomes a header)."""
    if not isinstance(value, str):
        raise ParameterTypeError("idempotency_key", f"expected str, got {_type_name(value)}")
    if _HEADER_SAFE.fullmatch(value) is None:
        raise InvalidParameterError(
            "idempotency_key", "must be 1-255 printable ASCII characters without spaces"
        )
    return value
