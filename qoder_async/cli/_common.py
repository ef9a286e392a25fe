"""What the commands share: exit statuses, the client, error handling and JSON output."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import AsyncIterable, Awaitable, Callable
from typing import Any

from .._client import AsyncQoder
from .._errors import APIError, APIStatusError, AuthenticationError, InvalidParameterError
from .._hooks import Hooks, ResponseInfo
from .._models._converter import to_dict
from .._models.event_base import UnknownEvent

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "UsageError",
    "call_api",
    "error_record",
    "make_client",
    "note",
    "print_items",
    "print_json",
    "print_json_line",
    "rejected_token",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

log = logging.getLogger("qoder_async.cli")


class UsageError(Exception):
    """A usage, configuration or authentication problem: one line on stderr, exit status 2.

    Example::

        raise UsageError("--metadata expects KEY=VALUE")
    """


def note(args: argparse.Namespace, message: str) -> None:
    """Tell the user ``message`` on stderr, unless ``-q`` was given.

    Args:
        args: the parsed command line.
        message: one line, without the ``qoder-async:`` prefix.

    Example::

        note(args, "resuming out.jsonl: 40 done, 60 to go")
    """
    if getattr(args, "verbosity", 0) >= 0:
        print(f"qoder-async: {message}", file=sys.stderr, flush=True)


def _log_response(info: ResponseInfo) -> None:
    retry = f", retry {info.attempt}" if info.attempt else ""
    request_id = f", request_id={info.request_id}" if info.request_id else ""
    log.info(
        "%s %s -> %d in %.0f ms%s%s",
        info.method,
        info.path,
        info.status,
        info.elapsed * 1000,
        retry,
        request_id,
    )


def _insecure_http(exc: InvalidParameterError) -> UsageError:
    # The client's hint names its Python argument; a shell user needs the flag instead.
    if exc.field == "base_url" and "allow_insecure_http" in str(exc):
        return UsageError(
            "the base URL is plain http:// to another machine, which would send the token "
            "in clear text: use https://, or pass --allow-insecure-http"
        )
    return UsageError(str(exc).replace("base_url:", "base URL:", 1))


def make_client(args: argparse.Namespace, **options: Any) -> AsyncQoder:
    """An :class:`AsyncQoder` from the environment and the common options; problems are
    usage errors.

    Args:
        args: the parsed command line (``base_url``, ``allow_insecure_http``, ``timeout``,
            ``max_retries``, ``verbosity``; missing ones mean the client's defaults).
        options: more :class:`AsyncQoder` arguments.

    Example::

        async with make_client(args) as client:
            session = await client.sessions.retrieve(args.session_id)
    """
    if not (os.environ.get("QODER_PAT") or os.environ.get("QODER_ACCESS_TOKEN")):
        raise UsageError("no API key: set QODER_PAT (or QODER_ACCESS_TOKEN)")
    timeout = getattr(args, "timeout", None)
    if timeout is not None:
        options["timeout"] = timeout or None
    if getattr(args, "max_retries", None) is not None:
        options["max_retries"] = args.max_retries
    if getattr(args, "verbosity", 0) > 0:
        options["hooks"] = Hooks(on_response=_log_response)
    try:
        return AsyncQoder(
            base_url=getattr(args, "base_url", None),
            allow_insecure_http=getattr(args, "allow_insecure_http", False),
            **options,
        )
    except InvalidParameterError as exc:
        raise _insecure_http(exc) from None


def rejected_token(done: str = "") -> UsageError:
    """The usage error every command gives for an HTTP 401.

    Args:
        done: what had been done before it, appended to the message.

    Example::

        raise rejected_token("12 created so far, run again to resume")
    """
    tail = f"; {done}" if done else ""
    return UsageError(
        f"the API rejected the token (HTTP 401): check QODER_PAT (or QODER_ACCESS_TOKEN){tail}"
    )


async def call_api(args: argparse.Namespace, action: Callable[[AsyncQoder], Awaitable[Any]]) -> int:
    """Run ``action`` with a client and map what it raises to the exit-status table.

    A client-side validation error or a 401 is a usage error (status 2); any other API
    error is printed as one line and gives status 1.

    Args:
        args: the parsed command line (for :func:`make_client`).
        action: ``await action(client)`` does the command's work and prints its output.

    Example::

        return await call_api(args, lambda client: client.sessions.cancel(args.session_id))
    """
    async with make_client(args) as client:
        try:
            await action(client)
        except InvalidParameterError as exc:
            raise UsageError(str(exc)) from None
        except AuthenticationError:
            raise rejected_token() from None
        except APIError as exc:
            text = " ".join(str(exc).split())
            print(f"qoder-async: error: {type(exc).__name__}: {text}", file=sys.stderr)
            return EXIT_FAILED
    return EXIT_OK


def _plain(obj: Any) -> Any:
    if isinstance(obj, UnknownEvent):
        return obj.raw  # what the server sent, not our empty shell around it
    data = to_dict(obj)
    if isinstance(data, dict):
        return {key: value for key, value in data.items() if value is not None}
    return data


def print_json(obj: Any) -> None:
    """Print a model (or plain data) as indented JSON on stdout.

    Args:
        obj: a model such as a :class:`Session`, or JSON-ready data.

    Example::

        print_json(session)
    """
    print(json.dumps(_plain(obj), indent=2, ensure_ascii=False), flush=True)


def print_json_line(obj: Any) -> None:
    """Print a model (or plain data) as one JSON line on stdout, flushed at once so that a
    pipe reader sees each item as it comes.

    Args:
        obj: a model such as an :class:`Event`, or JSON-ready data.

    Example::

        async for event in client.sessions.events.list(session_id):
            print_json_line(event)
    """
    print(json.dumps(_plain(obj), ensure_ascii=False, separators=(",", ":")), flush=True)


async def print_items(items: AsyncIterable[Any], limit: int | None = None) -> int:
    """Print each item of a list as a JSON line, at most ``limit`` of them; returns how many.

    Args:
        items: a paginator (``client.sessions.list(...)``) or any async iterable.
        limit: stop after this many (``None``: all).

    Example::

        await print_items(client.sessions.events.list(session_id), limit=50)
    """
    count = 0
    if limit == 0:
        return count
    async for item in items:
        print_json_line(item)
        count += 1
        if count == limit:
            break
    return count


def error_record(error: BaseException, prefix: str = "") -> dict[str, Any]:
    """``{"type", "status_code", "message", "request_id"}`` for an output line or a message.

    Args:
        error: the exception.
        prefix: put before the message (``"line 3: "``).

    Example::

        record["error"] = error_record(result.error)
    """
    message = error.message if isinstance(error, APIStatusError) else str(error)
    return {
        "type": type(error).__name__,
        "status_code": getattr(error, "status_code", None),
        "message": prefix + message,
        "request_id": getattr(error, "request_id", None),
    }
