"""The daily post's messages as pure Block Kit: every message within Slack's limits however many
proposals there are, now and after the clicks that make entries longer."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from paybot.core.company import CompanyInfo, DispatchTiming, Language, PostingMode
from paybot.core.payments import Flag, LastStep, PaymentView, Reason, ReferenceType
from paybot.core.states import PaymentStatus
from paybot.handlers.ids import Act
from paybot.handlers.views.cards import BLOCKS_PER_ENTRY, payment_entries
from paybot.handlers.views.digest import PostMessage, digest_messages
from paybot.sandbox.slack_api import FakeSlack
from paybot.services.daily_post import Digest
from tests.builders import OSLO

COMPANY = CompanyInfo(
    id=1,
    org_no="974760673",
    name="Acme AS",
    currency="NOK",
    dispatch_timing=DispatchTiming.DUE,
    approval_required=False,
    dual_control_threshold=None,
    posting_mode=PostingMode.PER_PAYMENT,
    language=Language.EN,
    proposals_channel="C0PROPOSALS",
)
TODAY = date(2026, 11, 23)
FLAGGED = {
    Flag.BLUE: (),
    Flag.ORANGE: (Reason.OPEN_CREDIT_ITEMS, Reason.ACCOUNT_CHANGED, Reason.POSSIBLE_DUPLICATE),
    Flag.RED: (Reason.MISSING_ACCOUNT, Reason.MISSING_REFERENCE),
}


def a_payment(number: int, **overrides: Any) -> PaymentView:
    flag = list(Flag)[number % 3]
    values: dict[str, Any] = {
        "id": 100_000 + number,
        "company_org_no": COMPANY.org_no,
        "status": PaymentStatus.PROPOSED,
        "flag": flag,
        "reasons": FLAGGED[flag],
        "payee": f"Leverandør nummer {number} AS",
        "account": "12345678903",
        "amount": Decimal("12345.50"),
        "currency": "NOK",
        "due_date": date(2026, 12, 1),
        "reference_type": ReferenceType.KID,
        "reference": "12345678903",
        "voucher_no": str(number),
        "invoice_no": f"INV-{number}",
        "version": 1,
        "supplier_id": 1,
    }
    values.update(overrides)
    return PaymentView(**values)


def a_digest(payments: list[PaymentView], steps: dict[int, LastStep] | None = None) -> Digest:
    counts = {flag: sum(1 for p in payments if p.flag is flag) for flag in Flag}
    totals: dict[str, Decimal] = {}
    for payment in payments:
        totals[payment.currency] = totals.get(payment.currency, Decimal(0)) + payment.amount
    return Digest(COMPANY, counts, totals, payments, steps or {}, TODAY)


def many(count: int, **overrides: Any) -> list[PaymentView]:
    return [a_payment(number, **overrides) for number in range(count)]


def shown(message: PostMessage) -> list[int]:
    return [
        int(match.group(1))
        for block in message.blocks
        if (match := re.fullmatch(r"p:(\d+):v\d+", str(block.get("block_id", ""))))
    ]


def assert_within_slack_limits(messages: list[PostMessage]) -> None:
    slack = FakeSlack()
    for message in messages:
        # Budgeted as if every entry had its three blocks.
        assert len(message.intro) + BLOCKS_PER_ENTRY * len(message.payment_ids) <= 50
        assert len(json.dumps(message.blocks)) <= 12_000
        sections = [b["text"]["text"] for b in message.blocks if b["type"] == "section"]
        assert all(len(text) <= 3000 for text in sections)
        body = {"channel": "C0PROPOSALS", "text": message.text, "blocks": message.blocks}
        assert slack.answer("chat.postMessage", body, slack.token)[1]["ok"], message.text


@pytest.mark.parametrize("count", [1, 16, 17, 2000])
@pytest.mark.parametrize("language", list(Language))
def test_every_message_fits_and_every_proposal_is_shown_once_in_order(
    count: int, language: Language
) -> None:
    payments = many(count)
    messages = digest_messages(a_digest(payments), language, OSLO)

    assert_within_slack_limits(messages)
    assert [pid for m in messages for pid in shown(m)] == [p.id for p in payments]
    assert [pid for m in messages for pid in m.payment_ids] == [p.id for p in payments]
    assert all(m.payment_ids for m in messages)


def test_a_post_that_fits_is_one_message_with_the_summary_first() -> None:
    [message] = digest_messages(a_digest(many(3)), Language.EN, OSLO)
    header, summary, note = message.intro
    assert header["text"]["text"] == "Payment proposals · Acme AS · 23 Nov 2026"
    assert note["elements"][0]["text"] == (
        "Counted when posted; each payment below shows its state now."
    )
    assert "🔵 1 blue · 🟠 1 orange · 🔴 1 red" in summary["text"]["text"]
    assert "*Total:* NOK 37,036.50" in summary["text"]["text"]
    assert summary["accessory"]["action_id"] == Act.SIGN_ALL_BLUE.value
    assert message.text.startswith("Payment proposals · Acme AS · 23 Nov 2026: 3")


def test_the_rest_go_into_messages_that_say_which_proposals_they_show() -> None:
    messages = digest_messages(a_digest(many(2000)), Language.EN, OSLO)
    first, second, *_ = messages

    shown_first = len(first.payment_ids)
    assert f"Proposals 1–{shown_first} of 2000 · the rest are in the thread" in json.dumps(
        first.intro, ensure_ascii=False
    )
    [line] = second.intro
    expected = f"Proposals {shown_first + 1}–{shown_first + len(second.payment_ids)} of 2000"
    assert line == {"type": "context", "elements": [{"type": "mrkdwn", "text": expected}]}
    assert second.text == expected
    assert messages[-1].text.endswith("–2000 of 2000")


def test_in_norwegian_the_ranges_and_amounts_are_norwegian() -> None:
    messages = digest_messages(a_digest(many(40)), Language.NB, OSLO)
    everything = json.dumps([m.blocks for m in messages], ensure_ascii=False)
    assert "Betalingsforslag 1–" in everything and " av 40" in everything
    assert "*Sum:* NOK 493 820,00" in everything


def test_messages_still_fit_after_every_entry_reaches_its_longest_state() -> None:
    payments = many(300)
    messages = digest_messages(a_digest(payments), Language.NB, OSLO)
    by_id = {p.id: p for p in payments}
    at = datetime(2026, 11, 23, 8, 12, tzinfo=UTC)
    fixed: dict[str, Any] = {  # a red one, fixed: orange (or blue), Approve, Sign and a menu
        "flag": Flag.ORANGE,
        "reasons": FLAGGED[Flag.ORANGE],
        "version": 99,
    }
    for later, step in [
        (fixed, LastStep("payment.fix", "U0123456789ABCDEFGH", "", at)),
        (
            {"status": PaymentStatus.APPROVED, "version": 99},
            LastStep("payment.first_signature", "U0123456789ABCDEFGH", "", at),
        ),
        (
            {
                "status": PaymentStatus.FAILED,
                "failure_kind": "no_return",
                "failure_reason": "No answer from the bank: check the netbank before paying again.",
                "version": 1234,
            },
            LastStep("payment.no_return", None, "paybot", at),
        ),
    ]:
        for message in messages:
            now = [replace(by_id[pid], **later) for pid in message.payment_ids]
            steps = {p.id: step for p in now}
            # Updated weeks later, when every one of them is overdue.
            entries = payment_entries(
                now, steps, Language.NB, zone=OSLO, follow_up=False, today=date(2027, 1, 4)
            )
            blocks = [*message.intro, *entries]
            assert len(blocks) <= 50
            assert len(json.dumps(blocks)) <= 12_000


def test_long_payee_names_mean_fewer_entries_per_message_not_a_refusal() -> None:
    names = ["Ø" * 200, "&<>" * 66, "x" * 5000]
    payments = [a_payment(n, payee=names[n % 3]) for n in range(60)]
    messages = digest_messages(a_digest(payments), Language.EN, OSLO)

    assert_within_slack_limits(messages)
    assert [pid for m in messages for pid in m.payment_ids] == [p.id for p in payments]
    assert len(messages) > len(digest_messages(a_digest(many(60)), Language.EN, OSLO))


def test_approved_proposals_are_counted_as_waiting_for_a_signer() -> None:
    payments = [a_payment(0), a_payment(3, status=PaymentStatus.APPROVED)]
    [message] = digest_messages(a_digest(payments), Language.EN, OSLO)
    assert "*2 proposal(s)* · 1 approved, waiting for a signer" in json.dumps(
        message.intro, ensure_ascii=False
    )


def test_no_blue_proposals_no_sign_all_blue_button() -> None:
    [message] = digest_messages(a_digest([a_payment(1), a_payment(2)]), Language.EN, OSLO)
    assert "accessory" not in message.intro[1]


@pytest.mark.parametrize(
    ("language", "words"),
    [(Language.EN, "No proposals today."), (Language.NB, "Ingen betalingsforslag i dag.")],
)
def test_no_proposals_is_one_short_message(language: Language, words: str) -> None:
    [message] = digest_messages(a_digest([]), language, OSLO)
    assert message.payment_ids == [] and words in message.text
    assert words in json.dumps(message.blocks, ensure_ascii=False)
    assert_within_slack_limits([message])
