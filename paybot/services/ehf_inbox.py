"""EHF files from a folder: the command line's folder import and the watched inbox.

Each file is taken whole or not at all, in a transaction of its own, so one bad file never holds
back the good ones. In the inbox, a file that was dealt with moves to `done/` (imported, or known
already) or to `rejected/` with a `<name>.error.txt` beside it saying why; a file that could not
be dealt with now (the database away, an unexpected failure) stays for the next run. A crash
between the import's commit and the move is harmless: the next run finds the invoice known and
moves the file to `done/`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal, Protocol

from paybot.core.ehf import RuleMessage, read_ehf
from paybot.core.errors import DatabaseUnavailable, PaybotError
from paybot.core.policy import Actor
from paybot.services.common import SYSTEM
from paybot.services.ehf_import import EhfFile, EhfImported, import_ehf
from paybot.store.uow import UnitOfWork

DONE = "done"
REJECTED = "rejected"
# A file younger than this may still be being written by whoever drops it.
SETTLE = timedelta(seconds=10)


class Validator(Protocol):
    def validate(self, source: str, data: bytes) -> list[RuleMessage]: ...


@dataclass(frozen=True)
class FileOutcome:
    path: Path
    outcome: Literal["imported", "known", "refused"]
    imported: EhfImported | None = None
    problem: str = ""
    warnings: int = 0


def checked(source: str, data: bytes, validator: Validator) -> EhfFile:
    """The UBL 2.1 schema and the rules of the document's profile first, then the reading."""
    warnings = validator.validate(source, data)
    return EhfFile(read_ehf(source, data), warnings, data)


def ehf_files(paths: Iterable[Path]) -> list[Path]:
    """The files named, and the `.xml` files directly in the folders named, in name order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if _is_candidate(p)))
        else:
            found.append(path)
    return found


def import_files(
    uow: UnitOfWork,
    validator: Validator,
    files: Sequence[Path],
    *,
    now: datetime,
    company_org_no: str | None = None,
    actor: Actor = SYSTEM,
) -> Iterator[FileOutcome]:
    """Imports each file on its own; yields what became of each, in order."""
    for path in files:
        yield _import_one(uow, validator, path, now=now, company_org_no=company_org_no, actor=actor)


def read_inbox(
    uow: UnitOfWork, validator: Validator, inbox: Path, *, now: datetime
) -> list[FileOutcome]:
    """Imports the settled `.xml` files of the inbox (the company is each invoice's buyer) and
    moves each to done/ or rejected/."""
    settled = now.timestamp() - SETTLE.total_seconds()
    files = [p for p in ehf_files([inbox]) if p.is_file() and p.stat().st_mtime <= settled]
    outcomes = []
    for outcome in import_files(uow, validator, files, now=now):
        if outcome.outcome == "refused":
            moved = _move(outcome.path, inbox / REJECTED)
            moved.with_name(moved.name + ".error.txt").write_text(
                outcome.problem + "\n", encoding="utf-8"
            )
        else:
            _move(outcome.path, inbox / DONE)
        outcomes.append(outcome)
    return outcomes


def _import_one(
    uow: UnitOfWork,
    validator: Validator,
    path: Path,
    *,
    now: datetime,
    company_org_no: str | None,
    actor: Actor,
) -> FileOutcome:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return FileOutcome(path, "refused", problem=f"{path.name}: cannot be read ({exc})")
    try:
        file = checked(path.name, data, validator)
        imported = import_ehf(uow, file=file, now=now, company_org_no=company_org_no, actor=actor)
    except DatabaseUnavailable:
        raise  # nothing is wrong with the file: it waits for the next run
    except PaybotError as exc:
        return FileOutcome(path, "refused", problem=exc.user_message)
    return FileOutcome(path, imported.outcome, imported, warnings=len(file.warnings))


def _is_candidate(path: Path) -> bool:
    """An `.xml` file not hidden (a dropper writing `.name.xml` then renaming is not read)."""
    return path.suffix.lower() == ".xml" and not path.name.startswith(".")


def _move(path: Path, folder: Path) -> Path:
    """Moves `path` into `folder` (made when missing) under a name not taken there yet."""
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    n = 1
    while target.exists() or target.with_name(target.name + ".error.txt").exists():
        target = folder / f"{path.stem}.{n}{path.suffix}"
        n += 1
    os.replace(path, target)
    return target
