"""paybot reads its settings without pydantic-settings (`read_settings`): it must find what
pydantic-settings finds for the same fields (`Settings()`), from the environment, from `.env`,
and refuse what it refuses in the same words."""

from __future__ import annotations

import os
import subprocess
import sys
import types
import typing
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import SecretStr, ValidationError
from pydantic.fields import FieldInfo

from paybot.config import ENV_PREFIX, Settings, SettingsFields, read_settings

# A value each setting takes whose check needs more than its type.
_SPECIAL = {"timezone": "America/New_York"}


def _sample(name: str, field: FieldInfo) -> str:
    """A valid value for the setting, as text, other than its default."""
    if name in _SPECIAL:
        return _SPECIAL[name]
    annotation: Any = field.annotation
    if isinstance(annotation, types.UnionType):
        [annotation] = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
    if typing.get_origin(annotation) is Literal:
        return str(typing.get_args(annotation)[-1])
    samples: dict[Any, str] = {
        str: f"{name}-value",
        SecretStr: f"{name}-secret",
        Path: f"/srv/{name}",
        int: "7",
        float: "2.5",
        bool: "true",
    }
    if annotation not in samples:
        pytest.fail(f"give {name} ({annotation}) a sample here, and check read_settings reads it")
    return samples[annotation]


def _variable(name: str, field: FieldInfo) -> str:
    alias = field.validation_alias
    return alias if isinstance(alias, str) else f"{ENV_PREFIX}{name.upper()}"


SETTINGS = {
    name: (_variable(name, f), _sample(name, f)) for name, f in SettingsFields.model_fields.items()
}


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No setting from the machine running the tests, nor its `.env`."""
    for variable in os.environ:
        if variable.upper().startswith(ENV_PREFIX) or variable.upper().startswith("SLACK_"):
            monkeypatch.delenv(variable)
    monkeypatch.chdir(tmp_path)


def _both() -> tuple[dict[str, Any], dict[str, Any]]:
    return read_settings().model_dump(), Settings().model_dump()


def test_defaults_are_the_same() -> None:
    light, reference = _both()
    assert light == reference == SettingsFields().model_dump()


def test_every_setting_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable, value in SETTINGS.values():
        monkeypatch.setenv(variable, value)
    light, reference = _both()
    assert light == reference
    assert light != SettingsFields().model_dump()
    for name in SETTINGS:  # each one read, not left at its default
        assert light[name] != SettingsFields.model_fields[name].default, name


def test_every_setting_is_read_from_dotenv_and_the_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    lines = [f"{variable}={value}" for variable, value in SETTINGS.values()]
    (tmp_path / ".env").write_text("\n".join(lines) + "\n", encoding="utf-8")
    light, reference = _both()
    assert light == reference
    assert light["timezone"] == "America/New_York"
    monkeypatch.setenv("PAYBOT_TIMEZONE", "Asia/Tokyo")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-the-environment")
    light, reference = _both()
    assert light == reference
    assert light["timezone"] == "Asia/Tokyo"
    assert light["slack_bot_token"].get_secret_value() == "xoxb-from-the-environment"


def test_names_in_any_case_quotes_comments_and_references_in_dotenv(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("paybot_threads", "3")
    monkeypatch.setenv("ZONE_NAME", "Europe/Berlin")
    (tmp_path / ".env").write_text(
        "# the settings\n"
        "export PAYBOT_DATABASE_URL='sqlite:///quoted.db'  # a comment\n"
        'paybot_Bind="0.0.0.0:8080"\n'
        "PAYBOT_TIMEZONE=${ZONE_NAME}\n"
        "PAYBOT_WORKERS\n"  # a name without a value is no value
        "PAYBOT_UNKNOWN=ignored\n"
        "DATABASE_URL=sqlite:///not-paybots.db\n",
        encoding="utf-8",
    )
    light, reference = _both()
    assert light == reference
    assert (light["database_url"], light["bind"]) == ("sqlite:///quoted.db", "0.0.0.0:8080")
    assert (light["timezone"], light["threads"], light["workers"]) == ("Europe/Berlin", 3, None)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PAYBOT_TIMEZONE", "Mars/Olympus"),
        ("PAYBOT_THREADS", "0"),
        ("PAYBOT_WORKERS", ""),
        ("PAYBOT_LOG_FORMAT", "xml"),
        ("PAYBOT_LEASE_CHECK_SECONDS", "soon"),
    ],
)
def test_the_same_refusals(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as light:
        read_settings()
    with pytest.raises(ValidationError) as reference:
        Settings()
    assert _problems(light.value) == _problems(reference.value) != []


def _problems(error: ValidationError) -> list[tuple[Any, str, Any]]:
    return [(e["loc"], e["msg"], e["input"]) for e in error.errors()]


def test_a_command_reads_its_settings_without_pydantic_settings(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from paybot.container import container\n"
        "settings = container().settings\n"
        "print(settings.timezone, 'pydantic_settings' in sys.modules)"
    )
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(ENV_PREFIX)}
    (tmp_path / ".env").write_text("PAYBOT_TIMEZONE=Europe/Helsinki\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(Path(__file__).parents[2])},
        timeout=60,
    )
    assert done.stdout.split() == ["Europe/Helsinki", "False"]


def test_a_blank_slack_api_url_is_slacks_own(monkeypatch: pytest.MonkeyPatch) -> None:
    # An env file copied from the example may hold the line `PAYBOT_SLACK_API_URL=`.
    monkeypatch.setenv("PAYBOT_SLACK_API_URL", "  ")
    light, reference = _both()
    assert light == reference
    assert light["slack_api_url"] == "https://slack.com/api/"
