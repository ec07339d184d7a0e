"""The incoming payments' Slack views as pure functions: the daily summary within Slack's limits
however many payments wait, the lines of handled payments, the modals and the Home entries."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from paybot.core.company import CompanyInfo, DispatchTiming, Language, PostingMode
from paybot.core.posting import VoucherRef
from paybot.core.search_query import INCOMING_STATUSES
from paybot.handlers.ids import Act, Block, View
from paybot.handlers.views import incoming as views
from paybot.sandbox.block_limits import (
    MAX_MESSAGE_BLOCKS,
    MAX_MESSAGE_BLOCKS_JSON,
    message_problem,
)
from paybot.services.incoming import IncomingStatus, IncomingView
from paybot.services.incoming_summary import Line, Summary

ACME = CompanyInfo(
    id=1,
    org_no="974760673",
    name="Acme AS",
    currency="NOK",
    dispatch_timing=DispatchTiming.IMMEDIATE,
    approval_required=False,
    dual_control_threshold=None,
    posting_mode=PostingMode.PER_PAYMENT,
    language=Language.EN,
)


def a_payment(payment_id: int = 1, **overrides: Any) -> IncomingView:
    values: dict[str, Any] = {
        "id": payment_id,
        "company_org_no": ACME.org_no,
        "status": IncomingStatus.UNMATCHED,
        "version": 1,
        "amount": Decimal("250.00"),
        "currency": "NOK",
        "kid": "1000049",
        "payer": "NAV Økonomitjenester",
        "payment_date": date(2026, 11, 23),
        "account": "86011117947",
        "invoice_no": None,
        "reason": "unknown_kid",
        "detail": "no open invoice has this KID",
        "voucher": None,
        "delete_reason": None,
        "paired_with": None,
        "file": "in.ocr",
        "line": 3,
        "message": None,
    }
    return IncomingView(**(values | overrides))


def a_summary(unmatched: int) -> Summary:
    return Summary(
        company_org_no=ACME.org_no,
        day=date(2026, 11, 23),
        since=datetime(2026, 11, 20, 7, tzinfo=UTC),
        until=datetime(2026, 11, 23, 7, tzinfo=UTC),
        counts={"matched": 3, "partial": 1, "overpaid": 0, "unmatched": unmatched},
        sums={
            "matched": {"NOK": Decimal("3750.00")},
            "partial": {"NOK": Decimal("300.00")},
            "overpaid": {},
            "unmatched": {"NOK": Decimal("250.00") * unmatched},
        },
        unmatched=list(range(1, unmatched + 1)),
    )


def test_the_summary_counts_and_sums_each_group_and_offers_both_buttons() -> None:
    message = views.summary_message(ACME, a_summary(1), [Line(a_payment())], Language.EN)

    said = json.dumps(message["blocks"], ensure_ascii=False)
    assert "Matched and posted: *3* — NOK 3,750.00" in said
    assert "Partly paid: *1* — NOK 300.00" in said
    assert "Overpaid: *0*" in said
    actions = [b for b in message["blocks"] if b["type"] == "actions"]
    assert [e["action_id"] for e in actions[0]["elements"]] == [
        Act.INCOMING_POST.value,
        Act.INCOMING_MATCH.value,
    ]
    assert actions[0]["elements"][0]["value"] == f"{ACME.org_no}:1:1"
    assert message_problem(message) is None


@pytest.mark.parametrize("count", [30, 500])
def test_many_unmatched_payments_are_cut_within_slacks_limits_and_counted(count: int) -> None:
    lines = [
        Line(a_payment(n, payer="A payer with a long name " * 3, detail="x" * 150))
        for n in range(1, count + 1)
    ]

    message = views.summary_message(ACME, a_summary(count), lines, Language.NB)

    blocks = message["blocks"]
    assert len(blocks) <= MAX_MESSAGE_BLOCKS
    assert len(json.dumps(blocks)) <= MAX_MESSAGE_BLOCKS_JSON
    assert message_problem(message) is None
    shown = sum(1 for b in blocks if b["type"] == "actions")
    assert 0 < shown < count
    assert blocks[-1]["elements"][0]["text"] == (
        f"og {count - shown} til — `/bank search direction:in status:unmatched`"
    )


def test_a_handled_payment_says_what_became_of_it_and_has_no_button_rows() -> None:
    posted = Line(
        a_payment(status=IncomingStatus.POSTED, voucher=VoucherRef(2026, 7)),
        handled_by="UKARI",
        handled_by_name="Kari",
        account="3900",
    )
    matched = Line(
        a_payment(2, status=IncomingStatus.PARTIAL, invoice_no="1234"),
        handled_by="UOLA",
        handled_by_name="Ola",
    )
    deleted = Line(
        a_payment(3, status=IncomingStatus.DELETED, delete_reason="Paid twice"),
        handled_by_name="Kari",
    )

    assert views.fate(posted, Language.EN) == "📒 Posted to 3900 by <@UKARI> (7 of 2026)"
    assert views.fate(matched, Language.EN) == (
        "📒 Matched to invoice 1234 by <@UOLA> (partly paid)"
    )
    assert views.fate(deleted, Language.NB) == "🗑️ Slettet av Kari: Paid twice"
    assert views.fate(Line(a_payment()), Language.EN) is None
    assert all(b["type"] != "actions" for b in views.entry(posted, Language.EN))


def test_the_modals_carry_the_payment_and_version_and_the_fields_by_block_id() -> None:
    meta = views.Meta(ACME.org_no, 5, 2, Language.EN, channel="C1", ts="1.2")

    post = views.post_modal(Line(a_payment(5, version=2)), meta)
    match = views.match_modal(Line(a_payment(5, version=2)), meta)

    assert post["callback_id"] == View.INCOMING_POST.value
    assert [b.get("block_id") for b in post["blocks"][1:]] == [
        Block.GL_ACCOUNT.value,
        Block.POST_TEXT.value,
        Block.CUSTOMER.value,
    ]
    assert post["blocks"][3]["optional"] is True
    assert match["callback_id"] == View.INCOMING_MATCH.value
    assert views.Meta.load(post["private_metadata"]) == meta
    assert views.Meta.load("not json") is None


def test_home_entries_list_the_first_few_and_count_the_rest() -> None:
    lines = [Line(a_payment(n)) for n in range(1, 4)]

    blocks = views.home_entries(7, lines, Language.EN, per_status=2)

    assert blocks[0]["text"]["text"] == "*Incoming payments to handle* (7)"
    assert sum(1 for b in blocks if b["type"] == "actions") == 2
    assert blocks[-1]["elements"][0]["text"].startswith("and 5 more")
    assert views.home_entries(0, [], Language.EN, per_status=2) == []


def test_the_search_knows_every_status_of_an_incoming_payment() -> None:
    assert set(INCOMING_STATUSES) == {status.value for status in IncomingStatus}


@pytest.mark.parametrize(
    ("language", "said"),
    [(Language.EN, "no invoice has this KID"), (Language.NB, "ingen faktura har denne KID-en")],
)
def test_why_a_payment_matched_nothing_is_said_in_the_companys_language(
    language: Language, said: str
) -> None:
    line = Line(payment=a_payment(), handled_by=None, handled_by_name=None, account=None)
    text = views.payment_text(line, language)
    assert said in text and "KID 1000049" in text
    # What the ingest noted in English is not shown in a Norwegian view.
    matched = a_payment(status=IncomingStatus.MATCHED, detail="matched by hand (was: x)")
    shown = views.payment_text(Line(matched, None, None, None), Language.NB)
    assert "matched by hand" not in shown
