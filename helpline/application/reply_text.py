"""How a reply's text becomes WhatsApp messages: split exactly as ms-whatsapp's sender
splits it (the agent API previews the parts with the same function), and how long a reply
the desk takes.

The sender (``helpline.adapters.whatsapp``) and the agent API (``helpline.adapters.http``)
both import :func:`split_text` from here, so a preview can never disagree with a send.
"""

from __future__ import annotations

from helpline.catalog import MAX_TEXT_LENGTH

#: The most WhatsApp messages one reply of an agent becomes.
MAX_REPLY_PARTS = 3
#: The longest reply the agent API takes (three WhatsApp messages; a longer one is refused
#: with a readable message rather than arriving as a wall of messages).
MAX_REPLY_CHARS = MAX_REPLY_PARTS * MAX_TEXT_LENGTH


def split_text(text: str, limit: int = MAX_TEXT_LENGTH) -> list[str]:
    """``text`` cut into pieces of at most ``limit`` characters, on whitespace when possible.

    The whitespace at a cut is dropped; a word longer than ``limit`` is cut inside. Joining the
    pieces with single spaces gives the text back up to the whitespace at the cuts.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    rest = text.strip()
    pieces: list[str] = []
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = max(window.rfind(c) for c in (" ", "\n", "\t", "\r"))
        if cut <= 0:
            piece, rest = rest[:limit], rest[limit:]
        else:
            piece, rest = rest[:cut], rest[cut:]
        pieces.append(piece.rstrip())
        rest = rest.lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def reply_problem(text: str) -> str | None:
    """Why the desk does not take ``text`` as a reply, in one sentence (``None``: it does).
    Never quotes the text."""
    size = len(text.strip())
    if size == 0:
        return "The reply is empty; write something to send."
    if size > MAX_REPLY_CHARS:
        return (f"The reply is {size:,} characters; WhatsApp allows {MAX_TEXT_LENGTH:,} per "
                f"message and the desk sends at most {MAX_REPLY_PARTS} messages "
                f"({MAX_REPLY_CHARS:,} characters) for one reply. Shorten it or send it in "
                "several replies.")
    return None


__all__ = ["MAX_REPLY_CHARS", "MAX_REPLY_PARTS", "reply_problem", "split_text"]
