"""Admin commands: ``helpline agents add | rotate-token | revoke-token | remove`` and
``helpline customers import``."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``helpline agents add`` and ``helpline customers import``."""
    agents = sub.add_parser("agents", help="manage human agents")
    agents_sub = agents.add_subparsers(dest="agents_command", required=True)
    add = agents_sub.add_parser("add", help="register an agent and print their API token")
    add.add_argument("name")
    add.add_argument("--email", required=True)
    add.add_argument("--max-tickets", type=int, default=5,
                     help="open tickets the agent can hold at once (default 5)")
    add.add_argument("--languages", default="",
                     help="comma-separated language codes the agent speaks, e.g. es,en")
    add.add_argument("--id", dest="agent_id", default=None, help="the agent id (default: new)")
    add.set_defaults(func=_add_agent)
    for name, help_text in (("rotate-token", "give an agent a new API token (printed once)"),
                            ("revoke-token", "stop an agent's API token from working"),
                            ("remove", "remove an agent; their tickets go to others")):
        cmd = agents_sub.add_parser(name, help=help_text)
        cmd.add_argument("agent_id")
        cmd.set_defaults(func=_change_agent, action=name)

    customers = sub.add_parser("customers", help="manage the customer registry")
    customers_sub = customers.add_subparsers(dest="customers_command", required=True)
    imp = customers_sub.add_parser(
        "import", help="import customers from a CSV file (customer_id,name,phone[,email,"
                       "language])")
    imp.add_argument("file")
    imp.set_defaults(func=_import_customers)


def _add_agent(args: argparse.Namespace) -> int:
    from helpline.bootstrap import bootstrap
    from helpline.config import Settings
    from helpline.domain.errors import AgentAlreadyRegisteredError

    if args.max_tickets < 1:
        print("error: --max-tickets must be at least 1", file=sys.stderr)
        return 2
    languages = [x.strip() for x in args.languages.split(",") if x.strip()]
    container = bootstrap(Settings())
    try:
        new = container.services.desk.register_agent(
            name=args.name, email=args.email, languages=languages,
            max_tickets=args.max_tickets, agent_id=args.agent_id)
    except AgentAlreadyRegisteredError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        container.close()
    print(f"agent {new.agent_id} registered; API token (shown only once):", file=sys.stderr)
    print(new.token)
    return 0


def _change_agent(args: argparse.Namespace) -> int:
    from helpline.bootstrap import bootstrap
    from helpline.config import Settings
    from helpline.domain.errors import UnknownAgentError

    container = bootstrap(Settings())
    desk = container.services.desk
    try:
        if args.action == "rotate-token":
            print(f"agent {args.agent_id}: new API token (shown only once):", file=sys.stderr)
            print(desk.rotate_token(args.agent_id))
        elif args.action == "revoke-token":
            desk.revoke_token(args.agent_id)
            print(f"agent {args.agent_id}: token revoked")
        else:
            desk.remove_agent(args.agent_id)
            print(f"agent {args.agent_id} removed; their tickets went to other agents or "
                  "back to the queue")
    except UnknownAgentError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        container.close()
    return 0


def _import_customers(args: argparse.Namespace) -> int:
    from helpline.adapters.directory import read_customers_csv
    from helpline.bootstrap import Persistence
    from helpline.config import Settings

    try:
        customers = read_customers_csv(args.file)
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    directory = Persistence(Settings()).directory()
    try:
        directory.upsert_many(customers)
    finally:
        directory.close()
    print(f"imported {len(customers)} customers from {args.file}")
    return 0
