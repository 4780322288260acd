"""The read models' tables and statements, written once for SQLite and PostgreSQL.

Statements use ``:name`` parameters (SQLite's style); the view's ``Dialect``
(``helpline.adapters.sql``) turns them into psycopg's ``%(name)s``. Times that queries compute
with (waiting, response and resolution times) are stored as epoch seconds; transcript times
keep the aggregate's ISO text exactly.

:data:`SCHEMA_VERSION` names the shape of these tables: a view whose recorded version differs
is emptied and rebuilt from the event logs when it is opened (the views are derived data).
The search documents' tables and index differ per database (``helpline.projections.search``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from helpline.adapters.sql import Dialect

#: The shape of the tables below; change it with any change of the DDL (see the docstring).
SCHEMA_VERSION = 5

#: Which tables each projection owns (a rebuild empties exactly these).
TABLES: dict[str, tuple[str, ...]] = {
    "tickets": ("tickets", "agents", "ticket_lines"),
    "conversations": ("conversations", "turns", "outbound", "handoffs", "search_docs"),
}

#: One row operation of a projection: a statement name from ``STATEMENTS`` and its parameters.
Op = tuple[str, dict[str, Any]]

_PREFIX = re.compile(r"^[a-z][a-z0-9_]{0,30}$")

_DDL = (
    "CREATE TABLE IF NOT EXISTS {p}tickets (ticket_id TEXT PRIMARY KEY, "
    "conversation_id TEXT NOT NULL, phone TEXT NOT NULL, customer_id TEXT, customer_name TEXT, "
    "language TEXT, reason TEXT NOT NULL, status TEXT NOT NULL, agent_id TEXT, "
    "agent_name TEXT, opened_at {real} NOT NULL, assigned_at {real}, first_answer_at {real}, "
    "last_answer_at {real}, closed_at {real}, resolution TEXT, "
    "answers INTEGER NOT NULL DEFAULT 0, last_customer_text TEXT, last_customer_at {real}, "
    "waiting_from {real}, last_message_text TEXT, last_message_at {real}, "
    "last_message_author TEXT, updated_at {real} NOT NULL, "
    "priority TEXT NOT NULL DEFAULT 'normal')",
    "CREATE INDEX IF NOT EXISTS {p}tickets_by_conversation ON {p}tickets (conversation_id)",
    "CREATE INDEX IF NOT EXISTS {p}tickets_by_phone ON {p}tickets (phone, opened_at)",
    "CREATE INDEX IF NOT EXISTS {p}tickets_closed ON {p}tickets (status, closed_at)",
    "CREATE TABLE IF NOT EXISTS {p}ticket_lines (line_id TEXT PRIMARY KEY, "
    "ticket_id TEXT NOT NULL, conversation_id TEXT NOT NULL, kind TEXT NOT NULL, "
    "author TEXT NOT NULL, author_name TEXT, text TEXT NOT NULL, at TEXT NOT NULL, "
    "at_epoch {real} NOT NULL)",
    "CREATE INDEX IF NOT EXISTS {p}ticket_lines_by_conversation "
    "ON {p}ticket_lines (conversation_id, at_epoch)",
    "CREATE INDEX IF NOT EXISTS {p}tickets_by_agent ON {p}tickets (agent_id, status, opened_at)",
    "CREATE INDEX IF NOT EXISTS {p}tickets_by_status ON {p}tickets (status, opened_at)",
    "CREATE TABLE IF NOT EXISTS {p}agents (agent_id TEXT PRIMARY KEY, name TEXT NOT NULL, "
    "email TEXT NOT NULL, languages TEXT NOT NULL, max_tickets INTEGER NOT NULL, "
    "online INTEGER NOT NULL, registered_at {real} NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {p}conversations (conversation_id TEXT PRIMARY KEY, "
    "phone TEXT NOT NULL, customer_id TEXT, customer_name TEXT, started_at {real} NOT NULL, "
    "last_customer_at {real}, customer_messages INTEGER NOT NULL DEFAULT 0, "
    "ai_answers INTEGER NOT NULL DEFAULT 0, agent_answers INTEGER NOT NULL DEFAULT 0, "
    "tickets_requested INTEGER NOT NULL DEFAULT 0, open_ticket_id TEXT, "
    "handoff_reason TEXT, handoff_sources TEXT, handoff_question TEXT, last_message_text TEXT, "
    "last_message_at {real}, last_message_author TEXT, updated_at {real} NOT NULL, "
    "profile_name TEXT)",
    "CREATE INDEX IF NOT EXISTS {p}conversations_by_phone ON {p}conversations (phone)",
    "CREATE INDEX IF NOT EXISTS {p}conversations_by_customer ON {p}conversations (customer_id)",
    "CREATE TABLE IF NOT EXISTS {p}turns (conversation_id TEXT NOT NULL, seq INTEGER NOT NULL, "
    "author TEXT NOT NULL, text TEXT NOT NULL, at TEXT NOT NULL, message_id TEXT, "
    "ticket_id TEXT, kind TEXT NOT NULL DEFAULT 'message', author_name TEXT, reply_id TEXT, "
    "failure_reason TEXT, PRIMARY KEY (conversation_id, seq))",
    "CREATE TABLE IF NOT EXISTS {p}outbound (wamid TEXT PRIMARY KEY, "
    "conversation_id TEXT NOT NULL, reply_id TEXT, status TEXT NOT NULL, "
    "rank INTEGER NOT NULL, error TEXT)",
    "CREATE INDEX IF NOT EXISTS {p}outbound_by_conversation ON {p}outbound (conversation_id)",
    # ``question``: what the customer asked, when the AI handed it over (else NULL).
    "CREATE TABLE IF NOT EXISTS {p}handoffs (ticket_id TEXT PRIMARY KEY, "
    "conversation_id TEXT NOT NULL, reason TEXT NOT NULL, sources TEXT, question TEXT)",
    "CREATE INDEX IF NOT EXISTS {p}tickets_by_opened ON {p}tickets (opened_at, ticket_id)",
    "CREATE TABLE IF NOT EXISTS {p}schema_version (version INTEGER NOT NULL)",
)

#: Row operations, by name (projections emit ``(name, params)``; views execute them).
STATEMENTS: dict[str, str] = {
    "ticket_opened":
        "INSERT INTO {p}tickets (ticket_id, conversation_id, phone, customer_id, customer_name, "
        "language, reason, status, opened_at, waiting_from, updated_at) VALUES (:ticket_id, "
        ":conversation_id, :phone, :customer_id, :customer_name, :language, :reason, 'queued', "
        ":at, :at, :at) ON CONFLICT (ticket_id) DO NOTHING",
    "ticket_assigned":
        "UPDATE {p}tickets SET agent_id = :agent_id, agent_name = :agent_name, "
        "status = CASE WHEN status = 'closed' THEN status ELSE 'open' END, "
        "assigned_at = COALESCE(assigned_at, :at), updated_at = :at WHERE ticket_id = :ticket_id",
    "ticket_customer_message":
        "UPDATE {p}tickets SET last_customer_text = :text, last_customer_at = :at, "
        "updated_at = :at WHERE ticket_id = :ticket_id "
        "AND (last_customer_at IS NULL OR last_customer_at <= :at)",
    "ticket_waiting":
        "UPDATE {p}tickets SET waiting_from = COALESCE(waiting_from, :at) "
        "WHERE ticket_id = :ticket_id AND status <> 'closed'",
    "ticket_last_message":
        "UPDATE {p}tickets SET last_message_text = :text, last_message_at = :at, "
        "last_message_author = :author WHERE ticket_id = :ticket_id "
        "AND (last_message_at IS NULL OR last_message_at <= :at)",
    "ticket_line":
        "INSERT INTO {p}ticket_lines (line_id, ticket_id, conversation_id, kind, author, "
        "author_name, text, at, at_epoch) SELECT :line_id, ticket_id, conversation_id, :kind, "
        ":author, :author_name, :text, :at_text, :at FROM {p}tickets "
        "WHERE ticket_id = :ticket_id ON CONFLICT (line_id) DO NOTHING",
    "ticket_answered":
        "UPDATE {p}tickets SET answers = answers + 1, waiting_from = NULL, "
        "first_answer_at = COALESCE(first_answer_at, :at), last_answer_at = :at, "
        "updated_at = :at WHERE ticket_id = :ticket_id",
    "ticket_closed":
        "UPDATE {p}tickets SET status = 'closed', closed_at = :at, resolution = :resolution, "
        "waiting_from = NULL, updated_at = :at WHERE ticket_id = :ticket_id",
    "ticket_reopened":
        "UPDATE {p}tickets SET status = :status, agent_id = :agent_id, agent_name = :agent_name, "
        "closed_at = NULL, resolution = NULL, updated_at = :at WHERE ticket_id = :ticket_id",
    "agent_registered":
        "INSERT INTO {p}agents (agent_id, name, email, languages, max_tickets, online, "
        "registered_at) VALUES (:agent_id, :name, :email, :languages, :max_tickets, 0, :at) "
        "ON CONFLICT (agent_id) DO NOTHING",
    "agent_status":
        "UPDATE {p}agents SET online = :online WHERE agent_id = :agent_id",
    "agent_removed":
        "DELETE FROM {p}agents WHERE agent_id = :agent_id",
    "ticket_priority":
        "UPDATE {p}tickets SET priority = :priority WHERE ticket_id = :ticket_id",
    "ticket_requeued":
        "UPDATE {p}tickets SET agent_id = NULL, agent_name = NULL, status = 'queued' "
        "WHERE ticket_id = :ticket_id AND status <> 'closed'",
    "conversation_started":
        "INSERT INTO {p}conversations (conversation_id, phone, customer_id, customer_name, "
        "started_at, updated_at) VALUES (:conversation_id, :phone, :customer_id, "
        ":customer_name, :at, :at) ON CONFLICT (conversation_id) DO NOTHING",
    "conversation_customer":
        "UPDATE {p}conversations SET customer_id = :customer_id, customer_name = :customer_name, "
        "updated_at = :at WHERE conversation_id = :conversation_id",
    "conversation_profile_name":
        "UPDATE {p}conversations SET profile_name = :profile_name "
        "WHERE conversation_id = :conversation_id",
    "conversation_customer_message":
        "UPDATE {p}conversations SET customer_messages = customer_messages + 1, "
        "last_customer_at = :at, updated_at = :at WHERE conversation_id = :conversation_id",
    "conversation_ai_answer":
        "UPDATE {p}conversations SET ai_answers = ai_answers + 1, updated_at = :at "
        "WHERE conversation_id = :conversation_id",
    "conversation_agent_answer":
        "UPDATE {p}conversations SET agent_answers = agent_answers + 1, updated_at = :at "
        "WHERE conversation_id = :conversation_id",
    "conversation_ticket_requested":
        "UPDATE {p}conversations SET tickets_requested = tickets_requested + 1, "
        "open_ticket_id = :ticket_id, updated_at = :at WHERE conversation_id = :conversation_id",
    "conversation_ticket_closed":
        "UPDATE {p}conversations SET open_ticket_id = NULL, updated_at = :at "
        "WHERE conversation_id = :conversation_id AND open_ticket_id = :ticket_id",
    "conversation_ticket_reopened":
        "UPDATE {p}conversations SET open_ticket_id = :ticket_id, updated_at = :at "
        "WHERE conversation_id = :conversation_id",
    "conversation_last_message":
        "UPDATE {p}conversations SET last_message_text = :text, last_message_at = :at, "
        "last_message_author = :author WHERE conversation_id = :conversation_id",
    # The AI's hand-over, kept on the conversation until its ticket is requested: why, the
    # entries it considered and the customer's message it answered (by its wamid).
    "conversation_handoff":
        "UPDATE {p}conversations SET handoff_reason = :reason, handoff_sources = :sources, "
        "handoff_question = (SELECT u.text FROM {p}turns u "
        "WHERE u.conversation_id = :conversation_id AND u.message_id = :in_reply_to "
        "AND u.author = 'customer' ORDER BY u.seq DESC LIMIT 1) "
        "WHERE conversation_id = :conversation_id",
    "handoff":
        "INSERT INTO {p}handoffs (ticket_id, conversation_id, reason, sources, question) "
        "SELECT :ticket_id, conversation_id, :reason, handoff_sources, handoff_question "
        "FROM {p}conversations "
        "WHERE conversation_id = :conversation_id ON CONFLICT (ticket_id) DO NOTHING",
    "handoff_used":
        "UPDATE {p}conversations SET handoff_reason = NULL, handoff_sources = NULL, "
        "handoff_question = NULL WHERE conversation_id = :conversation_id",
    "turn":
        "INSERT INTO {p}turns (conversation_id, seq, author, text, at, message_id, ticket_id, "
        "kind, author_name, reply_id) VALUES (:conversation_id, :seq, :author, :text, :at, "
        ":message_id, COALESCE(:ticket_id, (SELECT open_ticket_id FROM {p}conversations "
        "WHERE conversation_id = :conversation_id)), :kind, :author_name, :reply_id) "
        "ON CONFLICT (conversation_id, seq) DO NOTHING",
    "turn_reply":
        "UPDATE {p}turns SET reply_id = :reply_id WHERE conversation_id = :conversation_id "
        "AND message_id = :cause_id AND reply_id IS NULL",
    "reply_sent":
        "INSERT INTO {p}outbound (wamid, conversation_id, reply_id, status, rank) VALUES "
        "(:wamid, :conversation_id, :reply_id, 'sent', 1) "
        "ON CONFLICT (wamid) DO UPDATE SET reply_id = excluded.reply_id",
    "reply_status":
        "INSERT INTO {p}outbound (wamid, conversation_id, status, rank, error) VALUES "
        "(:wamid, :conversation_id, :status, :rank, :error) ON CONFLICT (wamid) DO UPDATE "
        "SET status = excluded.status, rank = excluded.rank, error = excluded.error "
        "WHERE excluded.rank > {p}outbound.rank",
    "reply_failed":
        "UPDATE {p}turns SET failure_reason = :reason WHERE conversation_id = :conversation_id "
        "AND reply_id = :reply_id",
    "search_who":
        "INSERT INTO {p}search_docs (doc_id, conversation_id, text) "
        "SELECT 'who:' || conversation_id, conversation_id, "
        "COALESCE(customer_name || ' ', '') || phone || ' ' || substr(phone, 2) || ' ' || "
        "substr(phone, 3) || ' ' || substr(phone, 4) FROM {p}conversations "
        "WHERE conversation_id = :conversation_id "
        "ON CONFLICT (doc_id) DO UPDATE SET text = excluded.text",
    "search_doc":
        "INSERT INTO {p}search_docs (doc_id, conversation_id, text) VALUES "
        "(:doc_id, :conversation_id, :text) "
        "ON CONFLICT (doc_id) DO UPDATE SET text = excluded.text",
}

_TICKET_COLUMNS = (
    "ticket_id, conversation_id, phone, customer_id, customer_name, language, reason, status, "
    "agent_id, agent_name, opened_at, assigned_at, first_answer_at, last_answer_at, closed_at, "
    "resolution, answers, last_customer_text, last_customer_at, waiting_from, priority"
)
#: Tickets with their last message (the conversation's when the ticket has none yet: a
#: queued ticket no agent has read). Conditions name the ticket's columns ``t.``.
TICKET_SELECT = (
    "SELECT " + ", ".join(f"t.{c.strip()}" for c in _TICKET_COLUMNS.split(",")) + ", "
    + ", ".join(f"COALESCE(t.{c}, c.{c}) AS {c}" for c in (
        "last_message_text", "last_message_at", "last_message_author"))
    + ", c.profile_name AS profile_name"
)
#: The conversation of a ticket ``t`` (its last message), joined.
WITH_CONVERSATION = "LEFT JOIN {p}conversations c ON c.conversation_id = t.conversation_id"
TICKETS_FROM = f"{TICKET_SELECT} FROM {{p}}tickets t {WITH_CONVERSATION}"
_CONVERSATION_COLUMNS = (
    "conversation_id, phone, customer_id, customer_name, started_at, last_customer_at, "
    "customer_messages, ai_answers, agent_answers, tickets_requested, open_ticket_id"
)

#: Queries, by name.
QUERIES: dict[str, str] = {
    "inbox":
        TICKETS_FROM + " WHERE agent_id = :agent_id "
        "AND status = 'open' ORDER BY opened_at, ticket_id LIMIT :limit",
    "tickets_by_status":
        TICKETS_FROM + " WHERE status = :status "
        "ORDER BY opened_at, ticket_id LIMIT :limit OFFSET :offset",
    "agent_tickets_by_status":
        TICKETS_FROM + " WHERE agent_id = :agent_id "
        "AND status = :status ORDER BY opened_at, ticket_id LIMIT :limit OFFSET :offset",
    "ticket":
        TICKETS_FROM + " WHERE ticket_id = :ticket_id",
    "transcript":
        "SELECT seq, author, text, at, message_id FROM {p}turns "
        "WHERE conversation_id = :conversation_id ORDER BY seq",
    "lines":
        "SELECT seq, author, text, at, message_id, ticket_id, kind, author_name, reply_id, "
        "failure_reason FROM {p}turns WHERE conversation_id = :conversation_id ORDER BY seq",
    "ticket_lines":
        "SELECT line_id, ticket_id, kind, author, author_name, text, at FROM {p}ticket_lines "
        "WHERE conversation_id = :conversation_id ORDER BY at_epoch, line_id",
    "outbound":
        "SELECT wamid, reply_id, status, rank, error FROM {p}outbound "
        "WHERE conversation_id = :conversation_id",
    "handoff":
        "SELECT reason, sources FROM {p}handoffs WHERE ticket_id = :ticket_id",
    # The questions the AI handed over, newest ticket first.
    "handed_over":
        "SELECT h.ticket_id, h.conversation_id, h.reason, h.question, t.opened_at, t.language "
        "FROM {p}tickets t JOIN {p}handoffs h ON h.ticket_id = t.ticket_id "
        "WHERE h.question IS NOT NULL ORDER BY t.opened_at DESC, t.ticket_id DESC LIMIT :limit",
    "tickets_of_phone":
        TICKETS_FROM + " WHERE t.phone = :phone "
        "ORDER BY opened_at DESC, ticket_id LIMIT :limit",
    "conversation":
        f"SELECT {_CONVERSATION_COLUMNS} FROM {{p}}conversations "
        "WHERE conversation_id = :conversation_id",
    "conversations_by_phone":
        f"SELECT {_CONVERSATION_COLUMNS} FROM {{p}}conversations WHERE phone = :phone "
        "ORDER BY started_at, conversation_id LIMIT :limit",
    "conversations_by_customer":
        f"SELECT {_CONVERSATION_COLUMNS} FROM {{p}}conversations "
        "WHERE customer_id = :customer_id ORDER BY started_at, conversation_id LIMIT :limit",
    "agents":
        "SELECT agent_id, name, email, languages, max_tickets, online FROM {p}agents "
        "ORDER BY agent_id",
    "metrics_conversations":
        "SELECT COUNT(*) AS conversations, "
        "COALESCE(SUM(CASE WHEN tickets_requested > 0 THEN 1 ELSE 0 END), 0) AS escalated, "
        "COALESCE(SUM(CASE WHEN tickets_requested = 0 AND ai_answers > 0 THEN 1 ELSE 0 END), 0) "
        "AS ai_resolved FROM {p}conversations",
    "metrics_status":
        "SELECT status, COUNT(*) AS n FROM {p}tickets GROUP BY status",
    "metrics_times":
        "SELECT AVG(first_answer_at - opened_at) AS avg_first_response, "
        "MAX(first_answer_at - opened_at) AS max_first_response, "
        "AVG(closed_at - opened_at) AS avg_resolution, "
        "MAX(closed_at - opened_at) AS max_resolution FROM {p}tickets",
}


def check_prefix(prefix: str) -> str:
    """``prefix`` if it is a safe table-name prefix (lower case, digits, underscores)."""
    if not _PREFIX.match(prefix):
        raise ValueError(f"invalid table prefix {prefix!r}")
    return prefix


def ddl(prefix: str, dialect: Dialect, search: Sequence[str] = ()) -> list[str]:
    """The statements creating the read models' tables in ``dialect``, then ``search`` (the
    search documents' DDL of that database)."""
    return [s.format(p=check_prefix(prefix), real=dialect.real) for s in (*_DDL, *search)]


def statements(prefix: str, texts: dict[str, str], dialect: Dialect) -> dict[str, str]:
    """``texts`` with the table prefix applied, in ``dialect``'s parameter style."""
    return {name: dialect.sql(text.format(p=check_prefix(prefix))) for name, text in texts.items()}
