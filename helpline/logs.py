"""Logging an outage: one line when something starts failing, a reminder now and then, and
one line when it works again — not a traceback per request or per poll."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field


@dataclass
class OutageLog:
    """Logs that ``what`` failed once when it starts failing, then at most every
    ``every_s`` seconds with a count, and once when it works again."""

    what: str
    logger: logging.Logger
    every_s: float = 10.0
    failures: int = 0
    _since: float = 0.0
    _last: float = field(default=0.0, repr=False)

    def failed(self, error: BaseException) -> None:
        """One more failure."""
        now = time.monotonic()
        if self.failures == 0:
            self._since = now
        self.failures += 1
        if self.failures == 1 or now - self._last >= self.every_s:
            self._last = now
            self.logger.warning("%s failed (%d times in %.0f s): %s: %s", self.what,
                                self.failures, now - self._since, type(error).__name__,
                                str(error)[:300])

    def worked(self) -> None:
        """It works (again)."""
        if self.failures:
            self.logger.warning("%s works again after %d failures in %.0f s", self.what,
                                self.failures, time.monotonic() - self._since)
        self.failures = 0
