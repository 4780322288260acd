"""``helpline dlq list | show SEQ | replay SEQ | replay --all``: the dead letters."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable

import nats

from helpline.adapters.nats.dead_letters import DeadLetters, UnknownDeadLetterError
from helpline.adapters.nats.embedded import reachable, servers
from helpline.adapters.nats.topology import Topology
from helpline.config import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``helpline dlq``."""
    dlq = sub.add_parser("dlq", help="list, inspect and replay the dead letters")
    dlq_sub = dlq.add_subparsers(dest="dlq_command", required=True)
    listing = dlq_sub.add_parser("list", help="the oldest dead letters, one per line")
    listing.add_argument("--limit", type=int, default=100)
    listing.set_defaults(func=lambda a: _run(_list, a))
    show = dlq_sub.add_parser("show", help="one dead letter with its body")
    show.add_argument("seq", type=int)
    show.set_defaults(func=lambda a: _run(_show, a))
    replay = dlq_sub.add_parser("replay", help="put dead letters back where they came from "
                                "(after fixing their cause)")
    which = replay.add_mutually_exclusive_group(required=True)
    which.add_argument("seq", type=int, nargs="?")
    which.add_argument("--all", action="store_true", help="every dead letter, oldest first")
    replay.set_defaults(func=lambda a: _run(_replay, a))


def _run(command: Callable[[DeadLetters, argparse.Namespace], Awaitable[int]],
         args: argparse.Namespace) -> int:
    settings = Settings()

    async def quiet(_: Exception) -> None:
        """nats-py prints every failed attempt with a traceback; we say it once."""

    async def main() -> int:
        try:
            if not reachable(settings.nats_url):
                raise ConnectionRefusedError(settings.nats_url)
            nc = await nats.connect(servers=servers(settings.nats_url), connect_timeout=3,
                                    allow_reconnect=False, error_cb=quiet)
        except Exception as e:
            print(f"error: cannot reach NATS at {settings.nats_url} ({type(e).__name__})",
                  file=sys.stderr)
            return 1
        try:
            letters = DeadLetters(nc.jetstream(), Topology.from_settings(settings))
            return await command(letters, args)
        except UnknownDeadLetterError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        finally:
            await nc.close()

    return asyncio.run(main())


async def _list(letters: DeadLetters, args: argparse.Namespace) -> int:
    found = await letters.oldest(args.limit)
    if not found:
        print("no dead letters")
        return 0
    print(f"{'seq':>6}  {'when':<20}  {'service':<14}  {'message':<46}  tries  error")
    for letter in found:
        print(f"{letter.seq:>6}  {(letter.at or '')[:19]:<20}  {letter.service:<14}  "
              f"{letter.catalog_id:<46}  {letter.deliveries:>5}  {letter.error[:80]}")
    return 0


async def _show(letters: DeadLetters, args: argparse.Namespace) -> int:
    print(json.dumps((await letters.get(args.seq)).detail(), indent=2, ensure_ascii=False))
    return 0


async def _replay(letters: DeadLetters, args: argparse.Namespace) -> int:
    replayed = await letters.replay_all() if args.all else [await letters.replay(args.seq)]
    for letter in replayed:
        print(f"replayed {letter.seq}: {letter.service} {letter.catalog_id} → {letter.subject}")
    if not replayed:
        print("no dead letters")
    return 0
