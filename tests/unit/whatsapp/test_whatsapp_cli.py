"""``helpline fake-graph`` registers like every other sub-command."""

from __future__ import annotations

import argparse

import pytest

from helpline.adapters.whatsapp import cli

pytestmark = pytest.mark.unit


def test_fake_graph_subcommand_parses_host_and_port() -> None:
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["fake-graph", "--port", "9099"])
    assert (args.host, args.port, callable(args.func)) == ("127.0.0.1", 9099, True)
