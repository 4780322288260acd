"""The AgentDesk's canned replies: admins write them, agents read them (stored events of
the :class:`~helpline.domain.canned.CannedReplies` aggregate, in the desk's store)."""

from __future__ import annotations

from typing import Any

from helpline.application.base import HelplineApplication
from helpline.application.unit_of_work import UnitOfWork
from helpline.domain.canned import CANNED_REPLIES_ID, CannedReplies

JSON = dict[str, Any]


class CannedRepliesMixin(HelplineApplication):
    """Canned replies, for :class:`~helpline.application.agent_desk.AgentDesk`."""

    def canned_replies(self) -> list[JSON]:
        """Every canned reply ``{id, title, text}``, by title."""
        replies = self.find(CANNED_REPLIES_ID, CannedReplies)
        return replies.listed() if replies is not None else []

    def save_canned_reply(self, reply_id: str, *, title: str, text: str) -> JSON:
        """Add or change the canned reply ``reply_id``; returns it as stored. Raises
        ``DomainError`` for a bad id, title, text or placeholder."""
        self.run(self._save_canned, reply_id, title, text)
        return next(r for r in self.canned_replies() if r["id"] == reply_id)

    def delete_canned_reply(self, reply_id: str) -> bool:
        """Remove the canned reply ``reply_id``. ``False`` if there was none."""
        deleted: list[bool] = []
        self.run(self._delete_canned, reply_id, deleted)
        return deleted[-1]

    def _canned(self, uow: UnitOfWork) -> CannedReplies:
        return (uow.get(CANNED_REPLIES_ID, CannedReplies)
                or uow.add(CannedReplies.start(at=self.clock())))

    def _save_canned(self, uow: UnitOfWork, reply_id: str, title: str, text: str) -> None:
        self._canned(uow).save(reply_id=reply_id, title=title, text=text, at=self.clock())

    def _delete_canned(self, uow: UnitOfWork, reply_id: str, deleted: list[bool]) -> None:
        replies = uow.get(CANNED_REPLIES_ID, CannedReplies)
        deleted.append(replies is not None and replies.delete(reply_id=reply_id,
                                                              at=self.clock()))


__all__ = ["CannedRepliesMixin"]
