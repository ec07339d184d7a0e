"""Post (Bokfør) as pure Block Kit: the button on a paid payment for those who may post, a posted
payment's card naming its voucher, and a paid batch's alert before and after posting, in both
languages; each within Slack's limits (built with slack_sdk's models)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from slack_sdk.models.blocks import Block

from paybot.core.company import Language
from paybot.core.payments import LastStep
from paybot.core.posting import VoucherRef
from paybot.core.states import PaymentStatus
from paybot.handlers.ids import Act, Overflow
from paybot.handlers.views import alerts
from paybot.handlers.views.cards import buttons, payment_entry
from paybot.services.alerts import Alert, AlertKind, PaidBatch
from tests.builders import OSLO
from tests.handlers.test_cards_view import a_payment

AT = datetime(2026, 11, 25, 10, 30, tzinfo=UTC)  # 11:30 in Oslo


def kinds(elements: list[dict[str, object]]) -> list[object]:
    return [element["action_id"] for element in elements]


def test_a_paid_payment_offers_post_only_to_those_who_may_post() -> None:
    paid = a_payment(status=PaymentStatus.PAID)

    assert kinds(buttons(paid, Language.EN)) == [Act.MORE]
    offered = buttons(paid, Language.NB, may_post=True)
    assert kinds(offered) == [Act.POST, Act.MORE]
    assert offered[0]["text"]["text"] == "Bokfør"  # type: ignore[index]
    assert offered[0]["value"] == "974760673:42"
    assert offered[1]["options"][0]["value"] == f"{Overflow.DETAILS.value}:42"  # type: ignore[index]
    # Not paid (yet, or any more): no Post, whoever looks.
    for status in (PaymentStatus.PROCESSING, PaymentStatus.POSTED):
        assert Act.POST not in kinds(buttons(a_payment(status=status), Language.EN, may_post=True))


def test_a_posted_payments_card_names_its_voucher_and_who_posted_it() -> None:
    posted = a_payment(status=PaymentStatus.POSTED)
    step = LastStep("payment.post", "UKARI", "Kari", AT)

    blocks = payment_entry(posted, step, Language.NB, zone=OSLO, voucher=VoucherRef(2026, 5))

    assert "*Bokført som bilag 5*" in blocks[0]["text"]["text"]
    assert blocks[1]["elements"][0]["text"] == "Bokført av <@UKARI> kl. 11:30"
    unknown = payment_entry(posted, None, Language.EN, zone=OSLO)
    assert "*Posted*" in unknown[0]["text"]["text"]
    for block in blocks:
        Block.parse(block).validate_json()  # type: ignore[union-attr]


def paid_alert(language: Language) -> Alert:
    return Alert(
        key="alert:paid:9",
        kind=AlertKind.PAID,
        company_org_no="974760673",
        channel="C0ALERTS",
        language=language,
        batch=PaidBatch(9, 3, 2, (("NOK", Decimal("5000.00")),)),
    )


def test_a_paid_batchs_alert_offers_post_and_once_posted_says_as_which_vouchers() -> None:
    message = alerts.message(paid_alert(Language.EN), OSLO)
    [sentence, actions] = message["blocks"]
    [post] = actions["elements"]
    assert (post["action_id"], post["value"], post["text"]["text"]) == (
        Act.POST_BATCH,
        "974760673:3",
        "Post",
    )

    refs = [VoucherRef(2026, 5), VoucherRef(2026, 6), VoucherRef(2026, 7)]
    after = alerts.posted(message["blocks"], refs, Language.EN, zone=OSLO, who="UKARI", at=AT)

    assert after[0] == sentence and [b["type"] for b in after] == ["section", "context"]
    assert after[1]["elements"][0]["text"] == "📒 Posted as vouchers 5–7 by <@UKARI> at 11:30"
    # Told again (posted already): the line is replaced, never doubled.
    again = alerts.posted(after, refs[:1], Language.NB, zone=OSLO)
    assert [b["type"] for b in again] == ["section", "context"]
    assert again[1]["elements"][0]["text"] == "📒 Bokført som bilag 5"
    for block in again:
        Block.parse(block).validate_json()  # type: ignore[union-attr]


def test_voucher_numbers_read_well() -> None:
    two = [VoucherRef(2026, 9), VoucherRef(2026, 5)]
    assert alerts.voucher_numbers(two, Language.EN) == "vouchers 5, 9"
    assert alerts.voucher_numbers(two, Language.NB) == "bilag 5, 9"
    assert alerts.voucher_numbers([VoucherRef(2026, 1)], Language.EN) == "voucher 1"
