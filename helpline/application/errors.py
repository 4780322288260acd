"""Errors the applications raise across their boundary."""


class ApplicationError(Exception):
    """A request the application cannot carry out."""


class UnknownConversationError(ApplicationError, LookupError):
    """No conversation with this id."""


class UnknownTicketError(ApplicationError, LookupError):
    """No ticket with this id."""


class NotAllowedError(ApplicationError, PermissionError):
    """The agent may not act on this ticket."""


class RetryLaterError(Exception):
    """Not now, certainly later: something this message waits for is in progress (a send
    another delivery holds). Never dead-lettered: it comes back until it can go on."""
