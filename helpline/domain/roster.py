"""The Roster aggregate (ms-agents): agents, their capacity, and the queue of tickets.

Assignment rule: among online agents with capacity, the one with the fewest open tickets;
ties go to the agent who speaks the customer's language, then to the one idle longest.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from eventsourcing.domain import Aggregate

from helpline.domain.errors import AgentAlreadyRegisteredError, UnknownAgentError
from helpline.domain.ids import ROSTER_ID

JSON = dict[str, Any]


class _AgentEntryChanged(Aggregate.Event):
    """One value of an agent's entry changed: :attr:`entry` names it, and the event's field
    of that name holds the new value."""

    entry: ClassVar[str]

    agent_id: str

    def apply(self, agg: Roster) -> None:
        agg.agents[self.agent_id][self.entry] = getattr(self, self.entry)


class Roster(Aggregate):
    """Every agent of the desk and the tickets waiting for one."""

    class Started(Aggregate.Created):
        """The desk's roster exists."""

    class AgentRegistered(Aggregate.Event):
        """A new agent joined; ``token_hash`` is the SHA-256 of their API token."""

        agent_id: str
        name: str
        email: str
        languages: list[str]
        max_tickets: int
        token_hash: str

        def apply(self, agg: Roster) -> None:
            agg.agents[self.agent_id] = {
                "agent_id": self.agent_id, "name": self.name, "email": self.email,
                "languages": self.languages, "max_tickets": self.max_tickets,
                "token_hash": self.token_hash, "online": False, "tickets": [],
                "idle_since": self.timestamp.isoformat(),
            }

    class AgentStatusChanged(_AgentEntryChanged):
        """An agent went online or offline."""

        entry = "online"

        online: bool

    class TicketQueued(Aggregate.Event):
        """A ticket waits for an agent."""

        ticket_id: str
        language: str | None

        def apply(self, agg: Roster) -> None:
            agg.queue.append({"ticket_id": self.ticket_id, "language": self.language})

    class TicketAssigned(Aggregate.Event):
        """The ticket left the queue (or another agent) for ``agent_id``."""

        ticket_id: str
        agent_id: str

        def apply(self, agg: Roster) -> None:
            agg._take_out(self.ticket_id)
            agg.agents[self.agent_id]["tickets"].append(self.ticket_id)
            agg.agents[self.agent_id]["idle_since"] = self.timestamp.isoformat()

    class TicketReleased(Aggregate.Event):
        """The ticket was closed: its agent has capacity again."""

        ticket_id: str

        def apply(self, agg: Roster) -> None:
            for agent in agg._take_out(self.ticket_id):
                agent["idle_since"] = self.timestamp.isoformat()

    class TokenChanged(_AgentEntryChanged):
        """The agent's API token was rotated (a new hash) or revoked (``token_hash`` empty:
        no token is theirs until the next rotation)."""

        entry = "token_hash"

        token_hash: str

    class AgentRemoved(Aggregate.Event):
        """The agent left the desk; the tickets they held wait, first, for another agent."""

        agent_id: str
        requeued: list[JSON]

        def apply(self, agg: Roster) -> None:
            del agg.agents[self.agent_id]
            agg.queue = [*self.requeued, *agg.queue]

    def __init__(self) -> None:
        self.agents: dict[str, JSON] = {}
        self.queue: list[JSON] = []

    @classmethod
    def start(cls, *, at: datetime) -> Roster:
        """The desk's single roster."""
        return cls._create(cls.Started, id=ROSTER_ID, timestamp=at)

    def _take_out(self, ticket_id: str) -> list[JSON]:
        """Take ``ticket_id`` out of the queue and from the agents holding it (a state change
        of ``apply`` only); returns those agents."""
        self.queue = [q for q in self.queue if q["ticket_id"] != ticket_id]
        holders = [a for a in self.agents.values() if ticket_id in a["tickets"]]
        for agent in holders:
            agent["tickets"].remove(ticket_id)
        return holders

    # -- queries ----------------------------------------------------------------------------

    def agent(self, agent_id: str) -> JSON:
        """The agent ``agent_id`` (a copy)."""
        try:
            return dict(self.agents[agent_id])
        except KeyError:
            raise UnknownAgentError(f"no agent {agent_id!r}") from None

    def agent_by_token_hash(self, token_hash: str) -> JSON | None:
        """The agent whose token hashes to ``token_hash``, if any."""
        if not token_hash:
            return None
        for agent in self.agents.values():
            if agent["token_hash"] == token_hash:
                return dict(agent)
        return None

    def holder_of(self, ticket_id: str) -> str | None:
        """The agent holding ``ticket_id``, if any."""
        for agent in self.agents.values():
            if ticket_id in agent["tickets"]:
                return str(agent["agent_id"])
        return None

    def pick_agent(self, language: str | None) -> str | None:
        """The agent the next ticket in ``language`` should go to, or ``None``."""
        free = [a for a in self.agents.values()
                if a["online"] and len(a["tickets"]) < a["max_tickets"]]
        if not free:
            return None
        best = min(free, key=lambda a: (len(a["tickets"]),
                                        language not in a["languages"], a["idle_since"],
                                        a["agent_id"]))
        return str(best["agent_id"])

    # -- commands ---------------------------------------------------------------------------

    def register(
        self, *, agent_id: str, name: str, email: str, languages: list[str], max_tickets: int,
        token_hash: str, at: datetime,
    ) -> None:
        """Add an agent (offline until they say otherwise)."""
        if agent_id in self.agents or any(a["email"] == email for a in self.agents.values()):
            raise AgentAlreadyRegisteredError(f"agent {agent_id!r} or {email!r} exists")
        if max_tickets < 1:
            raise ValueError("max_tickets must be at least 1")
        self.trigger_event(self.AgentRegistered, timestamp=at, agent_id=agent_id, name=name,
                           email=email, languages=list(languages), max_tickets=max_tickets,
                           token_hash=token_hash)

    def change_token(self, *, agent_id: str, token_hash: str, at: datetime) -> None:
        """Give the agent a new token hash (``""``: revoke their token)."""
        self.agent(agent_id)
        self.trigger_event(self.TokenChanged, timestamp=at, agent_id=agent_id,
                           token_hash=token_hash)

    def remove(self, *, agent_id: str, languages: dict[str, str | None], at: datetime
               ) -> list[str]:
        """Remove the agent; returns the tickets they held, which go back to the front of
        the queue (``languages``: each ticket's customer language, to place it well)."""
        held = list(self.agent(agent_id)["tickets"])
        self.trigger_event(self.AgentRemoved, timestamp=at, agent_id=agent_id,
                           requeued=[{"ticket_id": t, "language": languages.get(t)}
                                     for t in held])
        return held

    def set_online(self, *, agent_id: str, online: bool, at: datetime) -> bool:
        """Change an agent's status. ``False`` if unchanged."""
        if self.agent(agent_id)["online"] == online:
            return False
        self.trigger_event(self.AgentStatusChanged, timestamp=at, agent_id=agent_id,
                           online=online)
        return True

    def enqueue(self, *, ticket_id: str, language: str | None, at: datetime) -> bool:
        """Put a ticket in the queue. ``False`` if it is queued or held already."""
        if any(q["ticket_id"] == ticket_id for q in self.queue) or self.holder_of(ticket_id):
            return False
        self.trigger_event(self.TicketQueued, timestamp=at, ticket_id=ticket_id,
                           language=language)
        return True

    def assign_waiting(self, *, at: datetime) -> list[tuple[str, str]]:
        """Assign queued tickets, oldest first, while agents have capacity.

        Returns the ``(ticket_id, agent_id)`` assignments made."""
        made: list[tuple[str, str]] = []
        for waiting in list(self.queue):
            agent_id = self.pick_agent(waiting["language"])
            if agent_id is None:
                break
            self.trigger_event(self.TicketAssigned, timestamp=at,
                               ticket_id=waiting["ticket_id"], agent_id=agent_id)
            made.append((waiting["ticket_id"], agent_id))
        return made

    def reassign(self, *, ticket_id: str, agent_id: str, at: datetime) -> bool:
        """Give a ticket to a named agent. ``False`` if that agent holds it already."""
        self.agent(agent_id)
        if self.holder_of(ticket_id) == agent_id:
            return False
        self.trigger_event(self.TicketAssigned, timestamp=at, ticket_id=ticket_id,
                           agent_id=agent_id)
        return True

    def release(self, *, ticket_id: str, at: datetime) -> bool:
        """A ticket was closed. ``False`` if it was neither queued nor held."""
        queued = any(q["ticket_id"] == ticket_id for q in self.queue)
        if not queued and self.holder_of(ticket_id) is None:
            return False
        self.trigger_event(self.TicketReleased, timestamp=at, ticket_id=ticket_id)
        return True
