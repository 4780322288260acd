"""Following the applications' notification logs: catch up, keep up, rebuild.

A ``ProjectionWorker`` reads the upstream application's notification log after the position
its view recorded, in batches; each batch's rows and its tracking record commit together,
so a restart resumes exactly where the last commit stopped. It polls (SQLite recorders
cannot be subscribed to), which also serves PostgreSQL without a listener connection.
After each commit it publishes what the batch changed on the projections' ``Updates`` (the
console's live updates).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore

from helpline.logs import OutageLog
from helpline.projections.projectors import PROJECTIONS, _RowProjection
from helpline.projections.updates import Change, Updates
from helpline.projections.views import HelpdeskView

log = logging.getLogger(__name__)

#: Called with (events read so far, events in the log) while catching up.
Progress = Callable[[int, int], None]


class ProjectionWorker:
    """Keeps one projection up to date with one application's notification log."""

    def __init__(
        self, projection: _RowProjection, app: Application[UUID], *, batch_size: int = 500,
        poll_interval: float = 0.2, updates: Updates | None = None,
    ) -> None:
        if app.name != projection.upstream:
            raise ValueError(f"{projection.name} follows {projection.upstream}, not {app.name}")
        self.projection = projection
        self.app = app
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.last_error: BaseException | None = None
        self.updates = updates
        self._topics = projection.handled_topics()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def position(self) -> int:
        """The last notification id the view has processed (0: none)."""
        return self.projection.view.max_tracking_id(self.app.name) or 0

    def lag(self) -> int:
        """How many notifications the view is behind the application."""
        return max(0, (self.app.recorder.max_notification_id() or 0) - self.position)

    def step(self) -> int:
        """Process one batch after the recorded position; returns how many notifications
        were read (0 when the view is up to date)."""
        position = self.projection.view.max_tracking_id(self.app.name)
        notifications = self.app.recorder.select_notifications(
            start=position, limit=self.batch_size, inclusive_of_start=position is None)
        if not notifications:
            return 0
        events = [self.app.mapper.to_domain_event(n)
                  for n in notifications if n.topic in self._topics]
        # Track the last notification read, handled or not, so the position is the log's.
        self.projection.process_batch(events, Tracking(self.app.name, notifications[-1].id))
        if self.updates is not None and events:
            changes: list[Change | None] = [self.projection.touched(e) for e in events]
            self.updates.publish(c for c in changes if c is not None)
        return len(notifications)

    def catch_up(self, progress: Progress | None = None) -> int:
        """Process batches until the view is up to date; returns notifications read."""
        total = (self.app.recorder.max_notification_id() or 0) if progress else 0
        done = 0
        while read := self.step():
            done += read
            if progress:
                progress(self.position, max(total, self.position))
        return done

    def rebuild(self, progress: Progress | None = None) -> int:
        """Empty the projection's tables and build them again from the first event."""
        self.projection.view.reset(self.projection.name, self.app.name)
        return self.catch_up(progress)

    def start(self) -> None:
        """Keep up in a background thread until ``stop``."""
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"projection-{self.projection.name}")
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the background thread (after the batch in progress commits)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        delay = self.poll_interval
        outage = OutageLog(f"projection {self.projection.name}", log)
        while not self._stopping.is_set():
            try:
                read = self.step()
                self.last_error = None
                delay = self.poll_interval
                outage.worked()
            except Exception as e:  # recorded and retried: a view must not die on a blip
                outage.failed(e)
                self.last_error = e
                read, delay = 0, min(delay * 2, 5.0)
            if not read:
                self._stopping.wait(delay)


@dataclass
class Projections:
    """The helpline's projections over one view: start/stop them, catch up, rebuild."""

    view: HelpdeskView
    workers: dict[str, ProjectionWorker] = field(default_factory=dict)
    updates: Updates = field(default_factory=Updates)
    """What the workers changed, published after each commit (the console's live updates)."""

    def start(self) -> None:
        """Keep every projection up to date in background threads."""
        for worker in self.workers.values():
            worker.start()

    def stop(self) -> None:
        """Stop the background threads."""
        for worker in self.workers.values():
            worker.stop()

    def catch_up(self) -> int:
        """Bring every projection up to date in this thread; returns notifications read."""
        return sum(w.catch_up() for w in self.workers.values())

    def rebuild(self, name: str | None = None, progress: Progress | None = None) -> int:
        """Rebuild the projection ``name`` (all when ``None``) from zero."""
        chosen = [self.workers[name]] if name else list(self.workers.values())
        return sum(w.rebuild(progress) for w in chosen)

    def ping(self) -> bool:
        """Whether the view's database answers (raises when it does not)."""
        self.view.max_tracking_id("AgentDesk")
        return True

    def close(self) -> None:
        """Stop, tell the subscribers, and release the view's connections."""
        self.stop()
        self.updates.close()
        self.view.datastore.close()  # type: ignore[attr-defined]


def build_projections(
    view: HelpdeskView, *, desk: Application[UUID], store: Application[UUID],
    batch_size: int = 500, poll_interval: float = 0.2,
) -> Projections:
    """The tickets projection over ``desk`` and the conversations projection over ``store``."""
    apps = {desk.name: desk, store.name: store}
    updates = Updates()
    workers = {
        name: ProjectionWorker(cls(view), apps[cls.upstream], batch_size=batch_size,
                               poll_interval=poll_interval, updates=updates)
        for name, cls in PROJECTIONS.items()
    }
    return Projections(view=view, workers=workers, updates=updates)


class SchemaDatastore(PostgresDatastore):
    """eventsourcing's datastore whose connections also look up unqualified table names (the
    views') in its schema."""

    def after_connect_func(self) -> Callable[[Any], None]:
        """eventsourcing's set-up of a new connection, then the ``search_path``."""
        from psycopg.sql import SQL, Identifier

        configure = super().after_connect_func()
        statement = SQL("SET search_path TO {0}").format(Identifier(self.schema))

        def after_connect(conn: Any) -> None:
            configure(conn)
            conn.cursor().execute(statement)

        return after_connect
