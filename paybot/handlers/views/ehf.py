"""What the Details modal shows of the EHF a proposal came from: who sold, who is paid, the
invoice lines and the rule warnings; no links (the document itself stays in paybot)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from paybot.core.company import Language
from paybot.core.money import format_money
from paybot.handlers.views.blocks import escape
from paybot.handlers.views.i18n import Phrase

TITLE = Phrase(
    "*Electronic invoice (EHF)* · {file} · {profile}",
    "*Elektronisk faktura (EHF)* · {file} · {profile}",
)
PROFILES = {
    "bis_billing_3": "PEPPOL BIS Billing 3.0",
    "ehf_forward_billing": "EHF Forward Billing 3.0",
    "en16931": "EN 16931",
}
CREDIT_NOTE = Phrase("Credit note {number}", "Kreditnota {number}")
INVOICE = Phrase("Invoice {number}", "Faktura {number}")
SELLER = Phrase("*Seller:* {party}", "*Selger:* {party}")
PAYEE = Phrase(
    "*Paid to:* {party} (not the seller: factoring or a collection agency)",
    "*Betales til:* {party} (ikke selgeren: factoring eller inkasso)",
)
LINES = Phrase("*Invoice lines*", "*Fakturalinjer*")
MORE_LINES = Phrase("… and {count} more line(s)", "… og {count} linje(r) til")
NOTE = Phrase("*Note:* {text}", "*Merknad:* {text}")
WARNINGS = Phrase(
    "*Rule warnings* (the file was taken; tell the supplier if they matter):",
    "*Regeladvarsler* (filen ble tatt imot; si fra til leverandøren om de betyr noe):",
)
SHOWN_LINES = 10
SHOWN_WARNINGS = 5


def ehf_lines(ehf: dict[str, Any], language: Language) -> list[str]:
    """The Details modal's lines about the EHF document (mrkdwn, escaped)."""
    summary = ehf.get("summary") or {}
    currency = str(summary.get("currency") or "")
    kind = CREDIT_NOTE if ehf.get("kind") == "credit_note" else INVOICE
    profile = PROFILES.get(str(ehf.get("profile")), str(ehf.get("profile")))
    lines = [
        TITLE(language, file=escape(str(ehf.get("file_name"))), profile=profile),
        kind(language, number=escape(str(summary.get("invoice_no") or ""))),
        SELLER(language, party=_party(ehf.get("seller_name"), ehf.get("seller_org_no"))),
    ]
    if ehf.get("payee_name"):
        lines.append(PAYEE(language, party=_party(ehf["payee_name"], ehf.get("payee_org_no"))))
    invoice_lines = summary.get("lines") or []
    if invoice_lines:
        lines.append(LINES(language))
        lines += [f"• {_line(line, currency, language)}" for line in invoice_lines[:SHOWN_LINES]]
        if len(invoice_lines) > SHOWN_LINES:
            lines.append(MORE_LINES(language, count=len(invoice_lines) - SHOWN_LINES))
    if summary.get("note"):
        lines.append(NOTE(language, text=escape(str(summary["note"])[:300])))
    warnings = ehf.get("warnings") or []
    if warnings:
        lines.append(WARNINGS(language))
        lines += [
            f"• {escape(str(w.get('rule_id')))}: {escape(str(w.get('text'))[:200])}"
            for w in warnings[:SHOWN_WARNINGS]
        ]
    return lines


def _party(name: object, org_no: object) -> str:
    said = escape(str(name or "–"))
    return f"{said} ({escape(str(org_no))})" if org_no else said


def _line(line: dict[str, Any], currency: str, language: Language) -> str:
    description = escape(str(line.get("description") or "–")[:120])
    quantity = line.get("quantity")
    unit = line.get("unit")
    amount = _decimal(line.get("amount"))
    parts = [description]
    if quantity is not None:
        parts.append(f"{escape(str(quantity))} {escape(str(unit))}" if unit else str(quantity))
    if amount is not None and currency:
        parts.append(format_money(amount, currency, language))
    return " · ".join(parts)


def _decimal(value: object) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None
