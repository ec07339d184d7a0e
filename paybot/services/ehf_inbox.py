"""EHF files from a folder: the command line's folder import and the watched inbox.

Each file is taken whole or not at all, in a transaction of its own, so one bad file never holds
back the good ones. In the inbox, a file that was dealt with moves to `done/` (imported, or known
already) or to `rejected/` with a `<name>.error.txt` beside it saying why; a file that could not
be dealt with now (the database away, an unexpected failure) stays for the next run. A crash
between the import's commit and the move is harmless: the next run finds the invoice known and
moves the file to `done/`.

A refused file is an alarm for the company it was meant for, where its buyer can be read and is a
company here (core.ehf.glimpse): once per company and file (its bytes' digest), so the same file
dropped again is not said twice and a new one is. It is raised before the file moves, so a crash
in between loses no alarm (the next run refuses the file again, and says nothing new). A file
whose buyer cannot be told is left to the log.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal, Protocol

from paybot.core import alarms as alarm_texts
from paybot.core.ehf import EhfGlimpse, RuleMessage, glimpse, read_ehf
from paybot.core.errors import DatabaseUnavailable, PaybotError
from paybot.core.policy import Actor
from paybot.core.sends import AlarmKind
from paybot.core.text import REFUSED_CATEGORIES
from paybot.services import answers
from paybot.services.common import SYSTEM
from paybot.services.ehf_import import EhfFile, EhfImported, import_ehf
from paybot.store.uow import UnitOfWork

DONE = "done"
REJECTED = "rejected"
# A file younger than this may still be being written by whoever drops it.
SETTLE = timedelta(seconds=10)
# Characters of what a refused file says (its name, supplier, invoice number, the problem) that
# an alarm shows: the log and the .error.txt keep the whole problem.
SHOWN_LIMITS = {"file": 120, "supplier": 100, "invoice_no": 60, "error": 600}


class Validator(Protocol):
    def validate(self, source: str, data: bytes) -> list[RuleMessage]: ...


@dataclass(frozen=True)
class Alarmed:
    """The company told of a refused file; `new` is False where this file was told before."""

    company_org_no: str
    new: bool


@dataclass(frozen=True)
class FileOutcome:
    path: Path
    outcome: Literal["imported", "known", "refused"]
    imported: EhfImported | None = None
    problem: str = ""
    warnings: int = 0
    # A refused file whose bytes were read: their SHA-256, and what can be read of it.
    digest: str = ""
    glimpse: EhfGlimpse | None = None
    # A refused inbox file's alarm; None where its buyer cannot be read or is no company here.
    alarmed: Alarmed | None = None


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
    moves each to done/ or rejected/; a refused file is an alarm for its buyer, where that is a
    company here.

    Raises:
        DatabaseUnavailable: the file being read stays, and those after it, for the next run.
    """
    settled = now.timestamp() - SETTLE.total_seconds()
    files = [p for p in ehf_files([inbox]) if p.is_file() and p.stat().st_mtime <= settled]
    outcomes = []
    for outcome in import_files(uow, validator, files, now=now):
        if outcome.outcome == "refused":
            target = _free_name(outcome.path, inbox / REJECTED)
            outcome = replace(outcome, alarmed=alarm_refused(uow, outcome, target.name, now=now))
            _move_to(outcome.path, target)
            target.with_name(target.name + ".error.txt").write_text(
                outcome.problem + "\n", encoding="utf-8"
            )
        else:
            _move(outcome.path, inbox / DONE)
        outcomes.append(outcome)
    return outcomes


def alarm_refused(
    uow: UnitOfWork,
    outcome: FileOutcome,
    rejected_as: str,
    *,
    now: datetime,
    actor: Actor = SYSTEM,
) -> Alarmed | None:
    """Tells the company a refused file was meant for (its buyer, where that can be read and is a
    company here) that nothing is paid for it: an alarm, once per company and file.

    Args:
        outcome: the refusal, with the file's digest and glimpse.
        rejected_as: the file's name in rejected/.

    Returns:
        The company told (and whether it is told now or was before), or None: no alarm.
    """
    found = outcome.glimpse
    if found is None or found.buyer_org_no is None or not outcome.digest:
        return None
    shown = {
        "file": _shown(outcome.path.name, "file"),
        "rejected_as": _shown(rejected_as, "file"),
        "supplier": _shown(found.seller_name, "supplier"),
        "invoice_no": _shown(found.invoice_no, "invoice_no"),
        # The message ends the problem's sentence itself.
        "error": (_shown(outcome.problem, "error") or "").rstrip(". ") or None,
    }
    applied = answers.Applied()
    with uow:
        company = uow.companies.get(found.buyer_org_no)
        if company is None:
            return None
        answers.raise_alarm(
            uow,
            applied,
            key=f"ehf_refused:{company.id}:{outcome.digest}",
            company_id=company.id,
            kind=AlarmKind.EHF_REFUSED,
            message=alarm_texts.ehf_refused(
                shown["file"] or "?",
                shown["rejected_as"] or "?",
                shown["supplier"],
                shown["invoice_no"],
                shown["error"] or "?",
            ),
            details={**shown, "sha256": outcome.digest},
            now=now,
            actor=actor,
        )
        uow.commit()
    answers.log_alarms(applied.alarms)
    return Alarmed(company.org_no, new=bool(applied.alarms))


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
        return FileOutcome(
            path,
            "refused",
            problem=exc.user_message,
            digest=hashlib.sha256(data).hexdigest(),
            glimpse=glimpse(path.name, data),
        )
    return FileOutcome(path, imported.outcome, imported, warnings=len(file.warnings))


def _is_candidate(path: Path) -> bool:
    """An `.xml` file not hidden (a dropper writing `.name.xml` then renaming is not read)."""
    return path.suffix.lower() == ".xml" and not path.name.startswith(".")


def _move(path: Path, folder: Path) -> Path:
    """Moves `path` into `folder` (made when missing) under a name not taken there yet."""
    target = _free_name(path, folder)
    _move_to(path, target)
    return target


def _free_name(path: Path, folder: Path) -> Path:
    """`path`'s name in `folder`, numbered where taken (by a file or its .error.txt)."""
    target = folder / path.name
    n = 1
    while target.exists() or target.with_name(target.name + ".error.txt").exists():
        target = folder / f"{path.stem}.{n}{path.suffix}"
        n += 1
    return target


def _move_to(path: Path, target: Path) -> None:
    target.parent.mkdir(exist_ok=True)
    os.replace(path, target)


def _shown(text: str | None, what: str) -> str | None:
    """A text from a refused file as an alarm may show it: each character that is invisible or
    reorders what is shown (core.text) as U+FFFD, spaces collapsed, cut to its limit."""
    if text is None:
        return None
    text = " ".join(text.split())
    if not text.isprintable():
        text = "".join(
            "\ufffd" if unicodedata.category(char) in REFUSED_CATEGORIES else char for char in text
        )
    limit = SHOWN_LIMITS[what]
    return (text if len(text) <= limit else text[: limit - 1] + "…") or None
