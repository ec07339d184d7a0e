"""The Fix modal of a payment abroad: the payee's address, country, BIC, charge bearer, purpose
(and urgent, cross-border only), prefilled, within Slack's limits; submitted as Slack submits it
(signed requests to the real endpoint) against the local Slack Web API, with field errors on
their inputs in the company's language; and the Details view showing them. Both databases."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.models.views import View as SdkView

from paybot.core.company import Language
from paybot.core.payee_details import PAYEE_FIELDS
from paybot.core.payments import Flag, PayeeDetails, PaymentView, Reason, ReferenceType
from paybot.core.purpose_codes import PurposeCode, purpose_codes
from paybot.core.states import PaymentStatus
from paybot.handlers.ids import Act, Block, View
from paybot.handlers.views import details_modal as details_views
from paybot.handlers.views import fix_modal as fix_views
from paybot.handlers.views import modal_parts as views
from paybot.handlers.views.blocks import header
from paybot.handlers.views.cards import payment_entries
from paybot.services import companies, payments, slack_records
from paybot.services.payments import PaymentDetails
from paybot.store.uow import UnitOfWork
from tests.builders import (
    ACCOUNT_A,
    APPROVER,
    NOW,
    ORG_NO,
    OSLO,
    VIEWER,
    Authenticator,
    a_company,
    a_supplier,
    an_item,
    ledger_with,
)
from tests.slack.conftest import CHANNEL, SlackEndpoint, text_of

DE_IBAN = "DE89370400440532013000"
ADDRESS = {
    "street": "Hauptstraße",
    "building_no": "5",
    "post_code": "10115",
    "town": "Berlin",
    "country": "de",
}


@pytest.fixture
def phone(uow: UnitOfWork) -> Authenticator:
    found = a_company(uow)
    assert found is not None
    return found


def a_payment(uow: UnitOfWork, *, account: str = DE_IBAN, currency: str = "EUR") -> PaymentView:
    item = an_item(
        account=account, currency=currency, reference_type=ReferenceType.MESSAGE, reference="R 7"
    )
    found: PaymentView = ledger_with(uow, [item], [a_supplier(account=account)])[item.voucher_no]
    return found


def posted(uow: UnitOfWork, endpoint: SlackEndpoint, payment: PaymentView) -> str:
    """The proposals message showing `payment`, posted and remembered; its ts."""
    client = WebClient(token=endpoint.slack.token, base_url=endpoint.fake.url)
    intro = [header("Payment proposals")]
    blocks = intro + payment_entries([payment], {}, Language.EN, zone=OSLO)
    sent = client.chat_postMessage(channel=CHANNEL, text="Proposals", blocks=blocks)
    slack_records.record_message(
        uow, company_org_no=ORG_NO, kind="proposals", channel=CHANNEL, ts=sent["ts"],
        thread_ts=None, intro=intro, payment_ids=[payment.id], now=NOW,
    )  # fmt: skip
    return str(sent["ts"])


def opened(endpoint: SlackEndpoint, count: int = 1) -> dict[str, Any]:
    """The modal as filled in after the click (views.update), checked by slack-sdk's models."""
    filled = endpoint.slack.wait_for("views.update", count)
    assert len(filled) >= count, "the modal was not filled in"
    view = filled[-1]["view"]
    view = dict(json.loads(view) if isinstance(view, str) else view)
    SdkView(**view).to_dict()  # raises SlackObjectFormationError beyond Slack's limits
    return view


def fix_modal(endpoint: SlackEndpoint, payment: PaymentView, ts: str) -> dict[str, Any]:
    before = len(endpoint.slack.calls_to("views.update"))
    status, body = endpoint.click(
        APPROVER.slack_user_id, Act.MORE, f"fix:{payment.id}", ts=ts, overflow=True
    )
    assert status == 200, body
    return opened(endpoint, before + 1)


def inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}


def state(view: dict[str, Any], **changed: Any) -> dict[str, dict[str, Any]]:
    """What Slack sends for the modal's inputs: each as prefilled, unless `changed` (a text, an
    option value, None for an emptied input, or a list of checked values)."""
    values: dict[str, dict[str, Any]] = {}
    for block_id, block in inputs(view).items():
        element = block["element"]
        kind = element["type"]
        if kind == "plain_text_input":
            typed = changed.get(block_id, element.get("initial_value"))
            values[block_id] = {block_id: {"type": kind, "value": typed}}
        elif kind == "static_select":
            initial = (element.get("initial_option") or {}).get("value")
            chosen = changed.get(block_id, initial)
            option = None if chosen is None else {"value": chosen}
            values[block_id] = {block_id: {"type": kind, "selected_option": option}}
        else:  # checkboxes
            initial = [o["value"] for o in element.get("initial_options") or []]
            checked = changed.get(block_id, initial)
            values[block_id] = {
                block_id: {"type": kind, "selected_options": [{"value": v} for v in checked]}
            }
    return values


def submit(endpoint: SlackEndpoint, view: dict[str, Any], **changed: Any) -> dict[str, Any] | None:
    status, answer = endpoint.submit(
        APPROVER.slack_user_id,
        View.FIX,
        state(view, **changed),
        private_metadata=view["private_metadata"],
    )
    assert status == 200
    return answer


def test_the_fix_modal_of_a_sepa_payment_asks_for_the_payees_details(
    uow: UnitOfWork, endpoint: SlackEndpoint, phone: Authenticator
) -> None:
    payment = a_payment(uow)
    assert Reason.MISSING_ADDRESS in payment.reasons
    view = fix_modal(endpoint, payment, posted(uow, endpoint, payment))
    found = inputs(view)
    # What it is red for first (its address, and its purpose: no rate says it is under the
    # reporting threshold), then the rest, each in the order of PayeeDetails.
    assert Reason.MISSING_PURPOSE in payment.reasons
    address = ["street", "building_no", "post_code", "town", "country"]
    assert list(found) == [
        Block.ACCOUNT.value, Block.REFERENCE_TYPE.value, Block.REFERENCE.value,
        *address, "purpose_code", "purpose_text", "bic", "charge_bearer",
    ]  # fmt: skip
    assert set(PAYEE_FIELDS) <= set(found)
    assert all(found[name].get("optional") for name in PAYEE_FIELDS)
    assert found["country"]["element"]["max_length"] == 2
    assert "ISO 3166" in found["country"]["hint"]["text"]
    charges = found["charge_bearer"]["element"]
    assert [o["value"] for o in charges["options"]] == ["-", "DEBT", "CRED", "SHAR"]
    assert charges["initial_option"]["text"]["text"] == "The payment type's default (SLEV)"
    purposes = found["purpose_code"]["element"]["options"]
    assert [o["value"] for o in purposes[1:]] == [c.code for c in purpose_codes()]
    assert purposes[1]["text"]["text"] == "14 Purchase/sale of goods"
    assert all(len(o["text"]["text"]) <= 75 for o in purposes)
    assert "urgent" not in found  # SEPA: never urgent
    assert len(view["blocks"]) <= 100


def test_a_domestic_payment_is_fixed_as_before(
    uow: UnitOfWork, endpoint: SlackEndpoint, phone: Authenticator
) -> None:
    payment = a_payment(uow, account=ACCOUNT_A, currency="NOK")
    view = fix_modal(endpoint, payment, posted(uow, endpoint, payment))
    assert list(inputs(view)) == [Block.ACCOUNT, Block.REFERENCE_TYPE, Block.REFERENCE]
    answer = submit(endpoint, view, reference="Faktura 8")
    assert answer is not None and "Fixed" in text_of(answer["view"])
    fixed = payments.show(uow, payment_id=payment.id).payment
    assert fixed.reference == "Faktura 8" and fixed.payee_details == PayeeDetails()


def test_submitted_details_fix_the_payment_and_its_message(
    uow: UnitOfWork, endpoint: SlackEndpoint, phone: Authenticator
) -> None:
    payment = a_payment(uow)
    ts = posted(uow, endpoint, payment)
    view = fix_modal(endpoint, payment, ts)
    answer = submit(
        endpoint, view, **ADDRESS, bic="deut de ff", charge_bearer="CRED",
        purpose_code="14", purpose_text="Maschinenteile",
    )  # fmt: skip
    assert answer is not None and answer["response_action"] == "update"
    said = text_of(answer["view"])
    assert "Fixed" in said and "Hauptstraße 5" in said and "Germany (DE)" in said
    assert "DEUTDEFF" in said and "14 Purchase/sale of goods · Maschinenteile" in said
    fixed = payments.show(uow, payment_id=payment.id).payment
    assert fixed.payee_details == PayeeDetails(
        street="Hauptstraße", building_no="5", post_code="10115", town="Berlin", country="DE",
        bic="DEUTDEFF", charge_bearer="CRED", purpose_code="14", purpose_text="Maschinenteile",
    )  # fmt: skip
    assert Reason.MISSING_ADDRESS not in fixed.reasons
    endpoint.settle()
    [update] = endpoint.slack.calls_to("chat.update")
    assert "Fixed by <@UAPPROVER>" in text_of(update["blocks"])

    # Opened again: prefilled with what it has now; emptied and "default" clear.
    again = fix_modal(endpoint, fixed, ts)
    found = inputs(again)
    assert found["town"]["element"]["initial_value"] == "Berlin"
    assert found["charge_bearer"]["element"]["initial_option"]["value"] == "CRED"
    assert found["purpose_code"]["element"]["initial_option"]["value"] == "14"
    submit(endpoint, again, street=None, building_no=None, charge_bearer="-")
    cleared = payments.show(uow, payment_id=payment.id).payment.payee_details
    assert (cleared.street, cleared.building_no, cleared.charge_bearer) == (None, None, None)
    assert cleared.town == "Berlin"


@pytest.mark.parametrize(
    ("language", "country", "bic"),
    [
        (
            Language.EN,
            "Xx is not a country code: give the two-letter ISO 3166 code, such as DE, SE or US",
            "Nope is not a BIC: 4 letters for the bank",
        ),
        (
            Language.NB,
            "Xx er ikke en landkode: oppgi landets kode med to bokstaver (ISO 3166), som DE, "
            "SE eller US",
            "Nope er ikke en BIC: 4 bokstaver for banken",
        ),
    ],
)
def test_wrong_details_are_errors_on_their_inputs_in_the_companys_language(
    uow: UnitOfWork,
    endpoint: SlackEndpoint,
    phone: Authenticator,
    language: Language,
    country: str,
    bic: str,
) -> None:
    companies.update_settings(uow, org_no=ORG_NO, language=language, now=NOW)
    payment = a_payment(uow)
    view = fix_modal(endpoint, payment, posted(uow, endpoint, payment))
    answer = submit(endpoint, view, country="Xx", bic="nope", town="Berlin")
    assert answer is not None and answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"country", "bic"}
    assert answer["errors"]["country"] == country
    assert answer["errors"]["bic"].startswith(bic)
    assert payments.show(uow, payment_id=payment.id).payment.version == payment.version


def test_a_control_character_is_an_error_on_its_input(
    uow: UnitOfWork, endpoint: SlackEndpoint, phone: Authenticator
) -> None:
    payment = a_payment(uow)
    view = fix_modal(endpoint, payment, posted(uow, endpoint, payment))
    answer = submit(endpoint, view, street="Haupt\u202estraße", town="Berlin", country="DE")
    assert answer is not None and answer["errors"] == {
        "street": "Control character U+202E at position 6 (right-to-left override)"
    }


def test_a_cross_border_payment_may_be_made_urgent_and_details_show_it(
    uow: UnitOfWork, endpoint: SlackEndpoint, phone: Authenticator
) -> None:
    payment = a_payment(uow, currency="USD")  # USD to a German IBAN: cross-border
    ts = posted(uow, endpoint, payment)
    view = fix_modal(endpoint, payment, ts)
    found = inputs(view)
    assert found["charge_bearer"]["element"]["initial_option"]["text"]["text"] == (
        "The payment type's default (SHAR)"
    )
    assert found["urgent"]["element"]["type"] == "checkboxes"
    assert "initial_options" not in found["urgent"]["element"]
    submit(endpoint, view, urgent=["urgent"], **ADDRESS)
    fixed = payments.show(uow, payment_id=payment.id).payment
    assert fixed.urgent is True

    before = len(endpoint.slack.calls_to("views.update"))
    status, _ = endpoint.click(VIEWER.slack_user_id, Act.DETAILS, str(payment.id), ts=ts)
    assert status == 200
    details = opened(endpoint, before + 1)
    said = text_of(details)
    assert "*Payee's address*\\nHauptstraße 5\\n10115 Berlin\\nGermany (DE)" in said
    assert "*Urgent*\\nYes" in said

    # Unticked: no longer urgent.
    again = fix_modal(endpoint, fixed, ts)
    assert inputs(again)["urgent"]["element"]["initial_options"][0]["value"] == "urgent"
    submit(endpoint, again, urgent=[])
    assert payments.show(uow, payment_id=payment.id).payment.urgent is False


def test_the_modal_in_norwegian_names_the_fields_in_norwegian(
    uow: UnitOfWork, endpoint: SlackEndpoint, phone: Authenticator
) -> None:
    companies.update_settings(uow, org_no=ORG_NO, language=Language.NB, now=NOW)
    payment = a_payment(uow)
    view = fix_modal(endpoint, payment, posted(uow, endpoint, payment))
    labels = {name: b["label"]["text"] for name, b in inputs(view).items()}
    assert labels["town"] == "Poststed" and labels["country"] == "Land"
    assert labels["purpose_code"] == "Kode for betalingsart"
    purposes = inputs(view)["purpose_code"]["element"]["options"]
    assert purposes[1]["text"]["text"] == "14 Kjøp/salg av varer"


def test_the_views_stay_within_slacks_limits_with_the_longest_details() -> None:
    longest = PayeeDetails(
        street="W" * 70, building_no="9" * 16, post_code="8" * 16, town="T" * 35,
        country="DE", bic="DEUTDEFF500", charge_bearer="SHAR", purpose_code="X" * 10,
        purpose_text="P" * 35,
    )  # fmt: skip
    payment = PaymentView(
        id=1, company_org_no=ORG_NO, status=PaymentStatus.PROPOSED,
        flag=Flag.RED, reasons=(Reason.MISSING_PURPOSE,), payee="<Müller> & Co",
        account=DE_IBAN, amount=Decimal("1"), currency="USD", due_date=None,
        reference_type=ReferenceType.MESSAGE, reference="R", voucher_no="1", invoice_no=None,
        version=1, supplier_id=1, payee_details=longest, urgent=True,
    )  # fmt: skip
    for language in Language:
        modal = fix_views.fix_modal(payment, language, metadata="{}")
        SdkView(**modal).to_dict()
        purposes = inputs(modal)["purpose_code"]["element"]
        assert purposes["initial_option"]["value"] == "X" * 10  # not in the list: shown
        SdkView(**fix_views.fixed_view(payment, language)).to_dict()
        details = PaymentDetails(payment, [], [], [])
        SdkView(**details_views.details_modal(details, language, OSLO)).to_dict()


def test_more_purpose_codes_than_a_select_holds_are_put_in_groups(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    many = tuple(PurposeCode(f"{n:03}", f"Kode {n}", f"Code {n}") for n in range(150))
    monkeypatch.setattr(fix_views, "purpose_codes", lambda: many)
    for module in (fix_views, views):  # the Fix modal's select, and the shown purpose
        monkeypatch.setattr(module, "purpose_code", {c.code: c for c in many}.get)
    payment = PaymentView(
        id=1, company_org_no=ORG_NO, status=PaymentStatus.PROPOSED, flag=Flag.RED,
        reasons=(Reason.MISSING_PURPOSE,), payee="X", account=DE_IBAN, amount=Decimal("1"),
        currency="USD", due_date=None, reference_type=ReferenceType.MESSAGE, reference="R",
        voucher_no="1", invoice_no=None, version=1, supplier_id=1,
        payee_details=PayeeDetails(purpose_code="120"),
    )  # fmt: skip
    modal = fix_views.fix_modal(payment, Language.EN, metadata="{}")
    SdkView(**modal).to_dict()
    select = inputs(modal)["purpose_code"]["element"]
    assert "options" not in select
    assert [len(group["options"]) for group in select["option_groups"]] == [100, 51]
    assert select["initial_option"] == {"text": {"type": "plain_text", "text": "120 Code 120"},
                                        "value": "120"}  # fmt: skip
