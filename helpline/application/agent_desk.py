"""AgentDesk: the application behind ms-agents (tickets, the roster, human answers)."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from helpline.application.agent_roster import AgentRosterMixin, NewAgent, hash_token
from helpline.application.canned_replies import CannedRepliesMixin
from helpline.application.emit import Outbox, emits
from helpline.application.errors import NotAllowedError, UnknownTicketError
from helpline.application.handlers import decides
from helpline.application.unit_of_work import UnitOfWork
from helpline.catalog import (
    AgentAnswerGenerated,
    AgentAssigned,
    AgentTemplateAnswerGenerated,
    Attachment,
    CatalogMessage,
    ConversationDocument,
    GenerateAgentAnswer,
    GetConversation,
    OpenTicket,
    TemplateChoice,
    TicketClosed,
    TicketOpened,
    TicketPriorityChanged,
    TicketReopened,
)
from helpline.domain.errors import DomainError
from helpline.domain.ids import desk_conversation_id
from helpline.domain.roster import Roster
from helpline.domain.ticket import DeskConversation, Ticket


class TicketNotYetOpenError(RuntimeError):
    """A message for a ticket whose Open Ticket is not handled yet (transient: redeliver)."""


class AgentDesk(AgentRosterMixin, CannedRepliesMixin):
    """ms-agents: opens tickets, assigns agents, and publishes their answers; keeps the
    agents' internal notes and the desk's canned replies."""

    name = "AgentDesk"
    #: The roster gains an event per assignment; snapshots keep loading it cheap.
    snapshotting_intervals = {Roster: 100}

    # -- loading ------------------------------------------------------------------------------

    def ticket(self, ticket_id: str) -> Ticket:
        """The ticket ``ticket_id`` (raises ``UnknownTicketError``)."""
        ticket = self.find(ticket_id, Ticket)
        if ticket is None:
            raise UnknownTicketError(f"no ticket {ticket_id}")
        return ticket

    def ticket_for(self, ticket_id: str, agent_id: str | None) -> Ticket:
        """The ticket, if ``agent_id`` may act on it (``None``: the admin): raises
        ``UnknownTicketError`` or ``NotAllowedError`` (see ``Ticket.is_for``)."""
        ticket = self.ticket(ticket_id)
        if not ticket.is_for(agent_id):
            raise NotAllowedError(f"agent {agent_id} may not act on ticket {ticket_id}")
        return ticket

    # -- ms-conv-store → ms-agents ------------------------------------------------------------

    @decides(OpenTicket)
    def open_ticket(self, cmd: OpenTicket, uow: UnitOfWork) -> None:
        """Open the ticket (at most one open per conversation) and assign it if an agent is
        free; otherwise it waits in the queue."""
        if uow.get(cmd.ticket_id, Ticket) is not None:
            return
        at = self.clock()
        index = uow.get(desk_conversation_id(cmd.conversation_id), DeskConversation) or uow.add(
            DeskConversation.start(conversation_id=cmd.conversation_id, at=at))
        if not index.link(ticket_id=cmd.ticket_id, at=at):
            return
        ticket = uow.add(Ticket.open(
            ticket_id=cmd.ticket_id, conversation_id=cmd.conversation_id, phone=cmd.phone,
            customer=cmd.customer.model_dump(mode="json") if cmd.customer else None,
            reason=cmd.reason, language=cmd.language, at=at, cause_id=str(cmd.message_id)))
        roster = self._roster(uow)
        roster.enqueue(ticket_id=str(ticket.id), language=cmd.language, at=at)
        self._assign_waiting(uow, roster)

    @decides(GenerateAgentAnswer)
    def generate_agent_answer(self, cmd: GenerateAgentAnswer, uow: UnitOfWork) -> None:
        """A customer message for the agent holding the ticket: add it to the agent's view."""
        ticket = uow.get(cmd.ticket_id, Ticket)
        if ticket is None:
            # Open Ticket travels on another consumer and may not be handled yet: retry.
            raise TicketNotYetOpenError(f"ticket {cmd.ticket_id} is not open yet")
        ticket.forward_customer_message(in_reply_to=cmd.in_reply_to, text=cmd.text,
                                        at=self.clock())

    @decides(ConversationDocument)
    def conversation_document(self, doc: ConversationDocument, uow: UnitOfWork) -> None:
        """Keep the Conversation Document in the open ticket for the agent's view."""
        if not doc.found:
            return
        index = uow.get(desk_conversation_id(doc.conversation_id), DeskConversation)
        if index is None or index.open_ticket_id is None:
            return
        if doc.ticket is None or doc.ticket.ticket_id != index.open_ticket_id:
            return  # the document of an earlier ticket (a late redelivery) is stale
        self._ticket(uow, index.open_ticket_id).sync_conversation(
            version=doc.version, turns=[t.model_dump(mode="json") for t in doc.turns],
            at=self.clock())

    # -- what the stored events publish (translations, not methods: see application.emit) ---

    @emits(Ticket.Opened)
    def _opened(e: Ticket.Opened, out: Outbox) -> list[CatalogMessage]:
        return [TicketOpened(**_about_ticket(out, e.cause_id), reason=e.reason)]

    @emits(Ticket.AgentAssigned)
    def _assigned(e: Ticket.AgentAssigned, out: Outbox) -> list[CatalogMessage]:
        first = AgentAssigned(**_about_ticket(out), agent_id=e.agent_id,
                              agent_name=e.agent_name, previous_agent_id=e.previous_agent_id)
        # The seed's step 5: once an agent holds the ticket, ms-agents asks for the conversation.
        return [first, _get_conversation(out, first)]

    @emits(Ticket.AgentAnswered)
    def _answered(e: Ticket.AgentAnswered, out: Outbox) -> list[CatalogMessage]:
        return [AgentAnswerGenerated(**_about_ticket(out), agent_id=e.agent_id,
                                     agent_name=e.agent_name, text=e.text,
                                     attachment=e.attachment)]

    @emits(Ticket.TemplateAnswered)
    def _template_answered(e: Ticket.TemplateAnswered, out: Outbox) -> list[CatalogMessage]:
        return [AgentTemplateAnswerGenerated(
            **_about_ticket(out), agent_id=e.agent_id, agent_name=e.agent_name,
            template=TemplateChoice.model_validate(e.template), text=e.text)]

    @emits(Ticket.Closed)
    def _closed(e: Ticket.Closed, out: Outbox) -> list[CatalogMessage]:
        return [TicketClosed(**_about_ticket(out), agent_id=e.agent_id,
                             resolution=e.resolution)]

    @emits(Ticket.Reopened)
    def _reopened(e: Ticket.Reopened, out: Outbox) -> list[CatalogMessage]:
        reopened = TicketReopened(**_about_ticket(out), agent_id=e.agent_id,
                                  agent_name=e.agent_name)
        if e.agent_id is None:
            return [reopened]
        # As for an assignment: the agent who holds it again sees the conversation.
        return [reopened, _get_conversation(out, reopened)]

    @emits(Ticket.PriorityChanged)
    def _priority_changed(e: Ticket.PriorityChanged, out: Outbox) -> list[CatalogMessage]:
        return [TicketPriorityChanged(
            **_about_ticket(out), priority=e.priority, previous_priority=e.previous_priority,
            agent_id=None if e.by == "admin" else e.by.removeprefix("agent:"),
            agent_name=e.by_name)]

    # -- tickets ------------------------------------------------------------------------------

    def answer(
        self, ticket_id: str, *, agent_id: str, text: str, answer_id: str | None = None,
        attachment: Attachment | None = None,
    ) -> list[CatalogMessage]:
        """The agent holding the ticket answers the customer, with an image or document
        when ``attachment`` names one in the media store. ``answer_id`` makes a retried
        request harmless (default: a new id)."""
        return self.run(self._answer, ticket_id, agent_id, text, answer_id or str(uuid4()),
                        attachment.model_dump() if attachment else None)

    def answer_with_template(
        self, ticket_id: str, *, agent_id: str, template: TemplateChoice, text: str,
        answer_id: str | None = None,
    ) -> list[CatalogMessage]:
        """The agent holding the ticket answers with an approved template (``text``: it
        rendered, for the transcript). ``answer_id`` makes a retried request harmless."""
        return self.run(self._answer_with_template, ticket_id, agent_id,
                        template.model_dump(mode="json"), text, answer_id or str(uuid4()))

    def close_ticket(
        self, ticket_id: str, *, resolution: str, agent_id: str | None
    ) -> list[CatalogMessage]:
        """Close the ticket (``agent_id=None``: an admin). The agent's capacity goes to the
        next waiting ticket; the AI answers the conversation again."""
        return self.run(self._close, ticket_id, resolution, agent_id)

    def reassign(self, ticket_id: str, *, agent_id: str) -> list[CatalogMessage]:
        """Give an open ticket to another agent (an admin's or supervisor's command)."""
        return self.run(self._reassign, ticket_id, agent_id, "admin")

    def transfer(self, ticket_id: str, *, to_agent_id: str, by_agent_id: str | None
                 ) -> list[CatalogMessage]:
        """``by_agent_id`` (``None``: the admin) gives an open ticket they may act on (theirs,
        or one in the queue) to another agent, online or not. Nothing if that agent holds
        it already."""
        return self.run(self._transfer, ticket_id, to_agent_id, by_agent_id)

    def reopen(self, ticket_id: str, *, agent_id: str | None) -> list[CatalogMessage]:
        """Open a closed ticket again: the agent who held it takes it back (``agent_id``;
        ``None``: the admin, and the routing places it). The conversation's messages go to
        the agent again. Nothing if it is open; ``DomainError`` if the conversation has
        another open ticket."""
        return self.run(self._reopen, ticket_id, agent_id)

    def set_priority(self, ticket_id: str, *, agent_id: str | None, priority: str
                     ) -> list[CatalogMessage]:
        """Change the priority of an open ticket the caller may act on (``agent_id``
        ``None``: the admin); the conversation shows a line for it. Nothing if it has that
        priority already."""
        return self.run(self._set_priority, ticket_id, agent_id, priority)

    def add_note(self, ticket_id: str, *, agent_id: str | None, text: str,
                 note_id: str | None = None) -> str:
        """Add an internal note to a ticket the caller may act on (``agent_id`` ``None``:
        the admin). Stored with the ticket, never sent to the customer. Returns its id."""
        note_id = note_id or str(uuid4())
        self.run(self._add_note, ticket_id, agent_id, text, note_id)
        return note_id

    # -- decisions of the commands above (run in a unit of work) -----------------------------

    def _answer(self, uow: UnitOfWork, ticket_id: str, agent_id: str, text: str,
                answer_id: str, attachment: dict[str, Any] | None = None) -> None:
        ticket = self._ticket(uow, ticket_id)
        if ticket.agent_id != agent_id and answer_id not in ticket.answers:
            raise NotAllowedError(f"agent {agent_id} does not hold ticket {ticket_id}")
        ticket.answer(answer_id=answer_id, agent_id=agent_id, text=text, at=self.clock(),
                      attachment=attachment)

    def _answer_with_template(self, uow: UnitOfWork, ticket_id: str, agent_id: str,
                              template: dict[str, Any], text: str, answer_id: str) -> None:
        ticket = self._ticket(uow, ticket_id)
        if ticket.agent_id != agent_id and answer_id not in ticket.answers:
            raise NotAllowedError(f"agent {agent_id} does not hold ticket {ticket_id}")
        ticket.answer_with_template(answer_id=answer_id, agent_id=agent_id, template=template,
                                    text=text, at=self.clock())

    def _close(self, uow: UnitOfWork, ticket_id: str, resolution: str,
               agent_id: str | None) -> None:
        at = self.clock()
        ticket = self._ticket(uow, ticket_id)
        if agent_id is not None and ticket.agent_id != agent_id:
            raise NotAllowedError(f"agent {agent_id} does not hold ticket {ticket_id}")
        if not ticket.close(resolution=resolution, agent_id=agent_id, at=at):
            return
        index = uow.get(desk_conversation_id(ticket.conversation_id), DeskConversation)
        if index is not None:
            index.unlink(ticket_id=ticket_id, at=at)
        roster = self._roster(uow)
        roster.release(ticket_id=str(ticket.id), at=at)
        self._assign_waiting(uow, roster)

    def _reassign(self, uow: UnitOfWork, ticket_id: str, agent_id: str, by: str | None
                  ) -> None:
        at = self.clock()
        ticket = self._ticket(uow, ticket_id)
        ticket.check_open()
        roster = self._roster(uow)
        agent = roster.agent(agent_id)
        roster.reassign(ticket_id=str(ticket.id), agent_id=agent_id, at=at)
        ticket.assign(agent_id=agent_id, agent_name=agent["name"], at=at, by=by)
        # The previous agent has capacity again: it goes to the oldest waiting ticket.
        self._assign_waiting(uow, roster)

    def _transfer(self, uow: UnitOfWork, ticket_id: str, to_agent_id: str,
                  by_agent_id: str | None) -> None:
        self._allowed(uow, ticket_id, by_agent_id)
        self._reassign(uow, ticket_id, to_agent_id, _by(by_agent_id))

    def _reopen(self, uow: UnitOfWork, ticket_id: str, agent_id: str | None) -> None:
        at = self.clock()
        ticket = self._allowed(uow, ticket_id, agent_id)
        if ticket.is_open:
            return
        index = uow.get(desk_conversation_id(ticket.conversation_id), DeskConversation) or uow.add(
            DeskConversation.start(conversation_id=ticket.conversation_id, at=at))
        if not index.link(ticket_id=ticket_id, at=at):
            raise DomainError("the customer has another open ticket; close it first")
        roster = self._roster(uow)
        holder = agent_id or roster.pick_agent(ticket.language)
        if holder is None:
            roster.enqueue(ticket_id=ticket_id, language=ticket.language, at=at)
            name = None
        else:
            roster.reassign(ticket_id=ticket_id, agent_id=holder, at=at)
            name = roster.agent(holder)["name"]
        ticket.reopen(agent_id=holder, agent_name=name, by=_by(agent_id), at=at)

    def _add_note(self, uow: UnitOfWork, ticket_id: str, agent_id: str | None, text: str,
                  note_id: str) -> None:
        ticket = self._allowed(uow, ticket_id, agent_id)
        ticket.add_note(note_id=note_id, author_id=agent_id, text=text, at=self.clock(),
                        author_name=self._name(uow, agent_id))

    def _set_priority(self, uow: UnitOfWork, ticket_id: str, agent_id: str | None,
                      priority: str) -> None:
        ticket = self._allowed(uow, ticket_id, agent_id)
        ticket.set_priority(priority=priority, by=_by(agent_id), at=self.clock(),
                            by_name=self._name(uow, agent_id))

    # -- helpers ------------------------------------------------------------------------------

    def _allowed(self, uow: UnitOfWork, ticket_id: str, agent_id: str | None) -> Ticket:
        ticket = self._ticket(uow, ticket_id)
        if not ticket.is_for(agent_id):
            raise NotAllowedError(f"agent {agent_id} may not act on ticket {ticket_id}")
        return ticket

    def _name(self, uow: UnitOfWork, agent_id: str | None) -> str:
        """The name of who acts: the agent's, or ``Admin``."""
        return "Admin" if agent_id is None else str(self._roster(uow).agent(agent_id)["name"])


def _about_ticket(out: Outbox, cause: str | None = None) -> dict[str, Any]:
    """The envelope of a message a Ticket event publishes, with the ticket's and its
    conversation's ids (what every ticket event of the catalog carries)."""
    e = out.event
    return {**out.envelope(e.conversation_id, cause), "ticket_id": str(e.originator_id),
            "conversation_id": e.conversation_id}


def _get_conversation(out: Outbox, cause: CatalogMessage) -> GetConversation:
    """The event's second message: ms-agents asks for the conversation, for the agent who
    now holds the ticket."""
    return GetConversation(**out.envelope(out.event.conversation_id, str(cause.message_id), 1),
                           conversation_id=out.event.conversation_id)


def _by(agent_id: str | None) -> str:
    """Who acted, as the ticket's events record it."""
    return "admin" if agent_id is None else f"agent:{agent_id}"


__all__ = ["AgentDesk", "NewAgent", "hash_token"]
