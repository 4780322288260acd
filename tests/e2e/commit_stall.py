"""``python -m tests.e2e.commit_stall SERVICE...``: ``helpline serve`` whose SQLite commits of
a batch stall, so a test can SIGKILL the process in the middle of a batch commit.

A commit of a transaction that changed at least ``HELPLINE_TEST_STALL_ROWS`` rows (a unit of
work of several messages; one message writes fewer) writes the file named by
``HELPLINE_TEST_STALL_MARKER`` and then sleeps before committing: the rows are written, the
commit is not. Test code only: production never imports this module.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from eventsourcing.sqlite import SQLiteConnection

from helpline.cli import main

MARKER = Path(os.environ["HELPLINE_TEST_STALL_MARKER"])
ROWS = int(os.environ.get("HELPLINE_TEST_STALL_ROWS", "12"))
_real_commit = SQLiteConnection.commit
_seen: dict[int, int] = {}


def _stalling_commit(self: SQLiteConnection) -> None:
    raw = self._sqlite_conn
    changed = raw.total_changes - _seen.get(id(raw), 0)
    _seen[id(raw)] = raw.total_changes
    if raw.in_transaction and changed >= ROWS:
        MARKER.write_text(f"{changed} rows written, not committed\n")
        time.sleep(60)  # the test kills the process now
    _real_commit(self)


SQLiteConnection.commit = _stalling_commit  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
