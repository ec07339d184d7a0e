"""Settings from the environment (PAYBOT_*) or a .env file, read once at start.

`SettingsFields` is the one definition of the settings: their names, defaults and checks. It is
read in two ways, which find the same values (tests/cli/test_settings_read.py holds them equal):

- `read_settings()`, how paybot reads them: the environment and `.env` looked up as
  pydantic-settings looks them up for these fields (plain values, one variable each), checked by
  the same model, without loading pydantic-settings, which cost about 12 ms of every command's
  start;
- `Settings`, the same fields as a pydantic-settings class: `Settings(database_url=...)` takes
  what it is given and reads the rest (tests, the demo). It is made on first use.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationInfo, field_validator

ENV_PREFIX = "PAYBOT_"
ENV_FILE = ".env"
# pydantic's switch for its plugins ("1": none).
_NO_PLUGINS = "PYDANTIC_DISABLE_PLUGINS"


class SettingsFields(BaseModel):
    """paybot's settings. A field with a `validation_alias` is read from that variable (without
    the prefix), as pydantic-settings does."""

    # As pydantic-settings configures its classes: unknown variables ignored, defaults checked.
    # Its validator is built below the class (`_build_without_plugins`).
    model_config = ConfigDict(extra="ignore", validate_default=True, defer_build=True)

    database_url: str = "sqlite:///paybot.db"
    secret_key: SecretStr | None = None
    timezone: str = "Europe/Oslo"
    # Where payment files are written before they go to the bank (and kept after).
    files_dir: Path = Path("paybot-files")
    # How long an "immediate" payment waits after signing, so a signer can take it back.
    undo_window_seconds: int = 60
    # Banking hours without an answer before a payment in Processing counts as failed.
    no_return_hours: float = Field(default=24, gt=0)
    # How often a process that does not run the scheduled jobs tries to take them over (seconds):
    # a dead scheduler's jobs move to another process within about this long.
    lease_check_seconds: float = Field(default=15, gt=0)
    # A folder with the pain.001 XSDs; by default the ones shipped in paybot/core/bankfiles/xsd.
    schema_dir: Path | None = None
    # EHF: the OASIS UBL 2.1 schemas (the `xsd` folder of UBL-2.1.zip, holding maindoc/ and
    # common/), which every EHF file is checked against before it is imported; and a folder an
    # access point or an e-mail robot drops EHF files into (read every minute; done/ and
    # rejected/ beside the files).
    ubl_schema_dir: Path | None = None
    ehf_inbox: Path | None = None
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
    # The reverse proxies whose X-Forwarded-For `paybot serve` believes: IP addresses or networks,
    # comma-separated (checked when it starts), or empty for none. A request that comes through
    # one is taken to be from the client the proxy names; anyone else's header is ignored.
    trusted_proxies: str = "127.0.0.1,::1"
    # Logs of `paybot serve` and `paybot jobs`: "json" gives one JSON object per line.
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("log_format", "log_level", mode="before")
    @classmethod
    def _any_case(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, str):
            return value
        return value.strip().lower() if info.field_name == "log_format" else value.strip().upper()

    @field_validator("slack_api_url", mode="before")
    @classmethod
    def _blank_is_slack(cls, value: object) -> object:
        """A blank value (an env file's `PAYBOT_SLACK_API_URL=` line) is Slack's own API."""
        if isinstance(value, str) and not value.strip():
            return "https://slack.com/api/"
        return value

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


def _build_without_plugins(model: type[BaseModel]) -> None:
    """Builds `model`'s validator without pydantic's plugins (as typer builds its parameters').

    A plugin would see every setting paybot reads, secrets among them; and looking for plugins
    reads the metadata of every installed distribution, about 5 ms of every command's start.
    """
    previous = os.environ.get(_NO_PLUGINS)
    os.environ[_NO_PLUGINS] = "1"
    try:
        model.model_rebuild(force=True)
    finally:
        if previous is None:
            del os.environ[_NO_PLUGINS]
        else:
            os.environ[_NO_PLUGINS] = previous


_build_without_plugins(SettingsFields)


def read_settings() -> SettingsFields:
    """The settings from the environment and `.env` (the environment wins), as `Settings()` reads
    them: variable names in any case, a `.env` in the working directory parsed by python-dotenv
    (pydantic-settings' own parser, loaded only when there is such a file)."""
    environment = _lowercased(os.environ)
    dotenv = _dotenv_values(Path(ENV_FILE).expanduser())
    values: dict[str, str] = {}
    for name, field in SettingsFields.model_fields.items():
        alias = field.validation_alias
        if alias is not None and not isinstance(alias, str):
            raise TypeError(f"{name}: read_settings() reads one variable per setting")
        key = name if alias is None else alias
        variable = (f"{ENV_PREFIX}{name}" if alias is None else alias).lower()
        value = environment.get(variable)
        if value is None:
            value = dotenv.get(variable)
        if value is not None:
            values[key] = value
    return SettingsFields.model_validate(values)


def _lowercased(variables: Mapping[str, str | None]) -> dict[str, str | None]:
    return {name.lower(): value for name, value in variables.items()}


def _dotenv_values(path: Path) -> dict[str, str | None]:
    if not (path.is_file() or path.is_fifo()):
        return {}
    from dotenv import dotenv_values

    return _lowercased(dotenv_values(path, encoding="utf-8"))


if TYPE_CHECKING:
    from typing import ClassVar

    from pydantic_settings import BaseSettings, SettingsConfigDict

    class Settings(BaseSettings, SettingsFields):
        """The settings as pydantic-settings reads them (made by `__getattr__` below)."""

        model_config: ClassVar[SettingsConfigDict]

else:

    def __getattr__(name: str) -> object:
        """`Settings`, made when first imported: only then is pydantic-settings loaded."""
        if name != "Settings":
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        from pydantic_settings import BaseSettings, SettingsConfigDict

        class Settings(BaseSettings, SettingsFields):
            """The settings as pydantic-settings reads them: what is not given is read from the
            environment (PAYBOT_*) and `.env`."""

            model_config = SettingsConfigDict(
                env_prefix=ENV_PREFIX, env_file=ENV_FILE, extra="ignore"
            )

        Settings.__qualname__ = "Settings"
        globals()["Settings"] = Settings
        return Settings
