"""Tax-withholding accounts (skattetrekkskonto), on SQLite and PostgreSQL: a transfer to one is a
payment like any other, red where its bank does not support tax-withholding accounts; one per
company; a payment from one is posted to the TAX_WITHHOLDING role's GL account (1950)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, insert
from sqlalchemy.exc import IntegrityError

from paybot.core.errors import ValidationFailed
from paybot.core.payments import Flag, PaymentView, Reason, ReferenceType
from paybot.core.states import PaymentStatus
from paybot.services import audit_trail, bank_accounts, companies, payments, posting, proposals
from paybot.store.models import CompanyBankAccount
from paybot.store.uow import UnitOfWork
from tests.builders import (
    APPROVER,
    COMPANY_ACCOUNT,
    NOW,
    ORG_NO,
    OSLO,
    SIGNER,
    Authenticator,
    a_company,
    a_supplier,
    an_item,
    ledger_with,
    sign_with,
)
from tests.services.paid_payments import company_id, pay

TAX_ACCOUNT = "15030100007"  # the company's skattetrekkskonto


def transfer(uow: UnitOfWork) -> PaymentView:
    """The month's withheld tax moved from the operating account to the tax-withholding one: an
    open item of the company's own, to its own account."""
    own = a_supplier(name="Acme AS", org_no=ORG_NO, account=TAX_ACCOUNT)
    item = an_item(
        supplier_name="Acme AS",
        supplier_org_no=ORG_NO,
        account="1503.01.00007",
        amount=Decimal("48200.00"),
        reference_type=ReferenceType.MESSAGE,
        reference="Skattetrekk november",
    )
    found: PaymentView = ledger_with(uow, [item], [own])[item.voucher_no]
    return found


def with_tax_account(uow: UnitOfWork, bank: str) -> Authenticator:
    """The company, its tax-withholding account at `bank`, and its signer's phone."""
    phone = a_company(uow)
    assert phone is not None
    companies.add_bank_account(
        uow, org_no=ORG_NO, account=TAX_ACCOUNT, bank=bank, tax_withholding=True, now=NOW
    )
    return phone


def test_a_transfer_to_a_sparebank_1_tax_withholding_account_is_red_and_says_why(
    uow: UnitOfWork,
) -> None:
    with_tax_account(uow, "SpareBank 1 SR-Bank")

    payment = transfer(uow)

    assert payment.flag is Flag.RED
    assert payment.reasons == (Reason.TAX_ACCOUNT_UNSUPPORTED,)
    assert payment.reasons[0].description.endswith("does not support tax-withholding accounts")


def test_a_transfer_to_a_dnb_tax_withholding_account_is_a_payment_like_any_other(
    uow: UnitOfWork,
) -> None:
    with_tax_account(uow, "DNB")

    payment = transfer(uow)

    assert (payment.flag, payment.reasons) == (Flag.BLUE, ())
    [approved] = payments.approve(uow, actor=APPROVER, payment_ids=[payment.id], now=NOW)
    assert approved.status is PaymentStatus.APPROVED


def test_marking_and_unmarking_the_account_reflags_its_payments_and_is_audited(
    uow: UnitOfWork,
) -> None:
    a_company(uow)
    companies.add_bank_account(uow, org_no=ORG_NO, account=TAX_ACCOUNT, bank="Sparebank 1", now=NOW)
    payment = transfer(uow)
    assert payment.flag is Flag.BLUE  # an ordinary account of the company, so far

    shown = companies.set_bank_account(
        uow, org_no=ORG_NO, account=TAX_ACCOUNT, values={"tax_withholding": True}, now=NOW
    )
    assert (shown["tax_withholding"], shown["bank"]) == (True, "Sparebank 1")
    assert payments.show(uow, payment_id=payment.id).payment.flag is Flag.RED
    event = audit_trail.latest(uow, limit=1, action="bank_account.set")[0]
    assert event["details"] == {"account": TAX_ACCOUNT, "tax_withholding": True}

    companies.set_bank_account(
        uow, org_no=ORG_NO, account=TAX_ACCOUNT, values={"bank": "DNB"}, now=NOW
    )  # moved to a bank that supports them
    assert payments.show(uow, payment_id=payment.id).payment.flag is Flag.BLUE
    companies.set_bank_account(
        uow, org_no=ORG_NO, account=TAX_ACCOUNT, values={"bank": "SpareBank 1"}, now=NOW
    )
    assert payments.show(uow, payment_id=payment.id).payment.flag is Flag.RED
    companies.set_bank_account(
        uow, org_no=ORG_NO, account=TAX_ACCOUNT, values={"tax_withholding": False}, now=NOW
    )
    assert payments.show(uow, payment_id=payment.id).payment.flag is Flag.BLUE


def test_a_company_has_one_tax_withholding_account_at_most(uow: UnitOfWork, engine: Engine) -> None:
    with_tax_account(uow, "DNB")

    with pytest.raises(ValidationFailed, match="has a tax-withholding account already"):
        companies.set_bank_account(
            uow, org_no=ORG_NO, account=COMPANY_ACCOUNT, values={"tax_withholding": True}, now=NOW
        )
    with pytest.raises(ValidationFailed, match=r"already \(15030100007\)"):
        companies.add_bank_account(
            uow, org_no=ORG_NO, account="12345678903", tax_withholding=True, now=NOW
        )
    # Marking the same one again is no second one.
    companies.set_bank_account(
        uow, org_no=ORG_NO, account=TAX_ACCOUNT, values={"tax_withholding": True}, now=NOW
    )
    # The database holds it too (two people marking two accounts at once).
    acme = company_id(engine, ORG_NO)
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            insert(CompanyBankAccount).values(
                company_id=acme,
                account="12345678903",
                scheme="bban",
                incoming=False,
                outgoing=False,
                gl_account="1920",
                tax_withholding=True,
            )
        )
    marked = [a.account for a in bank_accounts.list_accounts(uow) if a.tax_withholding]
    assert marked == [TAX_ACCOUNT]


def test_an_added_account_is_checked_and_listed_with_what_its_bank_supports(
    uow: UnitOfWork,
) -> None:
    with_tax_account(uow, "SpareBank 1")
    with pytest.raises(ValidationFailed, match="has bank account"):
        companies.add_bank_account(uow, org_no=ORG_NO, account="1503.01.00007", now=NOW)
    with pytest.raises(ValidationFailed) as invalid:
        companies.add_bank_account(uow, org_no=ORG_NO, account="15030100008", now=NOW)
    assert "account" in invalid.value.errors

    found = {a.account: a for a in bank_accounts.list_accounts(uow, company_org_no=ORG_NO)}
    tax = found[TAX_ACCOUNT]
    assert (tax.tax_withholding, tax.bank_supports_tax_withholding, tax.bank) == (
        True,
        False,
        "SpareBank 1",
    )
    assert (tax.incoming, tax.outgoing) == (False, False)
    operating = found[COMPANY_ACCOUNT]
    assert (operating.tax_withholding, operating.bank_supports_tax_withholding) == (False, True)
    event = audit_trail.latest(uow, limit=1, action="bank_account.add")[0]
    assert event["after"]["account"] == TAX_ACCOUNT and event["after"]["tax_withholding"]


def test_a_payment_from_the_tax_withholding_account_credits_1950(
    uow: UnitOfWork, engine: Engine
) -> None:
    with_tax_account(uow, "DNB")
    shown = posting.accounts(uow, company_org_no=ORG_NO)
    assert dict(shown.bank_accounts) == {COMPANY_ACCOUNT: "1920", TAX_ACCOUNT: "1950"}
    # The withheld tax paid to the tax office, from the tax-withholding account.
    item = an_item(
        supplier_name="Skatteetaten",
        supplier_org_no="974761076",
        account="6345.06.36633",
        amount=Decimal("48200.00"),
        reference_type=ReferenceType.KID,
        reference="12345678903",
    )
    found = ledger_with(uow, [item])
    paid_at = NOW + timedelta(days=2)
    pay(engine, [found[item.voucher_no].id], paid_at=paid_at, bank_account=TAX_ACCOUNT)

    [voucher] = posting.post(
        uow, actor=SIGNER, company_org_no=ORG_NO, now=paid_at + timedelta(hours=1), zone=OSLO
    )

    assert [(x.account, x.debit, x.credit) for x in voucher.lines] == [
        ("2400", Decimal("48200.00"), 0),
        ("1950", 0, Decimal("48200.00")),
    ]


def test_the_tax_withholding_accounts_own_gl_account_and_role_are_followed(
    uow: UnitOfWork,
) -> None:
    with_tax_account(uow, "DNB")
    changed = posting.set_accounts(
        uow, company_org_no=ORG_NO, changes={"tax_withholding": "1951", "bank": "1921"}, now=NOW
    )
    assert dict(changed.bank_accounts) == {COMPANY_ACCOUNT: "1921", TAX_ACCOUNT: "1951"}
    changed = posting.set_accounts(
        uow, company_org_no=ORG_NO, changes={f"bank:{TAX_ACCOUNT}": "1955"}, now=NOW
    )
    assert dict(changed.bank_accounts) == {COMPANY_ACCOUNT: "1921", TAX_ACCOUNT: "1955"}


def test_refreshing_keeps_the_red_flag_of_a_transfer_to_an_unsupported_account(
    uow: UnitOfWork,
) -> None:
    with_tax_account(uow, "SpareBank 1")
    payment = transfer(uow)
    proposals.refresh(uow, company_org_no=ORG_NO, now=NOW)
    again = payments.show(uow, payment_id=payment.id).payment
    assert (again.flag, again.reasons) == (Flag.RED, (Reason.TAX_ACCOUNT_UNSUPPORTED,))


def test_a_red_transfer_to_a_sparebank_1_tax_withholding_account_cannot_be_approved_or_signed(
    uow: UnitOfWork,
) -> None:
    """Red means it cannot be approved or signed, whatever made it red: the check at the click
    knows the company's tax-withholding accounts as the flagging does."""
    phone = with_tax_account(uow, "SpareBank 1 SR-Bank")
    payment = transfer(uow)

    with pytest.raises(ValidationFailed, match="does not support tax-withholding accounts"):
        payments.approve(uow, actor=APPROVER, payment_ids=[payment.id], now=NOW)
    with pytest.raises(ValidationFailed, match="does not support tax-withholding accounts"):
        sign_with(uow, phone, [payment.id])
    [shown] = proposals.list_payments(uow, company_org_no=ORG_NO)
    assert shown.status is PaymentStatus.PROPOSED
