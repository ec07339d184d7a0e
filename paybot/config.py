"""Settings from the environment (PAYBOT_*) or a .env file, read once at start."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
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
    # A folder with the pain.001 XSDs; by default the ones bundled with sepaxml.
    schema_dir: Path | None = None
    # Slack: the bot token, the signing secret (HTTP mode), the app token (Socket Mode), and
    # where the Web API is (Slack's own, or a local stand-in for the demo and the tests).
    slack_bot_token: SecretStr | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias="SLACK_SIGNING_SECRET"
    )
    slack_app_token: SecretStr | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")
    slack_api_url: str = "https://slack.com/api/"

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
