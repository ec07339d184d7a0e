"""A payment's card as a finance person reads it, as pure Block Kit: what a red proposal offers
instead of Approve and Sign, when a payment says it is overdue, and references and amounts in
words and one form per language (cards, search lines, the Fix and Details modals)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from paybot.core.company import CompanyInfo, DispatchTiming, Language, PostingMode
from paybot.core.payments import Flag, PaymentView, Reason, ReferenceType
from paybot.core.policy import Role
from paybot.core.signing import SignerLimits
from paybot.core.states import PaymentStatus
from paybot.handlers.ids import Act, Overflow
from paybot.handlers.views.cards import (
    buttons,
    is_overdue,
    payment_entry,
    payment_line,
    payment_summary,
)
from paybot.handlers.views.details_modal import details_modal
from paybot.handlers.views.fix_modal import fix_modal
from paybot.handlers.views.home import CompanyHome, home_view
from paybot.services.payments import PaymentDetails
from paybot.services.people import Member
from tests.builders import OSLO

DUE = date(2026, 12, 1)


def a_payment(**overrides: Any) -> PaymentView:
    values: dict[str, Any] = {
        "id": 42,
        "company_org_no": "974760673",
        "status": PaymentStatus.PROPOSED,
        "flag": Flag.BLUE,
        "reasons": (),
        "payee": "Leverandør AS",
        "account": "12345678903",
        "amount": Decimal("25000.00"),
        "currency": "NOK",
        "due_date": DUE,
        "reference_type": ReferenceType.KID,
        "reference": "1234567897",
        "voucher_no": "5001",
        "invoice_no": "F-1",
        "version": 3,
        "supplier_id": 1,
    }
    values.update(overrides)
    return PaymentView(**values)


def a_red(**overrides: Any) -> PaymentView:
    return a_payment(
        flag=Flag.RED,
        reasons=(Reason.MISSING_REFERENCE,),
        reference_type=ReferenceType.EMPTY,
        reference=None,
        **overrides,
    )


def actions_of(elements: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    """(action id, style) of each button; ("menu", None) for the overflow."""
    return [
        (e["action_id"], e.get("style")) if e["type"] == "button" else ("menu", None)
        for e in elements
    ]


def menu_of(elements: list[dict[str, Any]]) -> list[str]:
    [menu] = [e for e in elements if e["type"] == "overflow"] or [{"options": []}]
    return [option["value"].split(":")[0] for option in menu["options"]]


def text_of(blocks: Any) -> str:
    return json.dumps(blocks, ensure_ascii=False)


# --- a red proposal: Fix and Details, never Approve or Sign ---------------------------------------


@pytest.mark.parametrize("status", [PaymentStatus.PROPOSED, PaymentStatus.APPROVED])
@pytest.mark.parametrize("follow_up", [True, False])
def test_a_red_proposal_offers_fix_first_and_details_not_approve_or_sign(
    status: PaymentStatus, follow_up: bool
) -> None:
    elements = buttons(a_red(status=status), Language.EN, follow_up=follow_up)

    assert actions_of(elements) == [
        (Act.FIX.value, "primary"),
        (Act.DETAILS.value, None),
        ("menu", None),
    ]
    assert menu_of(elements) == [Overflow.DELETE.value]  # deleting it stays possible
    assert [e["value"] for e in elements if e["type"] == "button"] == ["42", "42"]


def test_a_red_proposals_buttons_are_in_norwegian_for_a_norwegian_company() -> None:
    elements = buttons(a_red(), Language.NB)
    assert [e["text"]["text"] for e in elements if e["type"] == "button"] == ["Rett", "Detaljer"]


def test_a_red_card_says_what_is_missing_in_words() -> None:
    [section, actions] = payment_entry(a_red(), None, Language.EN, zone=OSLO)
    text = section["text"]["text"]
    assert text.startswith("🔴 *Leverandør AS*")
    assert "• No payment reference (KID or message)" in text
    assert "no reference" in text
    assert actions["block_id"] == "p:42:v3"


@pytest.mark.parametrize(
    ("language", "why"),
    [
        (Language.EN, "• The supplier has open credit notes or earlier payments"),
        (Language.NB, "• Leverandøren har åpne kreditnotaer eller tidligere betalinger"),
    ],
)
def test_an_orange_proposal_says_why_and_can_still_be_approved_and_signed(
    language: Language, why: str
) -> None:
    orange = a_payment(flag=Flag.ORANGE, reasons=(Reason.OPEN_CREDIT_ITEMS,))
    [section, actions] = payment_entry(orange, None, language, zone=OSLO)

    assert why in section["text"]["text"]
    assert actions_of(actions["elements"]) == [
        (Act.APPROVE.value, "primary"),
        (Act.SIGN.value, None),
        ("menu", None),
    ]
    assert menu_of(actions["elements"]) == ["details", "fix", "delete"]


def test_a_red_payment_that_failed_at_the_bank_keeps_fix_and_sign_again() -> None:
    failed = a_red(status=PaymentStatus.FAILED, failure_kind="rejected", failure_reason="AC01")
    actions = [action for action, _ in actions_of(buttons(failed, Language.EN))]
    assert actions == [Act.FIX.value, Act.SIGN_AGAIN.value, "menu"]


def test_a_payment_the_bank_refused_suggests_fixing_it_before_signing_it_again() -> None:
    """Signed again as it is, a payment to a closed account fails again: Fix is the main
    button; Sign again stays for what a fix does not help (no money on the account)."""
    failed = a_payment(status=PaymentStatus.FAILED, failure_kind="rejected", failure_reason="AC01")
    assert actions_of(buttons(failed, Language.EN)) == [
        (Act.FIX.value, "primary"),
        (Act.SIGN_AGAIN.value, None),
        ("menu", None),
    ]


# --- overdue --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (Language.EN, "*overdue since 1 Dec 2026*"),
        (Language.NB, "*forfalt siden 1. des. 2026*"),
    ],
)
def test_a_proposal_past_its_due_date_says_since_when_it_is_overdue(
    language: Language, said: str
) -> None:
    summary = payment_summary(a_payment(), language, today=date(2026, 12, 2))
    assert said in summary
    assert "due 1 Dec" not in summary and "forfall 1." not in summary


@pytest.mark.parametrize(
    ("language", "said"), [(Language.EN, "due 1 Dec 2026"), (Language.NB, "forfall 1. des. 2026")]
)
def test_on_its_due_date_a_proposal_is_due_not_overdue(language: Language, said: str) -> None:
    summary = payment_summary(a_payment(), language, today=DUE)
    assert said in summary and "overdue" not in summary and "forfalt" not in summary


@pytest.mark.parametrize(
    ("status", "overdue"),
    [
        (PaymentStatus.PROPOSED, True),
        (PaymentStatus.APPROVED, True),
        (PaymentStatus.FAILED, True),  # the money did not leave; it is still to be paid
        (PaymentStatus.DUE, False),  # signed: it goes to the bank by itself
        (PaymentStatus.PROCESSING, False),
        (PaymentStatus.PAID, False),
        (PaymentStatus.DELETED, False),
    ],
)
def test_only_a_payment_still_to_be_paid_is_overdue(status: PaymentStatus, overdue: bool) -> None:
    assert is_overdue(a_payment(status=status), date(2027, 1, 4)) is overdue


def test_without_a_due_date_or_a_day_to_compare_nothing_is_overdue() -> None:
    assert not is_overdue(a_payment(due_date=None), date(2027, 1, 4))
    assert not is_overdue(a_payment(), None)
    assert "due 1 Dec 2026" in payment_summary(a_payment(), Language.EN)


def test_the_card_in_a_message_says_overdue_given_the_business_day() -> None:
    blocks = payment_entry(a_payment(), None, Language.EN, zone=OSLO, today=date(2026, 12, 7))
    assert "*overdue since 1 Dec 2026*" in blocks[0]["text"]["text"]


def test_the_home_tab_says_which_payments_are_overdue_in_the_business_day() -> None:
    company = CompanyInfo(
        id=1,
        org_no="974760673",
        name="Acme AS",
        currency="NOK",
        dispatch_timing=DispatchTiming.DUE,
        approval_required=False,
        dual_control_threshold=None,
        posting_mode=PostingMode.PER_PAYMENT,
        language=Language.NB,
    )
    me = Member("U1", "", "Kari", (Role.SIGNER,), SignerLimits(Decimal("50000")), "NOK", "active")
    late, later = a_payment(id=1), a_payment(id=2, due_date=date(2026, 12, 10))
    home = CompanyHome(
        company,
        (Role.SIGNER,),
        me,
        {PaymentStatus.PROPOSED: 2},
        {PaymentStatus.PROPOSED: [late, later]},
    )
    # 00:30 on 2 December in Oslo is still 1 December in UTC: the business day counts.
    view = text_of(home_view([home], datetime(2026, 12, 1, 23, 30, tzinfo=UTC), OSLO))
    assert view.count("forfalt siden") == 1 and "*forfalt siden 1. des. 2026*" in view
    assert "forfall 10. des. 2026" in view
    assert "Signeringsgrenser: NOK 50 000,00 per betaling" in view


def test_details_mark_an_overdue_due_date() -> None:
    details = PaymentDetails(a_payment(), [], [], [])
    view = details_modal(details, Language.NB, OSLO, today=date(2026, 12, 2))
    assert "1. des. 2026 · *forfalt*" in text_of(view)
    assert "forfalt" not in text_of(details_modal(details, Language.NB, OSLO, today=DUE))


# --- references in words, money in one form -------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "reference", "language", "shown"),
    [
        (ReferenceType.KID, "1234567897", Language.EN, "KID 1234567897"),
        (ReferenceType.MESSAGE, "Faktura 12", Language.EN, "Message Faktura 12"),
        (ReferenceType.INVOICE, "F-1", Language.EN, "Invoice no. F-1"),
        (ReferenceType.KID, "1234567897", Language.NB, "KID 1234567897"),
        (ReferenceType.MESSAGE, "Faktura 12", Language.NB, "Melding Faktura 12"),
        (ReferenceType.INVOICE, "F-1", Language.NB, "Fakturanr. F-1"),
    ],
)
def test_cards_and_search_lines_name_the_reference_type_in_words(
    kind: ReferenceType, reference: str, language: Language, shown: str
) -> None:
    payment = a_payment(reference_type=kind, reference=reference)
    for line in (payment_summary(payment, language), payment_line(payment, language)):
        assert f" · {shown} · #42" in line
        assert kind.value.upper() not in line.replace(shown, "")


@pytest.mark.parametrize(
    ("language", "amount", "words"),
    [
        (Language.EN, "NOK 25,000.00", ["due 1 Dec 2026", "Proposals"]),
        (Language.NB, "NOK 25 000,00", ["forfall 1. des. 2026", "Betalingsforslag"]),
    ],
)
def test_a_search_line_speaks_the_language(
    language: Language, amount: str, words: list[str]
) -> None:
    line = payment_line(a_payment(), language)
    assert f"*Leverandør AS* {amount}," in line
    for word in [*words, "1234.56.78903"]:
        assert word in line
    assert "proposed" not in line and "25000.00" not in line


def test_the_fix_modal_offers_reference_types_in_words() -> None:
    for language, names in [
        (Language.EN, ["KID", "Message", "Invoice no."]),
        (Language.NB, ["KID", "Melding", "Fakturanr."]),
    ]:
        view = fix_modal(a_payment(), language, metadata="{}")
        [select] = [b for b in view["blocks"] if b.get("block_id") == "reference_type"]
        options = select["element"]["options"]
        assert [o["text"]["text"] for o in options] == names
        assert [o["value"] for o in options] == ["kid", "message", "invoice"]


def test_details_show_the_reference_type_and_amount_in_the_language() -> None:
    credit = {
        "voucher_no": "5002",
        "invoice_no": "CN-9",
        "amount": Decimal("-500.00"),
        "currency": "NOK",
        "invoice_date": None,
    }
    details = PaymentDetails(
        a_payment(reference_type=ReferenceType.MESSAGE, reference="Faktura 12"),
        [
            {
                "action": "payment.propose",
                "actor": "paybot",
                "at": datetime(2026, 11, 23, tzinfo=UTC),
            }
        ],
        [credit],
        [],
    )
    text = text_of(details_modal(details, Language.NB, OSLO))
    assert "Melding" in text and "NOK 25 000,00" in text and "-NOK 500,00" in text
    assert "message" not in text.lower().replace("melding", "")
