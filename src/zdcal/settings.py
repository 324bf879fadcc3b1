"""The one settings object: environment variables ``ZDCAL_*`` and an optional ``.env``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

CRONOFY_DATA_CENTERS = ("us", "au", "ca", "de", "sg", "uk")
DataCenter = Literal["us", "au", "ca", "de", "sg", "uk"]
# A list setting, written "a, b c" in the environment (commas or whitespace between items).
NameList = Annotated[tuple[str, ...], NoDecode]
_LIST_SEPARATORS = re.compile(r"[\s,]+")


def cronofy_hosts(data_center: str) -> tuple[str, str]:
    """Return Cronofy's (API, app) base URLs for a data center."""
    if data_center not in CRONOFY_DATA_CENTERS:
        raise ValueError(f"unknown Cronofy data center {data_center!r}")
    suffix = "" if data_center == "us" else f"-{data_center}"
    return f"https://api{suffix}.cronofy.com", f"https://app{suffix}.cronofy.com"


class Settings(BaseSettings):
    """Everything zdcal can be configured with. Every external base URL is here."""

    model_config = SettingsConfigDict(
        env_prefix="ZDCAL_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(default=Path("var"), description="Where SQLite and key files live.")
    database_url: str = Field(
        default="", description="SQLAlchemy async URL; empty means SQLite in data_dir."
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Fernet key for tokens and secrets at rest (and session signing). "
        "Empty: a key is generated once into data_dir/secret.key (mode 0600).",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000", description="Where Zendesk and browsers reach zdcal."
    )

    cronofy_data_center: DataCenter = "us"
    cronofy_api_url: str = Field(default="", description="Overrides the data center's API host.")
    cronofy_app_url: str = Field(default="", description="Overrides the data center's app host.")
    cronofy_client_id: str = ""
    cronofy_client_secret: SecretStr = SecretStr("")
    cronofy_requests_per_second: int = Field(
        default=50, gt=0,
        description="Cronofy's per-application limit per second, shared by every process.",
    )
    cronofy_requests_per_minute: int = Field(
        default=500, gt=0,
        description="Cronofy's per-application limit per minute, shared by every process.",
    )

    google_client_id: str = Field(default="", description="The Google OAuth client's id.")
    google_client_secret: SecretStr = Field(
        default=SecretStr(""),
        description="The Google OAuth client's secret; also keys the push channels' tokens.",
    )
    google_api_url: str = Field(
        default="https://www.googleapis.com",
        description="Where the Calendar API (/calendar/v3) and its batch endpoint "
        "(/batch/calendar/v3) live.",
    )
    google_oauth_url: str = Field(
        default="https://accounts.google.com",
        description="Where browsers authorize (/o/oauth2/v2/auth).",
    )
    google_token_url: str = Field(
        default="https://oauth2.googleapis.com/token", description="Google's token endpoint."
    )
    google_revoke_url: str = Field(
        default="https://oauth2.googleapis.com/revoke", description="Google's revoke endpoint."
    )
    google_requests_per_minute_per_project: int = Field(
        default=10_000, gt=0,
        description="Google Calendar's per-project quota (requests per minute), paced for "
        "the whole process.",
    )
    google_requests_per_minute_per_user: int = Field(
        default=600, gt=0,
        description="Google Calendar's per-user quota (requests per minute), paced per "
        "connected Google account.",
    )

    microsoft_client_id: str = Field(
        default="", description="The Microsoft Entra app's (client) id."
    )
    microsoft_client_secret: SecretStr = Field(
        default=SecretStr(""),
        description="The Entra app's client secret (its value); also keys the "
        "subscriptions' clientState.",
    )
    microsoft_tenant: str = Field(
        default="common",
        description="Who may connect: common (any work or personal account), "
        "organizations (work accounts), or one tenant's id or domain.",
    )
    microsoft_login_url: str = Field(
        default="https://login.microsoftonline.com",
        description="The identity platform (/{tenant}/oauth2/v2.0/authorize and /token).",
    )
    microsoft_graph_url: str = Field(
        default="https://graph.microsoft.com", description="Where Microsoft Graph (/v1.0) lives."
    )
    microsoft_requests_per_10_minutes_per_mailbox: int = Field(
        default=10_000, gt=0,
        description="Outlook's per-app, per-mailbox limit (requests in any 10 minutes), "
        "paced per connected mailbox.",
    )

    http_timeout_seconds: float = 20.0
    webhook_replay_window_seconds: int = 300
    sweep_interval_seconds: int = 120
    verify_interval_seconds: int = 86_400
    channel_renewal_seconds: int = Field(
        default=3600, ge=60,
        description="How often each account's push channels that expire (Google's, "
        "Microsoft's) are looked at; one due within a day is replaced.",
    )
    caldav_poll_seconds: float = Field(
        default=60.0, gt=0,
        description="How often each CalDAV agent's calendar is read for their changes "
        "(CalDAV has no push; a calendar with nothing changed costs one request).",
    )
    caldav_ca_file: Path | None = Field(
        default=None,
        description="A PEM file of certificates to trust for CalDAV servers besides the "
        "usual ones (a self-hosted server with its own certificate authority).",
    )
    worker_concurrency: int = Field(
        default=8, ge=1,
        description="Jobs one worker process runs at once (PostgreSQL's job engine; "
        "`zdcal worker --concurrency` overrides it).",
    )
    worker_shutdown_grace_seconds: float = Field(
        default=30.0, ge=0,
        description="On SIGTERM, how long a worker lets its jobs in flight finish before "
        "it aborts them (they run again on another worker).",
    )
    log_level: str = "INFO"
    log_format: Literal["json", "text"] = "json"

    # Web pages (zdcal.web.pages) ----------------------------------------------------------
    zendesk_oauth_client_id: str = Field(
        default="",
        description="Zendesk OAuth client for agent sign-in on accounts connected with an "
        "API token (accounts connected with OAuth use their own client).",
    )
    zendesk_oauth_client_secret: SecretStr = Field(
        default=SecretStr(""), description="Secret of zendesk_oauth_client_id."
    )
    web_custom_zendesk_urls: bool = Field(
        default=False,
        description="Let the connect form take a non-standard Zendesk base URL (simulator, "
        "proxy), on a host of web_custom_zendesk_hosts only.",
    )
    web_custom_zendesk_hosts: NameList = Field(
        default=(),
        description="The hosts (host or host:port, as in the URL) a custom Zendesk base URL "
        "may name when web_custom_zendesk_urls is on; empty: none.",
    )
    web_session_max_age_seconds: int = Field(
        default=8 * 3600, gt=0, description="How long a page sign-in lasts."
    )
    web_role_check_interval_seconds: int = Field(
        default=300, gt=0,
        description="How often a signed-in person's role is read again from Zendesk: a "
        "demoted admin loses the admin page, a removed agent is signed out, within this.",
    )
    zendesk_allowed_subdomains: NameList = Field(
        default=(),
        description="The Zendesk subdomains that may be connected (web and CLI); empty: any.",
    )
    metrics_bearer_token: SecretStr = Field(
        default=SecretStr(""),
        description="When set, /metrics answers only requests with 'Authorization: Bearer "
        "<token>'.",
    )

    # Slow and numerous clients (zdcal.web.http_server) ------------------------------------
    web_max_connections: int = Field(
        default=500, gt=0,
        description="Open connections at most; requests beyond get 503. Keep under the "
        "process's open-file limit.",
    )
    web_keep_alive_timeout_seconds: int = Field(
        default=5, gt=0, description="An idle kept-alive connection is closed after this."
    )
    web_header_timeout_seconds: float = Field(
        default=10.0, gt=0,
        description="A request's headers must arrive within this (408 and close otherwise).",
    )
    web_body_timeout_seconds: float = Field(
        default=20.0, gt=0,
        description="A request's body must arrive within this of its headers (408 and close).",
    )

    # Mail to agents and admins (zdcal.mail, zdcal.live.mail_delivery) -------------------
    smtp_host: str = Field(
        default="", description="The operator's SMTP server; empty: zdcal sends no mail."
    )
    smtp_port: int = Field(
        default=0, ge=0, le=65535,
        description="Its port; 0: 587 for starttls, 465 for ssl, 25 for none.",
    )
    smtp_security: Literal["starttls", "ssl", "none"] = Field(
        default="starttls",
        description="starttls (upgrade a plain connection), ssl (TLS from the start) or none.",
    )
    smtp_username: str = Field(default="", description="SMTP login; empty: no login.")
    smtp_password: SecretStr = Field(
        default=SecretStr(""), description="Password of smtp_username."
    )
    smtp_from: str = Field(
        default="", validate_default=True,
        description="The From address of zdcal's mail (required with smtp_host).",
    )
    mail_summary_hour: int = Field(
        default=7, ge=0, le=23,
        description="The hour (UTC) from which each account's daily admin summary is sent.",
    )

    @property
    def smtp_configured(self) -> bool:
        """True when zdcal has an SMTP server to send mail through."""
        return bool(self.smtp_host)

    @field_validator("web_custom_zendesk_hosts", "zendesk_allowed_subdomains", mode="before")
    @classmethod
    def _split_names(cls, value: Any) -> Any:
        """Lowercase names, from "a, b" text (the environment) or a list."""
        if isinstance(value, str):
            value = _LIST_SEPARATORS.split(value)
        if isinstance(value, list | tuple):
            return tuple(str(item).strip().lower() for item in value if str(item).strip())
        return value

    @field_validator("smtp_from")
    @classmethod
    def _sender_with_host(cls, value: str, info: ValidationInfo) -> str:
        # A field check, not a model check: a model check's error shows every input,
        # secrets included.
        if info.data.get("smtp_host") and not value.strip():
            raise ValueError("ZDCAL_SMTP_FROM is required when ZDCAL_SMTP_HOST is set")
        return value.strip()

    @model_validator(mode="after")
    def _fill_derived(self) -> Settings:
        api, app = cronofy_hosts(self.cronofy_data_center)
        self.cronofy_api_url = (self.cronofy_api_url or api).rstrip("/")
        self.cronofy_app_url = (self.cronofy_app_url or app).rstrip("/")
        self.google_api_url = self.google_api_url.rstrip("/")
        self.google_oauth_url = self.google_oauth_url.rstrip("/")
        self.microsoft_login_url = self.microsoft_login_url.rstrip("/")
        self.microsoft_graph_url = self.microsoft_graph_url.rstrip("/")
        self.public_url = self.public_url.rstrip("/")
        if not self.smtp_port:
            self.smtp_port = {"starttls": 587, "ssl": 465, "none": 25}[self.smtp_security]
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{self.data_dir / 'zdcal.db'}"
        return self
