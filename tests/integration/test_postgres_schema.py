"""``POSTGRES_SCHEMA`` is honoured by every table: event stores, their tracking, the send
ledger, the customer directory and the views (a deployment in its own schema shares nothing
with another one in the same database)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from helpline.adapters.whatsapp.ledger import PostgresSendLedger
from helpline.bootstrap import Persistence, bootstrap
from helpline.config import Settings
from helpline.projections import build_projections
from tests.conftest import PG_DB, postgres_conninfo

pytestmark = pytest.mark.integration


async def test_every_table_is_created_in_the_configured_schema(
    pg_schema: str, tmp_path: Path
) -> None:
    settings = Settings(persistence_module="eventsourcing.postgres", postgres_dbname=PG_DB,
                        postgres_schema=pg_schema, helpline_data_dir=tmp_path)
    container = bootstrap(settings)
    ledger = await PostgresSendLedger.connect(settings.postgres_conninfo())
    projections = build_projections(Persistence(settings).view(), desk=container.services.desk,
                                    store=container.services.store)
    projections.catch_up()
    container.services.desk.register_agent(name="Ana", email="ana@example.com")
    projections.catch_up()
    await ledger.aclose()
    projections.close()
    container.close()
    with psycopg.connect(postgres_conninfo()) as conn:
        tables = {r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (pg_schema,))}
    expected = {"conversationstore_events", "agentdesk_events", "whatsapp_send_parts",
                "whatsapp_send_outcomes", "helpline_customers", "helpline_view_tickets",
                "helpline_view_conversations", "helpline_view_turns", "helpline_view_tracking"}
    assert expected <= tables, expected - tables
