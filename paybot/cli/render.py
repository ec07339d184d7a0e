"""How payments look in the terminal and in JSON.

The terminal shows amounts and reference types as Slack does, in the company's language
(English when a listing spans several companies), and why a payment is flagged in words;
JSON keeps machine forms ("1234.50", "kid", "missing_bic").
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

import typer

from paybot.core.company import Language
from paybot.core.formatting import reference_text
from paybot.core.identifiers import format_account
from paybot.core.money import format_money, format_plain
from paybot.core.payments import Flag, PaymentView, Reason


def payment_dict(payment: PaymentView) -> dict[str, Any]:
    """The JSON shape of one payment, shared by `proposals list`, `search` and `payments show`."""
    return {
        "id": payment.id,
        "company": payment.company_org_no,
        "status": payment.status.value,
        "flag": payment.flag.value,
        "reasons": [reason.value for reason in payment.reasons],
        "payee": payment.payee,
        "account": payment.account,
        "amount": format_plain(payment.amount, payment.currency),
        "currency": payment.currency,
        "due_date": payment.due_date.isoformat() if payment.due_date else None,
        "reference_type": payment.reference_type.value,
        "reference": payment.reference,
        "voucher_no": payment.voucher_no,
        "invoice_no": payment.invoice_no,
        "version": payment.version,
        "bank_status": payment.bank_status,
        "failure": (
            None
            if payment.failure_kind is None
            else {
                "kind": payment.failure_kind,
                "reason": payment.failure_reason,
                "bank_text": payment.bank_text,
            }
        ),
    }


_COLUMNS = (
    ("ID", True),
    ("Status", False),
    ("Flag", False),
    ("Payee", False),
    ("Account", False),
    ("Amount", True),
    ("Due", False),
    ("Reference", False),
    ("Reasons / why it failed", False),
)  # (heading, aligned right)
_HEADINGS = [heading for heading, _ in _COLUMNS]
_FLAG = _HEADINGS.index("Flag")
_FLAG_COLOUR = {Flag.BLUE: "blue", Flag.ORANGE: "yellow", Flag.RED: "red"}
# Why a payment is flagged, in a line: longer words end in "…" (`payments show` has them whole).
# Most single reasons fit. Why it failed is shown whole: it may say what to check before paying.
WHY_WIDTH = 60
WHY_SHARE = 20  # the least of each reason shown when several share the column
# A listing has far fewer payees than payments: each account is formatted once.
_account = lru_cache(maxsize=4096)(format_account)


def company_language(org_nos: Iterable[str]) -> Language:
    """The language of the one company named; English when several (or none) are."""
    named = set(org_nos)
    if len(named) != 1:
        return Language.EN
    from paybot.cli import context as ctx
    from paybot.services import companies

    [org_no] = named
    found = {c.org_no: c.language for c in companies.list_companies(ctx.uow())}
    return found.get(org_no, Language.EN)


def payments_table(
    payments: Sequence[PaymentView], title: str | None = None, language: Language | None = None
) -> None:
    """Payments in aligned columns of plain text: a thousand rows print at once, and a pipe gets
    whole lines (a terminal also sees the flags in colour). Amounts and references in
    `language`, by default the companies' (`company_language`)."""
    if language is None:
        language = company_language(p.company_org_no for p in payments)
    rows = [_row(p, language) for p in payments]
    widths = [max(map(len, column)) for column in zip(_HEADINGS, *rows, strict=True)]
    lines = [title] if title else []
    lines.append(_line(_HEADINGS, widths))
    lines.append(_line(["-" * width for width in widths], widths))
    if sys.stdout.isatty():
        for payment, row in zip(payments, rows, strict=True):
            cells = _cells(row, widths)
            cells[_FLAG] = typer.style(cells[_FLAG], fg=_FLAG_COLOUR[payment.flag])
            lines.append("  ".join(cells).rstrip())
    else:
        # The same cells, padded by one format string per row (a thousand rows print at once).
        line = "  ".join(
            f"{{:{'>' if right else '<'}{width}}}"
            for (_, right), width in zip(_COLUMNS, widths, strict=True)
        )
        lines.extend(line.format(*row).rstrip() for row in rows)
    lines.append(f"{len(payments)} payment(s)")
    typer.echo("\n".join(lines))


def _row(p: PaymentView, language: Language) -> list[str]:
    return [
        str(p.id),
        p.status.value,
        p.flag.value,
        p.payee,
        _account(p.account) if p.account else "-",
        format_money(p.amount, p.currency, language),
        p.due_date.isoformat() if p.due_date else "-",
        reference_text(p.reference_type, p.reference, language) or "-",
        p.failure_reason or why_cell(p.reasons),
    ]


def reasons_text(reasons: Iterable[Reason]) -> str:
    """A flag's reasons in words, as paybot's cards say them in English (`Reason.description`).
    Their Norwegian is the Slack views' (paybot.handlers.views.i18n), which loads Slack's and
    the database's libraries: a listing does without."""
    return "; ".join(reason.description for reason in reasons)


def why_order(reason: Reason) -> tuple[bool, bool]:
    """A possible duplicate first (it may be paid twice), then what blocks, then the rest."""
    return (reason is not Reason.POSSIBLE_DUPLICATE, not reason.is_blocking)


def why_cell(reasons: Iterable[Reason]) -> str:
    """The reasons in words for one row: whole where they fit in WHY_WIDTH, else each cut to its
    share of it (never fewer than WHY_SHARE characters), so none falls off the end."""
    ordered = sorted(reasons, key=why_order)
    whole = reasons_text(ordered)
    if len(whole) <= WHY_WIDTH or len(ordered) < 2:
        return shortened(whole, WHY_WIDTH)
    share = max(WHY_WIDTH // len(ordered), WHY_SHARE)
    return "; ".join(shortened(reason.description, share) for reason in ordered)


def shortened(text: str, width: int) -> str:
    """`text` if it fits in `width` characters, else cut at a word's end with "…"."""
    if len(text) <= width:
        return text
    cut = text[: width - 1]
    if text[width - 1] != " " and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ;,:") + "…"


def _cells(row: Sequence[str], widths: Sequence[int]) -> list[str]:
    return [
        cell.rjust(width) if right else cell.ljust(width)
        for cell, width, (_, right) in zip(row, widths, _COLUMNS, strict=True)
    ]


def _line(row: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(_cells(row, widths)).rstrip()
