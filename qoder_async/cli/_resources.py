"""``qoder-async agents|environments|files|vaults|memory-stores|skills ...``: one table-driven
implementation of ``list``, ``get``, ``create`` and the by-id actions (``archive``,
``delete``) of the platform resources. (``files upload|download``: ``_transfer.py``.)"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .._client import AsyncQoder
from ._args import add_command, add_group, json_object, key_value, positive_int
from ._common import UsageError, call_api, print_items, print_json
from ._transfer import add_transfer_commands

__all__ = ["RESOURCES", "Flag", "ResourceSpec", "add_resource_commands"]


@dataclass(frozen=True)
class Flag:
    """One ``create`` option: ``--name`` sets the create parameter ``name``.

    ``kind``: ``str``, ``json`` (a JSON object), ``metadata`` (repeatable ``KEY=VALUE``) or
    ``paths`` (repeatable).
    """

    param: str
    kind: str = "str"
    required: bool = False
    help: str | None = None

    @property
    def option(self) -> str:
        return "--" + ("file" if self.kind == "paths" else self.param.replace("_", "-"))


@dataclass(frozen=True)
class ResourceSpec:
    """A command group: ``client.<attr>``, its noun, which actions exist, the create flags
    (``()``: no ``create``), and whether ``list`` takes ``--include-archived``."""

    command: str
    attr: str
    noun: str
    create: tuple[Flag, ...] = ()
    actions: tuple[str, ...] = ()
    get: str = "retrieve"
    archivable: bool = False


_METADATA = Flag("metadata", "metadata", help="KEY=VALUE; repeatable")
_DESCRIPTION = Flag("description")

#: Every resource group and what it offers.
RESOURCES = (
    ResourceSpec(
        "agents",
        "agents",
        "agent",
        (
            Flag("name", required=True),
            Flag("model", required=True, help="a model id (an object: use --json)"),
            _DESCRIPTION,
            Flag("system", help="the system prompt"),
            _METADATA,
        ),
        ("archive",),
        archivable=True,
    ),
    ResourceSpec(
        "environments",
        "environments",
        "environment",
        (
            Flag("name", required=True),
            _DESCRIPTION,
            Flag("config", "json", help='e.g. \'{"type": "cloud"}\''),
            Flag("scope", help="organization or account"),
            _METADATA,
        ),
        ("archive", "delete"),
        archivable=True,
    ),
    ResourceSpec("files", "files", "file", (), ("delete",), get="retrieve_metadata"),
    ResourceSpec(
        "vaults",
        "vaults",
        "vault",
        (Flag("display_name", required=True), _METADATA),
        ("archive", "delete"),
        archivable=True,
    ),
    ResourceSpec(
        "memory-stores",
        "memory_stores",
        "memory store",
        (Flag("name", required=True), _DESCRIPTION, _METADATA),
        ("archive", "delete"),
        archivable=True,
    ),
    ResourceSpec(
        "skills",
        "skills",
        "skill",
        (
            Flag("files", "paths", required=True, help="a file of the skill; repeatable"),
            Flag("display_title"),
            _METADATA,
        ),
        ("delete",),
    ),
)

_ACTIONS = {
    "archive": "archive a {noun}: kept, but out of default lists",
    "delete": "delete a {noun} for good",
}

_TYPES: dict[str, dict[str, Any]] = {
    "str": {},
    "json": {"type": json_object, "metavar": "JSON"},
    "metadata": {"type": key_value, "action": "append", "metavar": "KEY=VALUE"},
    "paths": {"action": "append", "metavar": "PATH"},
}


def add_resource_commands(commands: Any, api: argparse.ArgumentParser) -> None:
    """Register one command group per entry of :data:`RESOURCES`.

    Args:
        commands: the top-level subparsers.
        api: the parent parser of the API commands' common options.

    Example::

        add_resource_commands(parser.add_subparsers(), api_options())
    """
    for spec in RESOURCES:
        verbs = ", ".join(["list", "get", *(["create"] if spec.create else []), *spec.actions])
        group = add_group(commands, spec.command, f"{spec.noun}s: {verbs}")
        group_defaults = {"spec": spec}
        listing = add_command(group, "list", f"print {spec.noun}s as JSON lines", parents=[api])
        listing.add_argument(
            "--limit", type=positive_int, metavar="N", help="print at most N (default: all)"
        )
        if spec.archivable:
            listing.add_argument("--include-archived", action="store_true")
        listing.set_defaults(handler=list_command, **group_defaults)
        for action, method, summary in (
            ("get", spec.get, "print one {noun} as JSON"),
            *((name, name, _ACTIONS[name]) for name in spec.actions),
        ):
            parser = add_command(group, action, summary.format(noun=spec.noun), parents=[api])
            parser.add_argument("id", metavar="ID")
            parser.set_defaults(handler=by_id_command, method=method, **group_defaults)
        if spec.create:
            _add_create(group, api, spec)
        if spec.attr == "files":
            add_transfer_commands(group, api)


def _add_create(group: Any, api: argparse.ArgumentParser, spec: ResourceSpec) -> None:
    required = " ".join(flag.option for flag in spec.create if flag.required)
    create = add_command(
        group,
        "create",
        f"create a {spec.noun} from flags ({required}) or --json FILE, print it as JSON",
        parents=[api],
    )
    create.add_argument(
        "--json",
        dest="json_file",
        metavar="FILE",
        help="a JSON object of create parameters ('-' for stdin); flags override its keys",
    )
    for flag in spec.create:
        need = "required unless in --json" if flag.required else None
        text = "; ".join(part for part in (flag.help, need) if part) or None
        create.add_argument(flag.option, dest=flag.param, help=text, **_TYPES[flag.kind])
    create.set_defaults(handler=create_command, spec=spec)


def _read_json(name: str) -> dict[str, Any]:
    try:
        if name == "-":
            text = sys.stdin.read()
        else:
            with open(name, encoding="utf-8") as file:
                text = file.read()
    except OSError as exc:
        raise UsageError(f"--json: cannot read {name!r}: {exc.strerror or exc}") from None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise UsageError(f"--json: {name!r} is not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise UsageError(f"--json: {name!r} must hold a JSON object")
    return value


def create_params(args: argparse.Namespace, method: Callable[..., Any]) -> dict[str, Any]:
    """The create parameters: ``--json FILE``'s object, then the flags given on top; checks
    that the required ones are there and that every key is one ``method`` takes.

    Args:
        args: the parsed command line (``spec``, ``json_file`` and the flags).
        method: the resource's ``create``.

    Example::

        params = create_params(args, client.vaults.create)
    """
    spec: ResourceSpec = args.spec
    params = _read_json(args.json_file) if args.json_file else {}
    for flag in spec.create:
        value = getattr(args, flag.param)
        if value is not None:
            params[flag.param] = dict(value) if flag.kind == "metadata" else value
    named = {
        name
        for name, p in inspect.signature(method).parameters.items()
        if p.kind is not inspect.Parameter.VAR_KEYWORD
    }
    unknown = sorted(set(params) - named)
    if unknown:
        raise UsageError(
            f"--json: unknown {spec.noun} parameter(s) {', '.join(unknown)}; "
            f"expected some of {', '.join(sorted(named))}"
        )
    missing = [flag.option for flag in spec.create if flag.required and flag.param not in params]
    if missing:
        raise UsageError(f"give {' and '.join(missing)} (or these keys in --json FILE)")
    return params


async def create_command(args: argparse.Namespace) -> int:
    """Create one resource from the flags or ``--json FILE`` and print it as JSON.

    Args:
        args: the parsed command line.

    Example::

        qoder_async.cli.main(["vaults", "create", "--display-name", "ci", "--metadata", "a=1"])
    """

    async def action(client: AsyncQoder) -> None:
        method = getattr(client, args.spec.attr).create
        print_json(await method(**create_params(args, method)))

    return await call_api(args, action)


async def list_command(args: argparse.Namespace) -> int:
    """Print a resource's items as JSON lines (at most ``--limit``).

    Args:
        args: the parsed command line.

    Example::

        qoder_async.cli.main(["agents", "list", "--limit", "10", "--include-archived"])
    """
    query: dict[str, Any] = {"limit": min(args.limit, 100) if args.limit else None}
    if getattr(args, "include_archived", False):
        query["include_archived"] = True

    async def action(client: AsyncQoder) -> None:
        await print_items(getattr(client, args.spec.attr).list(**query), args.limit)

    return await call_api(args, action)


async def by_id_command(args: argparse.Namespace) -> int:
    """``get``, ``archive`` or ``delete`` one resource by id; print the answer as JSON.

    Args:
        args: the parsed command line (``spec``, ``method``, ``id``).

    Example::

        qoder_async.cli.main(["environments", "archive", "env_1"])
    """

    async def action(client: AsyncQoder) -> None:
        print_json(await getattr(getattr(client, args.spec.attr), args.method)(args.id))

    return await call_api(args, action)
