"""The customer registry in SQL (SQLite, the embedded default; PostgreSQL in production),
and the CSV files customers are imported from."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from helpline.adapters.sql import Database, PostgresDatabase, SqliteDatabase, identifier
from helpline.catalog import CustomerInfo

_FIELDS = ("customer_id", "name", "phone", "email", "language")


class SqlCustomerDirectory:
    """The customer registry in a table ``table`` of ``db``, written once for both databases."""

    def __init__(self, db: Database, table: str) -> None:
        self._db = db
        self._table = identifier(table)
        db.run(f"CREATE TABLE IF NOT EXISTS {self._table} (phone TEXT PRIMARY KEY, "
               "customer_id TEXT NOT NULL, name TEXT NOT NULL, email TEXT, language TEXT)")

    def find_by_phone(self, phone: str) -> CustomerInfo | None:
        """The customer registered with ``phone``."""
        _, rows = self._db.run(f"SELECT {', '.join(_FIELDS)} FROM {self._table} "
                               "WHERE phone = ?", (phone,))
        return _customer(rows[0]) if rows else None

    def upsert(self, customer: CustomerInfo) -> None:
        """Register or update ``customer``."""
        self.upsert_many([customer])

    def upsert_many(self, customers: Iterable[CustomerInfo]) -> int:
        """Register or update many customers in one transaction; returns how many."""
        rows = [tuple(getattr(c, k) for k in _FIELDS) for c in customers]
        self._db.run_many(
            f"INSERT INTO {self._table} ({', '.join(_FIELDS)}) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (phone) DO UPDATE SET customer_id = excluded.customer_id, "
            "name = excluded.name, email = excluded.email, language = excluded.language", rows)
        return len(rows)

    def close(self) -> None:
        """Close the database's connections."""
        self._db.close()

    def ping(self) -> bool:
        """Whether the database answers."""
        return self._db.ping()


class SqliteCustomerDirectory(SqlCustomerDirectory):
    """The customer registry in a SQLite file (the embedded default)."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(SqliteDatabase(path), "customers")


class PostgresCustomerDirectory(SqlCustomerDirectory):
    """The customer registry in PostgreSQL (production), over a small connection pool that
    replaces a connection PostgreSQL dropped (a restart) before handing it out."""

    def __init__(self, conninfo: str, table: str = "helpline_customers") -> None:
        super().__init__(PostgresDatabase(conninfo), table)


def _customer(row: tuple[Any, ...]) -> CustomerInfo:
    return CustomerInfo.model_validate(dict(zip(_FIELDS, row, strict=True)))


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
