"""Demo data for ``make run``: sample customers and an online agent with a known token."""

from __future__ import annotations

from pathlib import Path

from helpline.adapters.directory import read_customers_csv
from helpline.bootstrap import Container

DEMO_AGENT_ID = "agt_demo"
DEMO_AGENT_TOKEN = "demo-agent-token"


def seed_demo(container: Container, customers_csv: Path | None) -> list[str]:
    """Register the demo customers and agent if missing; returns lines to show the user."""
    lines = []
    if customers_csv is not None and customers_csv.exists():
        customers = read_customers_csv(customers_csv)
        container.services.gateway.directory.upsert_many(customers)
        lines.append(f"{len(customers)} demo customers from {customers_csv}")
    desk = container.services.desk
    if DEMO_AGENT_ID not in desk.roster().agents:
        desk.register_agent(name="Demo Agent", email="agent@example.com",
                            languages=["es", "en", "pt"], max_tickets=5,
                            agent_id=DEMO_AGENT_ID, token=DEMO_AGENT_TOKEN)
    desk.set_agent_status(DEMO_AGENT_ID, online=True)
    lines.append(f"demo agent {DEMO_AGENT_ID} is online; console token: {DEMO_AGENT_TOKEN}")
    return lines
