"""``qoder-async sessions ...``: create, list, get, update, archive, delete, cancel."""

from __future__ import annotations

import argparse
from typing import Any

from .._client import AsyncQoder
from .._models.session import AgentRef
from ._args import add_command, add_group, json_object, key_value, positive_int
from ._batch import add_create_many
from ._common import UsageError, call_api, print_items, print_json

__all__ = ["add_session_commands"]

#: Commands that take one session id and print what the API answers.
_BY_ID = {
    "get": ("retrieve", "print one session as JSON"),
    "archive": ("archive", "archive a session: kept, but out of lists and closed to events"),
    "delete": ("delete", "delete a session and its events for good"),
    "cancel": ("cancel", "cancel the running turn (a no-op when the session is idle)"),
}


def add_session_commands(commands: Any, api: argparse.ArgumentParser) -> None:
    """Register ``sessions`` and its commands.

    Args:
        commands: the top-level subparsers.
        api: the parent parser of the API commands' common options.

    Example::

        add_session_commands(parser.add_subparsers(), api_options())
    """
    group = add_group(commands, "sessions", "create, list, inspect and change sessions")
    _add_create(group, api)
    add_create_many(group, api)
    _add_list(group, api)
    for name, (method, summary) in _BY_ID.items():
        parser = add_command(group, name, summary, parents=[api])
        parser.add_argument("session_id", metavar="SESSION_ID")
        parser.set_defaults(handler=_by_id_command, method=method)
    _add_update(group, api)


def _metadata_option(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument(
        "--metadata",
        type=key_value,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=help_text,
    )


def _environment_option(parser: Any, help_text: str) -> None:
    parser.add_argument(
        "--environment-variable",
        "--env-var",
        dest="environment_variables",
        type=key_value,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help=help_text,
    )


def _budget_option(parser: Any) -> None:
    parser.add_argument(
        "--budget",
        type=json_object,
        metavar="JSON",
        help='a spending cap, e.g. \'{"type": "limit", "max_credit_cost": "5.00"}\'',
    )


def _add_create(group: Any, api: argparse.ArgumentParser) -> None:
    create = add_command(group, "create", "create one session, print it as JSON", parents=[api])
    create.add_argument("--agent", required=True, metavar="ID", help="agent id (agent_...)")
    create.add_argument(
        "--agent-version", type=positive_int, metavar="N", help="pin this agent version"
    )
    create.add_argument("--environment-id", required=True, metavar="ID", help="env_...")
    create.add_argument("--title")
    _metadata_option(create, "repeatable")
    create.add_argument(
        "--vault-id", dest="vault_ids", action="append", metavar="ID", help="repeatable"
    )
    create.add_argument(
        "--memory-store-id",
        dest="memory_store_ids",
        action="append",
        metavar="ID",
        help="repeatable",
    )
    create.add_argument(
        "--resource",
        dest="resources",
        type=json_object,
        action="append",
        metavar="JSON",
        help='a resource to mount, e.g. \'{"type": "file", "file_id": "file_..."}\'; repeatable',
    )
    create.add_argument(
        "--delta-flush-interval-ms", type=positive_int, metavar="MS", help="50-5000"
    )
    _environment_option(create, "a variable of the session's sandbox; repeatable")
    create.add_argument(
        "--initial-event",
        dest="initial_events",
        type=json_object,
        action="append",
        metavar="JSON",
        help="an event the session starts with (user.message or user.define_outcome), e.g. "
        '\'{"type": "user.message", "content": "hi"}\'; repeatable, sent in order',
    )
    _budget_option(create)
    create.add_argument("--idempotency-key", metavar="KEY")
    create.set_defaults(handler=create_command)


def _add_list(group: Any, api: argparse.ArgumentParser) -> None:
    listing = add_command(
        group, "list", "print sessions as JSON lines, newest first", parents=[api]
    )
    listing.add_argument(
        "--status", dest="statuses", action="append", metavar="S", help="repeatable"
    )
    listing.add_argument("--agent-id", metavar="ID")
    listing.add_argument(
        "--agent-version", type=positive_int, metavar="N", help="only this agent version"
    )
    listing.add_argument("--deployment-id", metavar="ID", help="sessions a deployment started")
    listing.add_argument(
        "--memory-store-id", metavar="ID", help="sessions with this store (memstore_...)"
    )
    listing.add_argument("--include-archived", action="store_true")
    listing.add_argument("--order", choices=["asc", "desc"])
    listing.add_argument(
        "--created-after", metavar="TIME", help="RFC 3339, e.g. 2026-05-18T00:00:00Z"
    )
    listing.add_argument("--created-before", metavar="TIME", help="RFC 3339")
    listing.add_argument(
        "--limit", type=positive_int, metavar="N", help="print at most N (default: all)"
    )
    listing.set_defaults(handler=list_command)


def _add_update(group: Any, api: argparse.ArgumentParser) -> None:
    update = add_command(
        group,
        "update",
        "change a session's title, metadata, flush interval, environment variables, agent "
        "tools, budget or vaults",
        parents=[api],
    )
    update.add_argument("session_id", metavar="SESSION_ID")
    title = update.add_mutually_exclusive_group()
    title.add_argument("--title")
    title.add_argument("--clear-title", action="store_true")
    _metadata_option(update, "set a key; repeatable")
    update.add_argument(
        "--unset-metadata", action="append", default=[], metavar="KEY", help="repeatable"
    )
    update.add_argument("--delta-flush-interval-ms", type=positive_int, metavar="MS")
    variables = update.add_mutually_exclusive_group()
    _environment_option(variables, "the new set (replaces the old one); repeatable")
    variables.add_argument("--clear-environment-variables", action="store_true")
    update.add_argument(
        "--agent",
        dest="agent_patch",
        type=json_object,
        metavar="JSON",
        help="new tools and/or MCP servers, e.g. '{\"mcp_servers\": []}' (each replaced whole)",
    )
    budget = update.add_mutually_exclusive_group()
    _budget_option(budget)
    budget.add_argument("--clear-budget", action="store_true")
    vaults = update.add_mutually_exclusive_group()
    vaults.add_argument(
        "--vault-id",
        dest="vault_ids",
        action="append",
        metavar="ID",
        help="the new vault list (replaces the old one); repeatable",
    )
    vaults.add_argument("--clear-vault-ids", action="store_true", help="no vaults")
    update.set_defaults(handler=update_command)


async def create_command(args: argparse.Namespace) -> int:
    """Create one session and print it as JSON on stdout.

    Args:
        args: the parsed command line.

    Example::

        qoder_async.cli.main(["sessions", "create", "--agent", "agent_1", "--environment-id",
                              "env_1", "--vault-id", "vlt_1", "--metadata", "ticket=OPS-1",
                              "--env-var", "LOG_LEVEL=debug"])
    """
    agent: str | AgentRef = args.agent
    if args.agent_version is not None:
        agent = AgentRef(args.agent, version=args.agent_version)

    async def action(client: AsyncQoder) -> None:
        session = await client.sessions.create(
            agent=agent,
            environment_id=args.environment_id,
            title=args.title,
            metadata=dict(args.metadata) or None,
            delta_flush_interval_ms=args.delta_flush_interval_ms,
            memory_store_ids=args.memory_store_ids,
            resources=args.resources,
            vault_ids=args.vault_ids,
            environment_variables=dict(args.environment_variables) or None,
            initial_events=args.initial_events,
            budget=args.budget,
            idempotency_key=args.idempotency_key,
        )
        print_json(session)

    return await call_api(args, action)


async def list_command(args: argparse.Namespace) -> int:
    """Print the sessions that match the filters as JSON lines.

    Args:
        args: the parsed command line.

    Example::

        qoder_async.cli.main(["sessions", "list", "--status", "idle", "--limit", "10",
                              "--deployment-id", "dep_1"])
    """

    async def action(client: AsyncQoder) -> None:
        sessions = client.sessions.list(
            limit=min(args.limit, 100) if args.limit else None,
            include_archived=args.include_archived or None,
            order=args.order,
            statuses=args.statuses,
            agent_id=args.agent_id,
            agent_version=args.agent_version,
            deployment_id=args.deployment_id,
            memory_store_id=args.memory_store_id,
            created_at_gte=args.created_after,
            created_at_lt=args.created_before,
        )
        await print_items(sessions, args.limit)

    return await call_api(args, action)


async def _by_id_command(args: argparse.Namespace) -> int:
    async def action(client: AsyncQoder) -> None:
        print_json(await getattr(client.sessions, args.method)(args.session_id))

    return await call_api(args, action)


async def update_command(args: argparse.Namespace) -> int:
    """Change a session; only what is given is sent. Prints the session as JSON.

    Args:
        args: the parsed command line.

    Example::

        qoder_async.cli.main(["sessions", "update", "sess_1", "--title", "Reviewed",
                              "--unset-metadata", "draft", "--clear-budget"])
    """
    changes: dict[str, Any] = {}
    if args.title is not None or args.clear_title:
        changes["title"] = args.title
    metadata: dict[str, str | None] = dict(args.metadata)
    metadata.update(dict.fromkeys(args.unset_metadata))
    if metadata:
        changes["metadata"] = metadata
    if args.delta_flush_interval_ms is not None:
        changes["delta_flush_interval_ms"] = args.delta_flush_interval_ms
    if args.environment_variables or args.clear_environment_variables:
        changes["environment_variables"] = dict(args.environment_variables) or None
    if args.agent_patch is not None:
        changes["agent"] = args.agent_patch
    if args.budget is not None or args.clear_budget:
        changes["budget"] = args.budget
    if args.vault_ids is not None or args.clear_vault_ids:
        changes["vault_ids"] = args.vault_ids or []
    if not changes:
        raise UsageError(
            "nothing to update: give --title, --clear-title, --metadata, --unset-metadata, "
            "--delta-flush-interval-ms, --environment-variable, --clear-environment-variables, "
            "--agent, --budget, --clear-budget, --vault-id or --clear-vault-ids"
        )

    async def action(client: AsyncQoder) -> None:
        print_json(await client.sessions.update(args.session_id, **changes))

    return await call_api(args, action)
