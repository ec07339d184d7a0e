"""A word of a search matches the payee, the invoice number or the reference, whichever way the
payments are read: a page of matches, a count past the last page, a whole list."""

from __future__ import annotations

import pytest

from paybot.services import search
from paybot.store.uow import UnitOfWork
from tests.builders import APPROVER, KID_MOD11, ORG_NO, a_company, a_supplier, an_item, ledger_with


@pytest.fixture
def vouchers(uow: UnitOfWork) -> dict[str, str]:
    """Voucher numbers by what sets the payment apart: its payee, invoice number, reference."""
    a_company(uow)
    # Fixed invoice numbers: a counted one ("INV-1720") could hold the "17" searched for.
    payee = an_item(supplier_name="Fjordkraft AS", supplier_org_no="987654325", invoice_no="P-1")
    invoice = an_item(invoice_no="FJORD-17")
    reference = an_item(reference=KID_MOD11)
    neither = an_item(invoice_no="X-1")
    ledger_with(
        uow,
        [payee, invoice, reference, neither],
        [a_supplier(), a_supplier(line=3, name="Fjordkraft AS", org_no="987654325")],
    )
    return {
        "payee": payee.voucher_no,
        "invoice": invoice.voucher_no,
        "reference": reference.voucher_no,
        "neither": neither.voucher_no,
    }


def _vouchers(payments: list[object]) -> set[str]:
    return {p.voucher_no for p in payments}  # type: ignore[attr-defined]


def test_a_word_matches_the_payee_the_invoice_number_and_the_reference(
    uow: UnitOfWork, vouchers: dict[str, str]
) -> None:
    fjord = {vouchers["payee"], vouchers["invoice"]}
    page = search.matches(uow, query="fjord", company_org_nos=[ORG_NO], limit=10)
    assert (page.total, _vouchers(page.payments)) == (2, fjord)
    assert _vouchers(search.search(uow, query="FJORD", company_org_no=ORG_NO)) == fjord
    mine = search.person_matches(uow, user=APPROVER, query="Fjord", limit=10)
    assert (mine.total, _vouchers(mine.payments)) == (2, fjord)
    kid = KID_MOD11[3:8]
    assert _vouchers(search.search(uow, query=kid, company_org_no=ORG_NO)) == {
        vouchers["reference"]
    }


def test_every_word_must_match_and_a_page_past_the_end_still_counts(
    uow: UnitOfWork, vouchers: dict[str, str]
) -> None:
    both = search.matches(uow, query="fjord 17", company_org_nos=[ORG_NO], limit=10)
    assert (both.total, _vouchers(both.payments)) == (1, {vouchers["invoice"]})
    beyond = search.matches(uow, query="fjord", company_org_nos=[ORG_NO], offset=5, limit=10)
    assert (beyond.total, beyond.payments) == (2, [])
    assert search.search(uow, query="fjord page:2", company_org_no=ORG_NO, limit=1) != []


def test_a_word_is_matched_as_typed_not_as_a_pattern(
    uow: UnitOfWork, vouchers: dict[str, str]
) -> None:
    assert search.matches(uow, query="fj%d", company_org_nos=[ORG_NO], limit=10).total == 0
    assert search.matches(uow, query="x_1", company_org_nos=[ORG_NO], limit=10).total == 0
    assert search.matches(uow, query="x-1", company_org_nos=[ORG_NO], limit=10).total == 1
