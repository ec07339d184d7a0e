"""The daily proposals post as Slack messages: a summary, then one entry per proposal, split
over a thread so that no message breaks a Slack limit, however many proposals there are.

Each message is budgeted for the longest state its entries may reach later: a click updates
the message in place (chat.update), and an entry then gains a "Approved by" line, a status
line or other buttons. A message that fits today must still fit then.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from zoneinfo import ZoneInfo

from paybot.core.company import Language
from paybot.core.money import format_money
from paybot.core.payments import Flag, LastStep, PaymentView, Reason
from paybot.core.states import PaymentStatus
from paybot.handlers.ids import Act
from paybot.handlers.views.blocks import Block, context, escape, header, section
from paybot.handlers.views.cards import BLOCKS_PER_ENTRY, button, longest_step, payment_entry
from paybot.handlers.views.i18n import FLAG_EMOJI, Phrase, day
from paybot.services.daily_post import Digest

MAX_BLOCKS = 50
# Slack answers msg_blocks_too_long near 13,000 characters of blocks JSON; keep clear of it.
MAX_BLOCKS_JSON = 12_000
# A failure reason is a few bank reason texts; room for this much is kept per entry.
FAILURE_ROOM = 160
# The longest Slack user id an "Approved by <@U...>" line may name.
LONGEST_USER_ID = "U" + "W" * 20

TITLE = Phrase("Payment proposals", "Betalingsforslag")
NONE_TODAY = Phrase("No proposals today.", "Ingen betalingsforslag i dag.")
HOW_MANY = Phrase("*{count} proposal(s)*", "*{count} betalingsforslag*")
APPROVED_WAITING = Phrase(
    "{count} approved, waiting for a signer", "{count} godkjent, venter på signering"
)
TOTAL = Phrase("*Total:* {amounts}", "*Sum:* {amounts}")
ELECTRONIC = Phrase(
    ":incoming_envelope: {count} came in electronically (EHF), read straight from the invoice",
    ":incoming_envelope: {count} kom inn elektronisk (EHF), lest rett fra fakturaen",
)
# No count on the button: the message stays as posted while payments are signed, and the modal
# it opens lists the blue ones there are then.
SIGN_ALL_BLUE = Phrase("Sign all blue", "Signer alle blå")
AS_POSTED = Phrase(
    "Counted when posted; each payment below shows its state now.",
    "Telt da meldingen ble sendt; hver betaling under viser sin tilstand nå.",
)
RANGE = Phrase("Proposals {first}–{last} of {count}", "Betalingsforslag {first}–{last} av {count}")
IN_THREAD = Phrase("the rest are in the thread", "resten ligger i tråden")
COUNTED = {
    Flag.BLUE: Phrase("{count} blue", "{count} blå"),
    Flag.ORANGE: Phrase("{count} orange", "{count} oransje"),
    Flag.RED: Phrase("{count} red", "{count} røde"),
}


@dataclass(frozen=True)
class PostMessage:
    """One message of the post: `intro` goes above the payments, `blocks` is all of it now."""

    text: str
    intro: list[Block]
    payment_ids: list[int]
    blocks: list[Block]


def digest_messages(digest: Digest, language: Language, zone: ZoneInfo) -> list[PostMessage]:
    """The first message (summary and the first entries), then the rest, for its thread."""
    proposals = digest.proposals
    if not proposals:
        return [_nothing_today(digest, language)]
    entries = [
        payment_entry(
            p,
            digest.steps.get(p.id),
            language,
            zone=zone,
            follow_up=False,
            today=digest.today,
            approval_required=digest.company.approval_required,
        )
        for p in proposals
    ]
    budget = _Budget(language)
    sizes = [
        budget.size(p, digest.steps.get(p.id), e) for p, e in zip(proposals, entries, strict=True)
    ]
    everything = _summary(digest, language, shown=None)
    if _fits(everything, sizes) >= len(proposals):
        return [_message(everything, proposals, entries, _first_text(digest, language))]

    count = len(proposals)
    # The range line's length is reserved with the widest numbers it can have.
    widest = _range_line(count, count, count, language, first=True)
    taken = _fits(_summary(digest, language, shown=widest), sizes)
    first = _summary(digest, language, shown=_range_line(1, taken, count, language, first=True))
    messages = [_message(first, proposals[:taken], entries[:taken], _first_text(digest, language))]
    start = taken
    reserve = [context(_range_line(count, count, count, language, first=False))]
    while start < count:
        taken = _fits(reserve, sizes[start:])
        line = _range_line(start + 1, start + taken, count, language, first=False)
        shown = slice(start, start + taken)
        messages.append(_message([context(line)], proposals[shown], entries[shown], line))
        start += taken
    return messages


def _fits(intro: list[Block], sizes: Sequence[int]) -> int:
    """How many of the next entries fit under the intro; at least one, so posting moves on."""
    blocks = len(intro)
    length = len(json.dumps(intro))
    taken = 0
    for size in sizes:
        blocks += BLOCKS_PER_ENTRY
        length += size
        if blocks > MAX_BLOCKS or length > MAX_BLOCKS_JSON:
            break
        taken += 1
    return max(taken, 1)


def _message(
    intro: list[Block],
    payments: Sequence[PaymentView],
    entries: Sequence[list[Block]],
    text: str,
) -> PostMessage:
    blocks = [*intro, *(block for entry in entries for block in entry)]
    return PostMessage(text=text, intro=intro, payment_ids=[p.id for p in payments], blocks=blocks)


def _summary(digest: Digest, language: Language, *, shown: str | None) -> list[Block]:
    """Header; counts per flag, totals per currency, and "Sign all blue" when there are blue
    ones; which proposals this message shows when the rest are in the thread."""
    approved = sum(1 for p in digest.proposals if p.status is PaymentStatus.APPROVED)
    lines = [HOW_MANY(language, count=len(digest.proposals))]
    if approved:
        lines[0] += f" · {APPROVED_WAITING(language, count=approved)}"
    lines.append(
        " · ".join(
            f"{FLAG_EMOJI[flag]} {COUNTED[flag](language, count=count)}"
            for flag, count in digest.counts.items()
        )
    )
    amounts = " · ".join(
        format_money(total, currency, language) for currency, total in digest.totals.items()
    )
    lines.append(TOTAL(language, amounts=amounts))
    if digest.electronic:
        lines.append(ELECTRONIC(language, count=digest.electronic))
    summary = section("\n".join(lines))
    blue = len(digest.blue)
    if blue:
        summary["accessory"] = button(
            SIGN_ALL_BLUE(language),
            Act.SIGN_ALL_BLUE,
            digest.company.org_no,
            style="primary",
        )
    blocks = [header(_title(digest, language)), summary]
    notes = [AS_POSTED(language)] if digest.proposals else []
    if shown is not None:
        notes.insert(0, shown)
    if notes:
        blocks.append(context(" · ".join(notes)))
    return blocks


def _title(digest: Digest, language: Language) -> str:
    parts = [TITLE(language), digest.company.name]
    if digest.today is not None:
        parts.append(day(digest.today, language))
    return " · ".join(parts)


def _first_text(digest: Digest, language: Language) -> str:
    counts = ", ".join(COUNTED[flag](language, count=n) for flag, n in digest.counts.items())
    return f"{_title(digest, language)}: {len(digest.proposals)} ({counts})"


def _range_line(start: int, end: int, count: int, language: Language, *, first: bool) -> str:
    line = RANGE(language, first=start, last=end, count=count)
    return f"{line} · {IN_THREAD(language)}" if first else line


def _nothing_today(digest: Digest, language: Language) -> PostMessage:
    text = f"{_title(digest, language)}: {NONE_TODAY(language)}"
    intro = [section(f"*{escape(_title(digest, language))}*\n{NONE_TODAY(language)}")]
    return PostMessage(text=text, intro=intro, payment_ids=[], blocks=intro)


class _Budget:
    """Characters of each entry's blocks JSON in the longest state it may reach while posted:
    any state, with a newer version and the longest "who did what" line; or as it is now.

    Rendering every state of 2,000 entries takes seconds, so every state is rendered only for
    the first entry of each shape (state, flag, reasons, failure, last step); later entries of
    that shape are rendered in the states that came within MARGIN of the longest. What differs
    between entries of one shape (payee, amount, in texts and confirm dialogs) moves a state's
    length by less than that.
    """

    MARGIN = 400

    def __init__(self, language: Language) -> None:
        self.language = language
        self._longest = _longest_step(language)
        self._candidates: dict[tuple[object, ...], list[PaymentStatus]] = {}

    def size(self, payment: PaymentView, step: LastStep | None, now: list[Block]) -> int:
        shape = (
            payment.status,
            payment.flag,
            payment.reasons,
            payment.failure_kind,
            None if step is None else (step.action, step.slack_user_id is None),
        )
        candidates = self._candidates.get(shape)
        if candidates is None:
            sizes = {status: self._measure(payment, status) for status in PaymentStatus}
            top = max(sizes.values())
            self._candidates[shape] = [s for s, n in sizes.items() if n >= top - self.MARGIN]
            return max(top, len(json.dumps(now)))
        return max(len(json.dumps(now)), *(self._measure(payment, s) for s in candidates))

    def _measure(self, payment: PaymentView, status: PaymentStatus) -> int:
        later = _as(replace(payment, version=payment.version + 10_000), status)
        return max(len(json.dumps(self._entry(shown))) for shown in _after_fix(later))

    def _entry(self, payment: PaymentView) -> list[Block]:
        # Any zone: a time is as long in each. Any day after the due date: the entry may say
        # it is overdue by the time it is updated.
        return payment_entry(
            payment,
            self._longest,
            self.language,
            zone=ZoneInfo("UTC"),
            follow_up=False,
            today=date.max,
        )


def _after_fix(payment: PaymentView) -> list[PaymentView]:
    """A red entry offers Fix and Details; once fixed it is blue or orange, with Approve, Sign
    and a menu instead: the longest it may then be is orange with every reason a fix leaves."""
    if payment.flag is not Flag.RED:
        return [payment]
    fixed = tuple(reason for reason in Reason if not reason.is_blocking)
    return [payment, replace(payment, flag=Flag.ORANGE, reasons=fixed)]


def _as(payment: PaymentView, status: PaymentStatus) -> PaymentView:
    if status is not PaymentStatus.FAILED:
        return replace(payment, status=status, failure_kind=None, failure_reason=None)
    # A missing return has the most buttons; any failure shows its reason.
    return replace(
        payment, status=status, failure_kind="no_return", failure_reason="x" * FAILURE_ROOM
    )


@cache
def _longest_step(language: Language) -> LastStep:
    """The step whose line is the longest, done by someone with the longest Slack id."""
    return longest_step(language, LONGEST_USER_ID)
