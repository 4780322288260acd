"""Domain errors: a command that breaks a rule raises one of these, before any event."""


class DomainError(Exception):
    """A command was refused by an aggregate's rules."""


class TicketNotOpenError(DomainError):
    """The ticket is closed (or was never opened) and cannot take this command."""


class UnknownAgentError(DomainError):
    """No agent with this id is on the roster."""


class AgentAlreadyRegisteredError(DomainError):
    """An agent with this id or email is already on the roster."""
