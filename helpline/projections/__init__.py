"""Read models for agent look-ups, built by following the applications' notification logs
with tracking (eventsourcing projections), stored in SQLite or PostgreSQL."""

from helpline.projections.projectors import (
    PROJECTIONS,
    ConversationsProjection,
    TicketsProjection,
)
from helpline.projections.runner import (
    Projections,
    ProjectionWorker,
    build_projections,
)
from helpline.projections.views import (
    AgentRow,
    ConversationRow,
    HelpdeskView,
    Metrics,
    PostgresHelpdeskView,
    SqliteHelpdeskView,
    TicketRow,
    TurnRow,
)

__all__ = [
    "PROJECTIONS",
    "AgentRow",
    "ConversationRow",
    "ConversationsProjection",
    "HelpdeskView",
    "Metrics",
    "PostgresHelpdeskView",
    "ProjectionWorker",
    "Projections",
    "SqliteHelpdeskView",
    "TicketRow",
    "TicketsProjection",
    "TurnRow",
    "build_projections",
]
