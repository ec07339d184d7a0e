"""A proposal that came as an EHF, clicked as Slack clicks it (a signed request to the real
endpoint, the local Slack Web API), on both databases: Details shows who sold and who is paid,
the invoice lines and the rule warnings; the daily post counts what came in electronically."""

from __future__ import annotations

from datetime import date

import pytest

from paybot.core.company import Language
from paybot.core.ehf import EhfValidator
from paybot.handlers.ids import Act, View
from paybot.handlers.views.digest import digest_messages
from paybot.services import daily_post
from paybot.services.ehf_import import import_ehf
from paybot.services.ehf_inbox import checked
from paybot.store.uow import UnitOfWork
from tests.builders import NOW, ORG_NO, OSLO, VIEWER, Authenticator, a_company
from tests.shared_fixtures import shared_fixture
from tests.slack.conftest import SlackEndpoint, text_of
from tests.slack.test_actions import ok, opened_modal, post_message

SAMPLE = "peppol_no_example1_invoice_nok_kid_iban.xml"


@pytest.fixture(scope="module")
def validator() -> EhfValidator:
    return EhfValidator(shared_fixture("ubl21"))


@pytest.fixture
def phone(uow: UnitOfWork) -> Authenticator:
    found = a_company(uow)
    assert found is not None
    return found


def test_details_of_an_ehf_proposal_show_seller_payee_lines_and_warnings(
    uow: UnitOfWork, endpoint: SlackEndpoint, phone: Authenticator, validator: EhfValidator
) -> None:
    # The Norwegian BIS 3.0 example, addressed to this test's company (Acme AS).
    data = (
        shared_fixture(f"samples/ehf/{SAMPLE}").read_bytes().replace(b"987654325", ORG_NO.encode())
    )
    result = import_ehf(uow, file=checked(SAMPLE, data, validator), now=NOW, company_org_no=ORG_NO)
    assert result.payment_id is not None
    found = daily_post.digest(uow, company_org_no=ORG_NO, today=date(2026, 12, 1))
    assert found.electronic == 1
    summary = text_of({"blocks": digest_messages(found, Language.EN, OSLO)[0].blocks})
    assert "1 came in electronically (EHF)" in summary

    ts = post_message(uow, endpoint, found.proposals)
    ok(
        endpoint.click(
            VIEWER.slack_user_id, Act.MORE, f"details:{result.payment_id}", ts=ts, overflow=True
        )
    )
    view = opened_modal(endpoint)
    text = text_of(view)
    assert view["callback_id"] == View.DETAILS.value
    for shown in (
        "Electronic invoice (EHF)",
        SAMPLE,
        "PEPPOL BIS Billing 3.0",
        "Invoice TOSL108",
        "*Seller:* The Sellercompany ASA (123456785)",
        "*Paid to:* Ebeneser Scrooge AS (999999999)",
        "Invoice lines",
        "Laptop computer · 1 NAR · NOK 1,273.00",
        "UBL-CR-679",
        "Came in as an electronic invoice (EHF)",
    ):
        assert shown in text, shown
