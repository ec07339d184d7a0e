"""The layers of DESIGN.md, checked by scanning every import statement (STYLE.md, convention 1)."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

import paybot

PACKAGE_DIR = Path(paybot.__file__).resolve().parent
SOURCE_ROOT = PACKAGE_DIR.parent

CORE_FORBIDDEN = (
    "slack_bolt",
    "slack_sdk",
    "sqlalchemy",
    "apscheduler",
    "paybot.services",
    "paybot.store",
    "paybot.handlers",
    "paybot.cli",
)
DATABASE_LIBRARIES = ("sqlalchemy", "alembic")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, module: str, *, is_package: bool) -> set[str]:
    """Every module an import statement anywhere in `source` may load, relative ones resolved.

    `from a import b` yields both `a` and `a.b`, since `b` may be a submodule.
    """
    package = module.split(".") if is_package else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
            found.add(origin)
            found.update(f"{origin}.{alias.name}" for alias in node.names)
    return found


def is_within(name: str, prefixes: Iterable[str]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def imports_of(path: Path) -> set[str]:
    return imported_modules(
        path.read_text(encoding="utf-8"), module_name(path), is_package=path.name == "__init__.py"
    )


def violations(path: Path, forbidden: Callable[[str], bool]) -> list[str]:
    return sorted(name for name in imports_of(path) if forbidden(name))


def modules_under(*parts: str) -> list[Path]:
    return sorted(PACKAGE_DIR.joinpath(*parts).rglob("*.py"))


def core_forbids(name: str) -> bool:
    return is_within(name, CORE_FORBIDDEN) or name.split(".")[0].startswith("slack_")


def as_params(paths: Iterable[Path], known: dict[str, str] | None = None) -> list[object]:
    params = []
    for path in paths:
        name = module_name(path)
        reason = (known or {}).get(name)
        marks = (
            [pytest.mark.xfail(strict=True, raises=AssertionError, reason=reason)] if reason else []
        )
        params.append(pytest.param(path, id=name, marks=marks))
    return params


# --- the scanner itself --------------------------------------------------------------------------


def test_scanner_sees_guarded_nested_and_relative_imports() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from sqlalchemy import Engine\n"
        "def later() -> None:\n"
        "    import slack_sdk.web\n"
        "from .. import store\n"
        "from ..services.payments import approve\n"
        "from . import money\n"
    )
    found = imported_modules(source, "paybot.core.example", is_package=False)
    assert {"sqlalchemy", "slack_sdk.web", "paybot.store", "paybot.services.payments"} <= found
    assert "paybot.core.money" in found
    assert [name for name in sorted(found) if core_forbids(name)] == [
        "paybot.services.payments",
        "paybot.services.payments.approve",
        "paybot.store",
        "slack_sdk.web",
        "sqlalchemy",
        "sqlalchemy.Engine",
    ]


def test_scanner_resolves_relative_imports_in_a_package_init() -> None:
    found = imported_modules("from .uow import UnitOfWork\n", "paybot.store", is_package=True)
    assert "paybot.store.uow" in found


def test_there_are_core_modules_to_scan() -> None:
    assert any(path.name == "states.py" for path in modules_under("core"))


# --- the rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", as_params(modules_under("core")))
def test_core_module_imports_no_slack_database_scheduler_or_outer_layer(path: Path) -> None:
    assert violations(path, core_forbids) == []


def test_handlers_do_not_import_the_store() -> None:
    found = {
        module_name(path): violations(path, lambda name: is_within(name, ["paybot.store"]))
        for path in modules_under("handlers")
    }
    assert {module: names for module, names in found.items() if names} == {}


@pytest.mark.parametrize(
    "path",
    as_params(
        (path for path in modules_under() if not path.is_relative_to(PACKAGE_DIR / "store")),
    ),
)
def test_only_the_store_imports_sqlalchemy_or_alembic(path: Path) -> None:
    assert violations(path, lambda name: is_within(name, DATABASE_LIBRARIES)) == []
