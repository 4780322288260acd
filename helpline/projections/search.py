"""Search by customer name, phone or message text, over an indexed projection.

The conversations projection keeps one *search document* per transcript message and one per
conversation for the customer's name and phone (``search_docs``). A search finds the
conversations with a document containing the words, then their tickets:

- SQLite: an FTS5 table with the ``trigram`` tokenizer over the documents (an external
  content table kept in step by triggers): substring matches, case-insensitive;
- PostgreSQL: a GIN index on the documents' ``tsvector`` (the ``simple`` configuration), every
  word of the search a prefix (``pedido:* & 4711:*``). ``pg_trgm`` (``ILIKE '%words%'``,
  substrings like SQLite's) can be created on our server, but measured over 100,000 tickets
  its p99 was about 100 ms: a search's trigrams ("ped", "edi", "001"...) are in most
  documents. Word prefixes match what agents type (a name, a surname, an order number, a
  phone from its start, with or without its country code: the phone's document also holds
  it without its first one to three digits).

Both need three characters at least; :func:`search_terms` says so in words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: The shortest search a trigram index serves.
MIN_CHARS = 3
#: The longest search text taken (longer is refused, never echoed).
MAX_CHARS = 200

_PHONE = re.compile(r"^\+?[\d\s().-]+$")

#: SQLite: the documents, their FTS5 index (trigram) and the triggers keeping it in step.
SQLITE_DDL = (
    "CREATE TABLE IF NOT EXISTS {p}search_docs (id INTEGER PRIMARY KEY, "
    "doc_id TEXT NOT NULL UNIQUE, conversation_id TEXT NOT NULL, text TEXT NOT NULL)",
    "CREATE VIRTUAL TABLE IF NOT EXISTS {p}search_fts USING fts5(text, "
    "content='{p}search_docs', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS {p}search_docs_ai AFTER INSERT ON {p}search_docs BEGIN "
    "INSERT INTO {p}search_fts (rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS {p}search_docs_ad AFTER DELETE ON {p}search_docs BEGIN "
    "INSERT INTO {p}search_fts ({p}search_fts, rowid, text) "
    "VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER IF NOT EXISTS {p}search_docs_au AFTER UPDATE ON {p}search_docs BEGIN "
    "INSERT INTO {p}search_fts ({p}search_fts, rowid, text) "
    "VALUES ('delete', old.id, old.text); "
    "INSERT INTO {p}search_fts (rowid, text) VALUES (new.id, new.text); END",
)

#: PostgreSQL: the documents and their full-text index.
POSTGRES_DDL = (
    "CREATE TABLE IF NOT EXISTS {p}search_docs (doc_id TEXT PRIMARY KEY, "
    "conversation_id TEXT NOT NULL, text TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS {p}search_tsv ON {p}search_docs "
    "USING gin (to_tsvector('simple', text))",
)

#: The conversations whose documents match (``:q``: :meth:`Terms.fts` or :meth:`Terms.like`).
SQLITE_MATCH = (
    "SELECT d.conversation_id FROM {p}search_fts JOIN {p}search_docs d "
    "ON d.id = {p}search_fts.rowid WHERE {p}search_fts MATCH :q")
POSTGRES_MATCH = ("SELECT conversation_id FROM {p}search_docs "
                  "WHERE to_tsvector('simple', text) @@ to_tsquery('simple', :q)")


class SearchError(ValueError):
    """A search text the index cannot serve (the message says why, in words)."""


@dataclass(frozen=True)
class Terms:
    """What a person typed, normalised for the index."""

    text: str

    def fts(self) -> str:
        """An FTS5 phrase: the text, quoted."""
        return '"' + self.text.replace('"', '""') + '"'

    def tsquery(self) -> str:
        """A ``tsquery``: every word of the text as a prefix (a text without words matches
        nothing)."""
        words = [w.lower() for w in re.findall(r"\w+", self.text)]
        if not words:
            return "''"
        return " & ".join("'" + w.replace("'", "''") + "':*" for w in words)


def search_terms(q: str) -> Terms:
    """The terms of the search ``q``: a phone number loses its spaces, ``+``, dashes and
    brackets (phones are stored as digits); raises :class:`SearchError` when too short or
    too long."""
    text = " ".join(q.split())
    if len(text) > MAX_CHARS:
        raise SearchError(f"The search is too long; use at most {MAX_CHARS} characters.")
    if _PHONE.match(text) and sum(c.isdigit() for c in text) >= MIN_CHARS:
        text = "".join(c for c in text if c.isdigit())
    if len(text) < MIN_CHARS:
        raise SearchError(f"Type at least {MIN_CHARS} characters to search.")
    return Terms(text)


def message_document(conversation_id: str, seq: int, text: str) -> dict[str, str]:
    """The parameters of one message's document."""
    return {"doc_id": f"msg:{conversation_id}:{seq}", "conversation_id": conversation_id,
            "text": text}


__all__ = ["MIN_CHARS", "SearchError", "Terms", "message_document", "search_terms"]
