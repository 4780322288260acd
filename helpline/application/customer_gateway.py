"""CustomerGateway (ms-gateway) and the customer registry it looks senders up in."""

from __future__ import annotations

import csv
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from helpline.application.handlers import Service, handles
from helpline.application.ports import Clock, CustomerDirectory, utc_now
from helpline.catalog import (
    CustomerInfo,
    WhatsAppBusinessTextMessageReceived,
    WhatsAppBusinessTextMessageWithUserInfoReceived,
)
from helpline.domain.ids import derived_id

_FIELDS = ("customer_id", "name", "phone", "email", "language")


class CustomerGateway(Service):
    """ms-gateway: adds the customer's registry entry to each inbound message. Stateless;
    the message it publishes has an id derived from the inbound one, so redeliveries publish
    the same message (JetStream drops the copy)."""

    def __init__(self, directory: CustomerDirectory, clock: Clock = utc_now) -> None:
        self.directory = directory
        self.clock = clock

    @handles(WhatsAppBusinessTextMessageReceived)
    def whatsapp_business_text_message_received(
        self, msg: WhatsAppBusinessTextMessageReceived
    ) -> list[WhatsAppBusinessTextMessageWithUserInfoReceived]:
        """Look the sender up and publish the message with (or without) customer info."""
        fields = msg.model_dump(exclude={"message_id", "causation_id", "occurred_at"})
        return [
            WhatsAppBusinessTextMessageWithUserInfoReceived(
                **fields,
                message_id=derived_id(msg.message_id, "with-user-info"),
                causation_id=str(msg.message_id),
                occurred_at=self.clock(),
                customer=self.directory.find_by_phone(msg.sender_phone),
            )
        ]


def read_customers_csv(path: str | Path) -> list[CustomerInfo]:
    """Read customers from a CSV file with the header ``customer_id,name,phone[,email,
    language]``. Raises ``ValueError`` naming the line of the first invalid row."""
    customers = []
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = {"customer_id", "name", "phone"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        for row in reader:
            line = reader.line_num  # the physical line, even after quoted newlines
            values = {k: (row.get(k) or "").strip() or None for k in _FIELDS}
            try:
                customers.append(CustomerInfo.model_validate(values))
            except ValueError as e:
                raise ValueError(f"{path}:{line}: {e}") from e
    return customers


class InMemoryCustomerDirectory:
    """A customer registry in a dict (tests, demos)."""

    def __init__(self, customers: Iterable[CustomerInfo] = ()) -> None:
        self._by_phone = {c.phone: c for c in customers}

    def find_by_phone(self, phone: str) -> CustomerInfo | None:
        """The customer registered with ``phone``."""
        return self._by_phone.get(phone)

    def upsert(self, customer: CustomerInfo) -> None:
        """Register or update ``customer``."""
        self._by_phone[customer.phone] = customer

    def upsert_many(self, customers: Iterable[CustomerInfo]) -> int:
        """Register or update ``customers``; returns how many."""
        chosen = list(customers)
        self._by_phone.update((c.phone, c) for c in chosen)
        return len(chosen)

    def ping(self) -> bool:
        """Always reachable."""
        return True

    def close(self) -> None:
        """Nothing to release."""


class SqliteCustomerDirectory:
    """The customer registry in a SQLite file (the embedded default)."""

    def __init__(self, path: str | Path) -> None:
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS customers (phone TEXT PRIMARY KEY, "
                "customer_id TEXT NOT NULL, name TEXT NOT NULL, email TEXT, language TEXT)"
            )

    def find_by_phone(self, phone: str) -> CustomerInfo | None:
        """The customer registered with ``phone``."""
        with self._lock:
            row = self._conn.execute(
                "SELECT customer_id, name, phone, email, language FROM customers "
                "WHERE phone = ?", (phone,)).fetchone()
        return _row(row)

    def upsert(self, customer: CustomerInfo) -> None:
        """Register or update ``customer``."""
        self.upsert_many([customer])

    def upsert_many(self, customers: Iterable[CustomerInfo]) -> int:
        """Register or update many customers in one transaction; returns how many."""
        rows = [tuple(getattr(c, k) for k in _FIELDS) for c in customers]
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                self._conn.executemany(
                    "INSERT INTO customers (customer_id, name, phone, email, language) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (phone) DO UPDATE SET "
                    "customer_id = excluded.customer_id, name = excluded.name, "
                    "email = excluded.email, language = excluded.language", rows)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        return len(rows)

    def close(self) -> None:
        """Close the database connection."""
        self._conn.close()

    def ping(self) -> bool:
        """Whether the file answers."""
        with self._lock:
            self._conn.execute("SELECT 1")
        return True


class PostgresCustomerDirectory:
    """The customer registry in PostgreSQL (production), over a small connection pool that
    replaces a connection PostgreSQL dropped (a restart) before handing it out."""

    def __init__(self, conninfo: str, table: str = "helpline_customers") -> None:
        from psycopg import sql
        from psycopg_pool import ConnectionPool

        self._table = sql.Identifier(table)
        self._sql = sql
        self._pool = ConnectionPool(conninfo, min_size=1, max_size=4, open=True,
                                    check=ConnectionPool.check_connection,
                                    kwargs={"autocommit": True})
        with self._pool.connection() as conn:
            conn.execute(sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (phone TEXT PRIMARY KEY, customer_id TEXT NOT "
                "NULL, name TEXT NOT NULL, email TEXT, language TEXT)").format(self._table))

    def find_by_phone(self, phone: str) -> CustomerInfo | None:
        """The customer registered with ``phone``."""
        with self._pool.connection() as conn:
            row = conn.execute(self._sql.SQL(
                "SELECT customer_id, name, phone, email, language FROM {} WHERE phone = %s"
            ).format(self._table), (phone,)).fetchone()
        return _row(row)

    def upsert(self, customer: CustomerInfo) -> None:
        """Register or update ``customer``."""
        self.upsert_many([customer])

    def upsert_many(self, customers: Iterable[CustomerInfo]) -> int:
        """Register or update many customers in one transaction; returns how many."""
        rows = [tuple(getattr(c, k) for k in _FIELDS) for c in customers]
        with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            cur.executemany(self._sql.SQL(
                "INSERT INTO {} (customer_id, name, phone, email, language) VALUES "
                "(%s, %s, %s, %s, %s) ON CONFLICT (phone) DO UPDATE SET customer_id = "
                "excluded.customer_id, name = excluded.name, email = excluded.email, "
                "language = excluded.language").format(self._table), rows)
        return len(rows)

    def close(self) -> None:
        """Close the pool's connections."""
        self._pool.close()

    def ping(self) -> bool:
        """Whether PostgreSQL answers."""
        with self._pool.connection() as conn:
            conn.execute("SELECT 1")
        return True


def _row(row: Any) -> CustomerInfo | None:
    if row is None:
        return None
    return CustomerInfo.model_validate(dict(zip(_FIELDS, row, strict=True)))
