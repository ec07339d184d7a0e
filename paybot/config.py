"""Settings from the environment (PAYBOT_*) or a .env file, read once at start."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PAYBOT_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///paybot.db"
    secret_key: SecretStr | None = None
    timezone: str = "Europe/Oslo"
    # Where payment files are written before they go to the bank (and kept after).
    files_dir: Path = Path("paybot-files")
    # How long an "immediate" payment waits after signing, so a signer can take it back.
    undo_window_seconds: int = 60
    # Banking hours without an answer before a payment in Processing counts as failed.
    no_return_hours: int = 24
    # How often a process that does not run the scheduled jobs tries to take them over (seconds):
    # a dead scheduler's jobs move to another process within about this long.
    lease_check_seconds: float = Field(default=15, gt=0)
    # A folder with the pain.001 XSDs; by default the ones shipped in paybot/core/bankfiles/xsd.
    schema_dir: Path | None = None
    # Slack: the bot token, the signing secret (HTTP mode), the app token (Socket Mode), and
    # where the Web API is (Slack's own, or a local stand-in for the demo and the tests).
    slack_bot_token: SecretStr | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias="SLACK_SIGNING_SECRET"
    )
    slack_app_token: SecretStr | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")
    slack_api_url: str = "https://slack.com/api/"
    # `paybot serve` over HTTP (gunicorn): where it listens (HOST:PORT; loopback by default, a
    # proxy in front answers the internet), worker processes (None: one per CPU), threads per
    # worker, seconds before a silent worker is restarted, and seconds a stopping worker gets to
    # finish its requests and the work after their acknowledgements.
    bind: str = "127.0.0.1:3000"
    workers: int | None = Field(default=None, ge=1)
    threads: int = Field(default=16, ge=1)
    timeout: int = Field(default=30, ge=1)
    graceful_timeout: int = Field(default=30, ge=1)
    # Logs of `paybot serve` and `paybot jobs`: "json" gives one JSON object per line.
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("log_format", "log_level", mode="before")
    @classmethod
    def _any_case(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, str):
            return value
        return value.strip().lower() if info.field_name == "log_format" else value.strip().upper()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{value!r} is not a time zone (e.g. Europe/Oslo)") from exc
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
