"""`paybot import ehf`: what became of each file, one line each, and a count."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from paybot.cli import context as ctx
from paybot.container import container

if TYPE_CHECKING:
    from paybot.core.ehf import EhfValidator
    from paybot.services.ehf_inbox import FileOutcome


def import_paths(paths: list[Path], company: str) -> None:
    from paybot.services.ehf_inbox import ehf_files, import_files

    counts = {"imported": 0, "known": 0, "refused": 0}
    with ctx.user_errors():
        validator = ehf_validator()
        files = ehf_files(paths)
        if not files:
            ctx.fail("no .xml files in " + ", ".join(str(p) for p in paths))
        outcomes = import_files(ctx.uow(), validator, files, now=ctx.now(), company_org_no=company)
        for outcome in outcomes:
            counts[outcome.outcome] += 1
            typer.echo(f"{outcome.path}: {_said(outcome)}")
    typer.echo(
        f"EHF: {counts['imported']} imported, {counts['known']} known already, "
        f"{counts['refused']} refused."
    )
    if counts["refused"]:
        raise typer.Exit(1)


def ehf_validator() -> EhfValidator:
    found = container().ehf_validator
    if found is None:
        ctx.fail(
            "EHF files are checked against the OASIS UBL 2.1 schemas first: set "
            "PAYBOT_UBL_SCHEMA_DIR to the xsd folder of UBL-2.1.zip "
            "(https://docs.oasis-open.org/ubl/os-UBL-2.1/UBL-2.1.zip), the one holding "
            "maindoc/ and common/"
        )
    return found


def _said(outcome: FileOutcome) -> str:
    imported = outcome.imported
    if imported is None:
        return f"refused: {outcome.problem}"
    if outcome.outcome == "known":
        return f"known already: {imported.detail}"
    warnings = f", {outcome.warnings} rule warning(s) (see Details)" if outcome.warnings else ""
    payment = f"payment #{imported.payment_id}" if imported.payment_id else "an open item"
    return f"imported as {payment} (voucher {imported.voucher_no}){warnings}"
