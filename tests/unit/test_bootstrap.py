"""The composition root: one place picks the persistence, overrides are checked, and what
the container built is closed through its ports."""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest

from helpline.adapters.directory import SqliteCustomerDirectory
from helpline.adapters.supervisor import SUPERVISED
from helpline.adapters.whatsapp.ledger import SqliteSendLedger
from helpline.application import ConversationStore, InMemoryCustomerDirectory, KeywordAnswerer
from helpline.bootstrap import Persistence, bootstrap
from helpline.catalog.base import SERVICES
from helpline.config import Settings
from helpline.projections import SqliteHelpdeskView
from helpline.wiring import build_process, edge_of

pytestmark = pytest.mark.unit


def test_an_unknown_override_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="answerr"):
        bootstrap(Settings(helpline_data_dir=tmp_path), answerr=KeywordAnswerer({}))  # type: ignore[call-arg]


def test_the_event_sourced_services_are_derived(tmp_path: Path) -> None:
    container = bootstrap(Settings(helpline_data_dir=tmp_path))
    assert container.services.event_sourced == {"ms-conv-store", "ms-agents"}
    container.close()


class ClosingDirectory(InMemoryCustomerDirectory):
    closed = 0

    def close(self) -> None:
        self.closed += 1


class ClosingAnswerer(KeywordAnswerer):
    closed = 0

    def close(self) -> None:
        self.closed += 1


def test_close_closes_the_directory_and_the_answerer(tmp_path: Path) -> None:
    directory, answerer = ClosingDirectory(), ClosingAnswerer({})
    bootstrap(Settings(helpline_data_dir=tmp_path), directory=directory,
              answerer=answerer).close()
    assert (directory.closed, answerer.closed) == (1, 1)


async def test_sqlite_persistence_is_files_in_the_data_dir(tmp_path: Path) -> None:
    persistence = Persistence(Settings(helpline_data_dir=tmp_path / "d"))
    directory = persistence.directory()
    assert isinstance(directory, SqliteCustomerDirectory)
    directory.close()
    view = persistence.view()
    assert isinstance(view, SqliteHelpdeskView)
    view.datastore.close()
    async with AsyncExitStack() as stack:
        assert isinstance(await persistence.send_ledger(stack), SqliteSendLedger)
    assert {p.name for p in (tmp_path / "d").iterdir()} >= {
        "customers.sqlite", "projections.sqlite", "whatsapp_ledger.sqlite"}


def test_popo_persistence_keeps_nothing_on_disk(tmp_path: Path) -> None:
    persistence = Persistence(Settings(persistence_module="eventsourcing.popo",
                                       helpline_data_dir=tmp_path / "d"))
    assert persistence.event_store_env("x")["PERSISTENCE_MODULE"] == "eventsourcing.popo"
    assert isinstance(persistence.directory(), InMemoryCustomerDirectory)
    persistence.view().datastore.close()  # type: ignore[attr-defined]
    assert not (tmp_path / "d").exists()


def test_postgres_persistence_environment() -> None:
    env = Persistence(Settings(persistence_module="eventsourcing.postgres",
                               postgres_schema="s1")).event_store_env("x")
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    assert env["POSTGRES_SCHEMA"] == "s1" and env["POSTGRES_PRE_PING"] == "y"


def test_sqlite_environment_uses_the_durability_setting(tmp_path: Path) -> None:
    env = Persistence(Settings(helpline_data_dir=tmp_path, sqlite_synchronous="FULL")
                      ).event_store_env("x")
    assert env["SQLITE_SYNCHRONOUS"] == "FULL"
    assert env["SQLITE_DBNAME"] == str(tmp_path / "x.sqlite")


@pytest.mark.parametrize(("mode", "value"), [("NORMAL", 1), ("FULL", 2)])
def test_sqlite_store_sets_the_pragma(tmp_path: Path, mode: Any, value: int) -> None:
    env = Persistence(Settings(helpline_data_dir=tmp_path, sqlite_synchronous=mode)
                      ).event_store_env("x")
    store = ConversationStore(env)
    with store.factory.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == value
    store.close()


def test_the_public_edge_follows_the_services() -> None:
    assert edge_of(set(SERVICES)) == {"webhook", "agents"}
    assert edge_of({"ms-whatsapp"}) == {"webhook"}
    assert edge_of({"ms-rag", "ms-gateway"}) == set()


async def test_a_process_is_built_without_connecting(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SUPERVISED, raising=False)
    settings = Settings(helpline_data_dir=tmp_path).resolved()
    process = await build_process(settings, ("ms-whatsapp", "ms-agents"), (("ms-rag",),))
    try:
        assert process.edge == {"webhook", "agents"} and not process.supervised
        assert process.every == {"ms-whatsapp", "ms-agents", "ms-rag"}
        assert list(process.checks) == ["nats", "consumers", "conversation_store", "agent_desk",
                                        "customer_directory", "send_ledger", "views"]
        assert "ms-whatsapp" in process.runtime.handlers
    finally:
        await process.stop(1.0)


async def test_a_supervised_child_serves_no_public_edge(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SUPERVISED, "1")
    process = await build_process(Settings(helpline_data_dir=tmp_path), ("ms-agents",))
    try:
        assert process.edge == set() and process.projections is None
        assert "views" not in process.checks
    finally:
        await process.stop(1.0)
