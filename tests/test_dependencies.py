"""pyproject.toml's requirements and constraints.txt's pins tell the same story."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def pins() -> dict[str, str]:
    found: dict[str, str] = {}
    for number, line in enumerate((ROOT / "constraints.txt").read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        assert sep, f"constraints.txt:{number}: not name==version: {line!r}"
        found[canonicalize_name(name)] = version
    return found


def requirements() -> list[tuple[str, Requirement]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = [("dependencies", Requirement(text)) for text in project["dependencies"]]
    for extra, texts in project["optional-dependencies"].items():
        listed += [(extra, Requirement(text)) for text in texts]
    return listed


def test_every_requirement_is_pinned_to_a_version_it_allows() -> None:
    pinned = pins()
    for where, requirement in requirements():
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{where}: {requirement} has no pin in constraints.txt"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"{where}: {requirement} does not allow the pinned {pinned[name]}"
        )


def test_floors_are_the_tested_versions() -> None:
    """A floor below the pin promises versions nobody ran the tests on."""
    pinned = pins()
    for where, requirement in requirements():
        floors = [spec.version for spec in requirement.specifier if spec.operator == ">="]
        assert floors, f"{where}: {requirement} has no floor"
        pin = pinned[canonicalize_name(requirement.name)].split(".")
        floor = floors[0].split(".")
        assert pin[: len(floor)] == floor, (
            f"{where}: {requirement}: the floor is not the tested {'.'.join(pin)}"
        )


def test_the_postgresql_driver_is_an_extra() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not any("psycopg" in text for text in project["dependencies"])
    assert any("psycopg" in text for text in project["optional-dependencies"]["postgres"])
