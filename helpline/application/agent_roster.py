"""The AgentDesk's agents: registering them, their API tokens, online and offline, and
removing them (stored events of the :class:`~helpline.domain.roster.Roster` aggregate, in the
desk's store), with the roster's routing of waiting tickets that these changes trigger."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from helpline.application.base import HelplineApplication
from helpline.application.errors import UnknownTicketError
from helpline.application.unit_of_work import UnitOfWork
from helpline.catalog import CatalogMessage
from helpline.domain.ids import ROSTER_ID
from helpline.domain.roster import Roster
from helpline.domain.ticket import Ticket


def hash_token(token: str) -> str:
    """How agent tokens are stored: SHA-256 hex (tokens are random, 256 bits)."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewAgent:
    """A registered agent and their API token (shown once, stored only as a hash)."""

    agent_id: str
    token: str


class AgentRosterMixin(HelplineApplication):
    """Agents and the roster, for :class:`~helpline.application.agent_desk.AgentDesk`."""

    def roster(self) -> Roster:
        """The roster (created empty on first use)."""
        return self.find(ROSTER_ID, Roster) or Roster.start(at=self.clock())

    def register_agent(
        self, *, name: str, email: str, languages: list[str] | None = None,
        max_tickets: int = 5, agent_id: str | None = None, token: str | None = None,
    ) -> NewAgent:
        """Add an agent; returns their id and API token (only its hash is stored). ``token``
        sets the token instead of a random one (demos, migrations)."""
        token = token or secrets.token_urlsafe(32)
        new_id = agent_id or f"agt_{uuid4().hex[:12]}"
        self.run(self._register, agent_id=new_id, name=name, email=email,
                 languages=languages or [], max_tickets=max_tickets,
                 token_hash=hash_token(token))
        return NewAgent(agent_id=new_id, token=token)

    def authenticate(self, token: str) -> dict[str, Any] | None:
        """The agent whose API token is ``token``, if any."""
        agent = self.roster().agent_by_token_hash(hash_token(token))
        if agent is None:
            return None
        return {k: v for k, v in agent.items() if k != "token_hash"}

    def rotate_token(self, agent_id: str) -> str:
        """Give the agent a new API token (returned once; the old one stops working)."""
        token = secrets.token_urlsafe(32)
        self.run(self._change_token, agent_id, hash_token(token))
        return token

    def revoke_token(self, agent_id: str) -> None:
        """Stop the agent's API token from working (until a rotation gives a new one)."""
        self.run(self._change_token, agent_id, "")

    def remove_agent(self, agent_id: str) -> list[CatalogMessage]:
        """Remove an agent: their token stops working and the tickets they held go to other
        agents (or back to the front of the queue)."""
        return self.run(self._remove, agent_id)

    def set_agent_status(self, agent_id: str, *, online: bool) -> list[CatalogMessage]:
        """An agent goes online (and takes waiting tickets) or offline."""
        return self.run(self._set_status, agent_id, online)

    # -- decisions of the commands above (run in a unit of work) -----------------------------

    def _register(self, uow: UnitOfWork, /, **agent: Any) -> None:
        self._roster(uow).register(**agent, at=self.clock())

    def _change_token(self, uow: UnitOfWork, agent_id: str, token_hash: str) -> None:
        self._roster(uow).change_token(agent_id=agent_id, token_hash=token_hash,
                                       at=self.clock())

    def _remove(self, uow: UnitOfWork, agent_id: str) -> None:
        roster = self._roster(uow)
        held = {t: self._ticket(uow, t) for t in roster.agent(agent_id)["tickets"]}
        at = self.clock()
        roster.remove(agent_id=agent_id, languages={t: k.language for t, k in held.items()},
                      at=at)
        for ticket in held.values():
            ticket.requeue(at=at)
        self._assign_waiting(uow, roster)

    def _set_status(self, uow: UnitOfWork, agent_id: str, online: bool) -> None:
        roster = self._roster(uow)
        roster.set_online(agent_id=agent_id, online=online, at=self.clock())
        self._assign_waiting(uow, roster)

    # -- helpers ------------------------------------------------------------------------------

    def _roster(self, uow: UnitOfWork) -> Roster:
        return uow.get(ROSTER_ID, Roster) or uow.add(Roster.start(at=self.clock()))

    def _ticket(self, uow: UnitOfWork, ticket_id: str) -> Ticket:
        ticket = uow.get(ticket_id, Ticket)
        if ticket is None:
            raise UnknownTicketError(f"no ticket {ticket_id}")
        return ticket

    def _assign_waiting(self, uow: UnitOfWork, roster: Roster) -> None:
        """Assign the waiting tickets the roster can place now."""
        for ticket_id, agent_id in roster.assign_waiting(at=self.clock()):
            self._ticket(uow, ticket_id).assign(
                agent_id=agent_id, agent_name=roster.agent(agent_id)["name"], at=self.clock())


__all__ = ["AgentRosterMixin", "NewAgent", "hash_token"]
