"""Configuration: one pydantic-settings object, read once at start-up and passed down."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PersistenceModule = Literal["eventsourcing.sqlite", "eventsourcing.postgres", "eventsourcing.popo"]

DEMO_SECRET = "helpline-demo-secret"
#: The shortest admin token production accepts (32 random URL-safe characters ≈ 190 bits).
MIN_ADMIN_TOKEN = 32
#: The secrets production needs and demo mode fills in (with ``DEMO_SECRET``).
SECRETS = ("whatsapp_app_secret", "whatsapp_verify_token", "whatsapp_access_token",
           "helpline_admin_token")
#: The business account id the fake Graph API is asked for (it serves its templates to any).
FAKE_WABA_ID = "102290129340398"
#: A span of time (or a rate) that must be above zero.
Positive = Annotated[float, Field(gt=0)]
#: A file size limit: at least 1 KiB, at most 100 MiB.
FileSize = Annotated[int, Field(ge=1024, le=100 * 1024 * 1024)]


class Settings(BaseSettings):
    """Every setting of helpline; each field is read from the environment variable of the
    same name in upper case (``HELPLINE_DATA_DIR``, ``NATS_URL``, ...). A field's docstring
    is its description."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False,
                                      use_attribute_docstrings=True)

    helpline_mode: Literal["demo", "production"] = "demo"
    """production refuses to start with demo or missing secrets"""
    helpline_data_dir: Path = Path("var")
    """SQLite files, NATS store"""
    persistence_module: PersistenceModule = "eventsourcing.sqlite"
    sqlite_synchronous: Literal["NORMAL", "FULL"] = "NORMAL"
    """SQLite durability: NORMAL survives process crashes, FULL also power loss (an fsync per
    commit)"""
    postgres_dbname: str = "helpline"
    postgres_host: str = "127.0.0.1"
    postgres_port: int = 5432
    postgres_user: str = "postgres"
    postgres_password: SecretStr = SecretStr("")
    postgres_schema: str = Field(default="", pattern=r"^([a-z_][a-z0-9_]{0,62})?$")
    """PostgreSQL schema of every table (empty: the default, public)"""
    nats_url: str = "nats://127.0.0.1:4222"
    """NATS server, or several separated by commas (a cluster)"""
    helpline_subject_prefix: str = "helpline"
    """first token of every subject; one per deployment"""
    helpline_batch_size: int = Field(default=64, ge=1, le=1000)
    """messages a consumer takes (and commits) at a time"""
    helpline_ack_wait_seconds: Positive = 30.0
    """how long JetStream waits for an ack before it delivers a message again (e.g. after a
    crash)"""
    helpline_stall_seconds: Positive = 120.0
    """a consumer or outbox relay that makes no progress this long is restarted (its unacked
    messages come back)"""
    helpline_send_lease_seconds: Positive = 120.0
    """how long a send's claim waits for Meta's status before the send is tried again (after
    a crash or a timeout during the call)"""
    helpline_aggregate_cache: int = Field(default=10_000, ge=0)
    """aggregates an application keeps in memory between batches (0: load every time, from
    the latest snapshot)"""
    helpline_stream_replicas: int = Field(default=1, ge=1, le=5)
    """copies of each stream in a NATS cluster (3 for a three-node cluster: a node may fail)"""
    helpline_stream_max_messages: int = Field(default=10_000_000, ge=1000)
    """the most messages the message stream keeps (the oldest go first)"""
    helpline_stream_max_bytes: int = Field(default=0, ge=0)
    """the most bytes the message stream keeps (0: no limit; NATS reserves this much disk for
    the stream when set)"""
    helpline_stream_max_age_days: Positive = 7.0
    """how long the message stream keeps a message"""
    helpline_up_processes: str | None = None
    """helpline up: service groups run in child processes, ';' between groups, ',' within one
    (empty: one process; unset: one process per core, up to four)"""
    helpline_http_host: str = "127.0.0.1"
    helpline_http_port: int = 8000
    helpline_admin_token: SecretStr = SecretStr("")
    whatsapp_app_secret: SecretStr = SecretStr("")
    whatsapp_verify_token: SecretStr = SecretStr("")
    whatsapp_access_token: SecretStr = SecretStr("")
    whatsapp_graph_url: str = "https://graph.facebook.com"
    whatsapp_api_version: str = "v23.0"
    whatsapp_phone_number_id: str = "106540352242922"
    whatsapp_rate_limit_per_second: float = 80.0
    """Graph API messages per second per business number"""
    helpline_agent_name_numbers: str = ""
    """business phone number ids (comma-separated; '*': all) whose outgoing agent messages
    start with the agent's name, '*Name*:' on its own line"""
    whatsapp_business_account_id: str = ""
    """the WhatsApp Business Account whose approved message templates are synced (empty: no
    templates, except with the fake Graph API, which serves its own)"""
    whatsapp_templates_refresh_seconds: Positive = 900.0
    """how often the agent API syncs the message templates from the Graph API"""
    helpline_fake_graph: bool | None = None
    """serve a fake Graph API at /fake-graph and send there (default: on in demo mode, off in
    production)"""
    helpline_media_dir: Path | None = None
    """customers' and agents' files, kept by SHA-256 (unset: media/ under HELPLINE_DATA_DIR;
    every process of a deployment must see the same one)"""
    helpline_media_max_bytes: FileSize = 16 * 1024 * 1024
    """the largest file of a customer's that ms-whatsapp stores (WhatsApp's limit for audio
    and video; a larger one gets a plain-words reply and is not stored)"""
    helpline_upload_max_bytes: FileSize = 5 * 1024 * 1024
    """the largest image or document an agent may attach (WhatsApp's limit for images)"""
    helpline_kb_path: Path | None = None
    """knowledge base folder for ms-rag (unset: a tiny keyword answerer for demos)"""
    helpline_kb_reload_seconds: float = 5.0
    helpline_demo_customers: Path | None = Path("examples/customers.csv")
    """demo mode: customers to import"""
    helpline_rag_threshold: float | None = None
    """share of a question's salient words the chosen entry must speak of, below which the AI
    hands over (unset: the calibrated default)"""
    helpline_rag_max_unhelpful: int = 2
    helpline_rag_embedder: Literal["auto", "multilingual", "minilm", "none"] = "auto"
    """embeddings for hybrid retrieval and the answerability check (auto: multilingual when
    the [multilingual] extra is installed, else none)"""
    helpline_llm_url: str | None = None
    """OpenAI-compatible endpoint; unset: answer from the KB"""
    helpline_llm_model: str | None = None
    helpline_llm_api_key: SecretStr = SecretStr("")
    helpline_llm_timeout: float = 20.0
    helpline_llm_min_coverage: float = Field(default=0.1, ge=0.0, le=1.0)
    """with an LLM: the share of a question's salient words an entry must speak of to be shown
    to the model, which judges whether it answers"""

    @property
    def use_fake_graph(self) -> bool:
        """Whether replies go to the in-process fake Graph API: by default in demo mode,
        unless ``WHATSAPP_GRAPH_URL`` was set (then replies go there)."""
        if self.helpline_fake_graph is None:
            return (self.helpline_mode == "demo"
                    and "whatsapp_graph_url" not in self.model_fields_set)
        return self.helpline_fake_graph

    @property
    def media_dir(self) -> Path:
        """Where media files are kept (``HELPLINE_MEDIA_DIR``, else ``<data dir>/media``)."""
        return self.helpline_media_dir or self.helpline_data_dir / "media"

    def resolved(self) -> Settings:
        """These settings with the demo defaults filled in: demo secrets for unset secrets
        and, with the fake Graph API, its in-process URL."""
        if self.helpline_mode != "demo":
            return self
        update: dict[str, object] = {
            name: SecretStr(DEMO_SECRET)
            for name in SECRETS if not getattr(self, name).get_secret_value()
        }
        if self.use_fake_graph:
            update["helpline_fake_graph"] = True
            update["whatsapp_graph_url"] = (
                f"http://{self.helpline_http_host}:{self.helpline_http_port}/fake-graph")
            if not self.whatsapp_business_account_id:
                update["whatsapp_business_account_id"] = FAKE_WABA_ID
        return self.model_copy(update=update)

    @model_validator(mode="after")
    def _production_needs_secrets(self) -> Settings:
        if self.helpline_mode != "production":
            return self
        for name in SECRETS:
            value = getattr(self, name).get_secret_value()
            if not value or value == DEMO_SECRET:
                raise ValueError(f"{name.upper()} must be set (and not the demo value) "
                                 "when HELPLINE_MODE=production")
        if len(self.helpline_admin_token.get_secret_value()) < MIN_ADMIN_TOKEN:
            raise ValueError(f"HELPLINE_ADMIN_TOKEN must be at least {MIN_ADMIN_TOKEN} "
                             "characters when HELPLINE_MODE=production (e.g. the output of "
                             "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`)")
        if self.helpline_fake_graph:
            raise ValueError("HELPLINE_FAKE_GRAPH=true is refused when HELPLINE_MODE="
                             "production: the fake Graph API and the customer simulator would "
                             "sign customer messages with the real app secret")
        return self

    @property
    def agent_name_numbers(self) -> frozenset[str]:
        """``HELPLINE_AGENT_NAME_NUMBERS`` as a set of phone number ids (or ``{"*"}``)."""
        return frozenset(p.strip() for p in self.helpline_agent_name_numbers.split(",")
                         if p.strip())

    def postgres_conninfo(self) -> str:
        """A libpq connection string for the PostgreSQL settings."""
        password = self.postgres_password.get_secret_value()
        conninfo = (f"dbname={self.postgres_dbname} host={self.postgres_host} "
                    f"port={self.postgres_port} user={self.postgres_user}")
        if self.postgres_schema:
            # Every table (ledger, directory) in the configured schema, like the event stores.
            conninfo += f" options='-c search_path={self.postgres_schema}'"
        return conninfo + (f" password={password}" if password else "")
