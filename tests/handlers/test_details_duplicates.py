"""The Details modal of a possible duplicate names the payments it looks like, the paid ones
first, in both languages, within Slack's limits (pure Block Kit)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from slack_sdk.models.views import View as SdkView

from paybot.core.company import Language
from paybot.core.payments import Flag, PaymentView, Reason, ReferenceType
from paybot.core.states import PaymentStatus
from paybot.handlers.views.details_modal import LOOK_ALIKES, details_modal
from paybot.services.payments import DuplicateOf, PaymentDetails
from tests.builders import OSLO

KID = "1234567897"
# 23:30 on 1 December in UTC is 2 December in Oslo: the business day is said.
PAID_AT = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)


def a_payment(**overrides: Any) -> PaymentView:
    values: dict[str, Any] = {
        "id": 5,
        "company_org_no": "974760673",
        "status": PaymentStatus.PROPOSED,
        "flag": Flag.ORANGE,
        "reasons": (Reason.POSSIBLE_DUPLICATE,),
        "payee": "Leverandør AS",
        "account": "12345678903",
        "amount": Decimal("2219.00"),
        "currency": "NOK",
        "due_date": date(2026, 12, 10),
        "reference_type": ReferenceType.KID,
        "reference": KID,
        "voucher_no": "5001",
        "invoice_no": "F-101",
        "version": 1,
        "supplier_id": 1,
    }
    values.update(overrides)
    return PaymentView(**values)


def paid_twin() -> DuplicateOf:
    paid = a_payment(id=6, status=PaymentStatus.PAID, invoice_no="F-100", voucher_no="5000")
    return DuplicateOf(paid, PAID_AT)


def text_of(view: dict[str, Any]) -> str:
    SdkView(**view).to_dict()  # raises SlackObjectFormationError beyond Slack's limits
    return "\n".join(str(block["text"]["text"]) for block in view["blocks"] if "text" in block)


@pytest.mark.parametrize(
    ("language", "heading", "paid", "proposed"),
    [
        (
            Language.EN,
            "*It looks like these payments*",
            f"• #6 · Paid 2 Dec 2026 · NOK 2,219.00 · invoice F-100 / KID {KID}",
            f"• #7 · Proposals · NOK 2,219.00 · invoice F-102 / KID {KID}",
        ),
        (
            Language.NB,
            "*Den ligner på disse betalingene*",
            f"• #6 · Betalt 2. des. 2026 · NOK 2 219,00 · faktura F-100 / KID {KID}",
            f"• #7 · Betalingsforslag · NOK 2 219,00 · faktura F-102 / KID {KID}",
        ),
    ],
)
def test_a_possible_duplicate_names_the_paid_payment_it_looks_like(
    language: Language, heading: str, paid: str, proposed: str
) -> None:
    proposal = DuplicateOf(a_payment(id=7, invoice_no="F-102", voucher_no="5002"))
    details = PaymentDetails(a_payment(), [], [], [], duplicates_of=(paid_twin(), proposal))

    text = text_of(details_modal(details, language, OSLO))

    assert heading in text
    lines = text.splitlines()
    assert lines.index(paid) + 1 == lines.index(proposed)


def test_only_a_few_look_alikes_are_named_and_the_rest_counted() -> None:
    others = tuple(
        DuplicateOf(a_payment(id=100 + n, invoice_no="F-1" * 40, reference="9" * 140))
        for n in range(40)
    )
    details = PaymentDetails(a_payment(), [], [], [], duplicates_of=(paid_twin(), *others))

    text = text_of(details_modal(details, Language.EN, OSLO))

    assert text.count("\n• #") == LOOK_ALIKES
    assert "#6 · Paid 2 Dec 2026" in text
    assert f"…and {41 - LOOK_ALIKES} more" in text


def test_a_payment_that_looks_like_none_says_nothing_of_look_alikes() -> None:
    details = PaymentDetails(a_payment(flag=Flag.BLUE, reasons=()), [], [], [])
    assert "looks like" not in text_of(details_modal(details, Language.EN, OSLO)).lower()
