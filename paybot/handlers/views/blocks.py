"""Small pieces every view is built from; texts are cut to Slack's limits here."""

from __future__ import annotations

from typing import Any

from paybot.core.identifiers import format_account
from paybot.core.money import format_plain
from paybot.core.payments import Flag, PaymentView

SECTION_LIMIT = 3000
HEADER_LIMIT = 150
FLAG_EMOJI = {Flag.BLUE: "🔵", Flag.ORANGE: "🟠", Flag.RED: "🔴"}

Block = dict[str, Any]


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": _cut(text, HEADER_LIMIT)}}


def section(markdown: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(markdown, SECTION_LIMIT)}}


def context(markdown: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(markdown, 3000)}]}


def divider() -> Block:
    return {"type": "divider"}


def payment_line(payment: PaymentView) -> str:
    """One line a person reads: flag, payee, amount, due date, status, account, reference."""
    account = format_account(payment.account) if payment.account else "no account"
    reference = f"{payment.reference_type.value} {payment.reference}" if payment.reference else "-"
    amount = f"{format_plain(payment.amount, payment.currency)} {payment.currency}"
    why = f" — {payment.failure_reason}" if payment.failure_reason else ""
    return (
        f"{FLAG_EMOJI[payment.flag]} *{escape(payment.payee)}* {amount}, due "
        f"{payment.due_date.isoformat() if payment.due_date else '-'} · {payment.status.value} · "
        f"{account} · {escape(reference)} · #{payment.id}{escape(why)}"
    )


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape(text: str) -> str:
    """Slack's mrkdwn needs &, < and > escaped; everything else is shown as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
