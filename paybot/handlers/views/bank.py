"""What `/bank` answers: help, counts per status, search results with paging."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from paybot.core.payments import PaymentView
from paybot.core.search_query import SEARCH_FIELDS
from paybot.core.states import PaymentStatus
from paybot.handlers.views.blocks import Block, context, divider, header, payment_line, section

PAGE = 20  # results per answer: well under 50 blocks and 3000 characters a section

HELP = (
    "*/bank* — find and follow payments\n"
    "• `/bank search QUERY` — terms like `company:acme amount:>1000 status:failed,processing "
    "due:2026-12-01..2026-12-31 to:1234.56.78903 currency:EUR` or plain words; add `page:2` "
    "for more\n"
    "• `/bank status` — how many payments are in each state\n"
    "• `/bank help` — this text\n"
    f"Search fields: {', '.join(SEARCH_FIELDS)}."
)


def answer(text: str, blocks: Sequence[Block] | None = None) -> dict[str, Any]:
    """An ephemeral answer to the person who typed the command."""
    return {
        "response_type": "ephemeral",
        "text": text,
        "blocks": list(blocks or [section(text)]),
    }


def help_answer() -> dict[str, Any]:
    return answer("How to use /bank", [section(HELP)])


def status_answer(counts: Sequence[tuple[str, dict[PaymentStatus, int]]]) -> dict[str, Any]:
    blocks: list[Block] = [header("Payments per status")]
    for company, per_status in counts:
        lines = [f"{status.label}: *{per_status.get(status, 0)}*" for status in PaymentStatus]
        blocks.append(section(f"*{company}*\n" + " · ".join(lines)))
    if len(blocks) == 1:
        return answer("You have no role in any company in paybot yet; ask an admin.")
    return answer("Payments per status", blocks)


def search_answer(query: str, found: Sequence[PaymentView], page: int) -> dict[str, Any]:
    start = (page - 1) * PAGE
    shown = found[start : start + PAGE]
    title = f"{len(found)} payment(s) match `{query or 'everything'}`"
    if not shown:
        return answer(title if not found else f"{title}; there is no page {page}.")
    blocks: list[Block] = [section(title), divider()]
    blocks.append(section("\n".join(payment_line(payment) for payment in shown)))
    pages = (len(found) + PAGE - 1) // PAGE
    if pages > 1:
        more = f" Add `page:{page + 1}` for more." if page < pages else ""
        blocks.append(context(f"Page {page} of {pages}.{more}"))
    return answer(title, blocks)
