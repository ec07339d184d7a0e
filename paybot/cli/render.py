"""How payments look in the terminal and in JSON."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from paybot.core.identifiers import format_account
from paybot.core.money import format_plain
from paybot.core.payments import Flag, PaymentView

_FLAG_STYLE = {Flag.BLUE: "blue", Flag.ORANGE: "dark_orange", Flag.RED: "red"}


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


def payments_table(payments: Sequence[PaymentView], title: str | None = None) -> None:
    table = Table(title=title)
    for column, justify in (
        ("ID", "right"),
        ("Status", "left"),
        ("Flag", "left"),
        ("Payee", "left"),
        ("Account", "left"),
        ("Amount", "right"),
        ("Due", "left"),
        ("Reference", "left"),
        ("Reasons / why it failed", "left"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for p in payments:
        table.add_row(
            str(p.id),
            p.status.value,
            f"[{_FLAG_STYLE[p.flag]}]{p.flag.value}[/]",
            p.payee,
            format_account(p.account) if p.account else "-",
            f"{format_plain(p.amount, p.currency)} {p.currency}",
            p.due_date.isoformat() if p.due_date else "-",
            f"{p.reference_type.value}: {p.reference}" if p.reference else "-",
            p.failure_reason or ", ".join(reason.value for reason in p.reasons),
        )
    # Piped output has no terminal width; a wide table beats one folded into 80 columns.
    console = Console() if sys.stdout.isatty() else Console(width=160)
    console.print(table)
    console.print(f"{len(payments)} payment(s)")
