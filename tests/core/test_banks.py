"""What banks support, and tax-withholding accounts: which payments to them are red, and which GL
account such an account posts to."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paybot.core.banks import (
    FULL,
    bank_gl_account,
    capabilities,
    unsupported_tax_accounts,
)
from paybot.core.company import BankAccount
from paybot.core.flags import PaymentFacts, assess, completeness_reasons
from paybot.core.payments import RED_REASONS, Flag, Reason, ReferenceType, flag_for
from paybot.core.vouchers import STANDARD_ACCOUNTS, AccountRole

TAX_ACCOUNT = "12345678903"
OTHER_ACCOUNT = "15030100007"


@pytest.mark.parametrize(
    "bank",
    [
        "SpareBank 1",
        "Sparebank 1",
        "SPAREBANK 1",
        "sparebank1",
        "SpareBank 1 SR-Bank",
        "SpareBank 1 Østlandet",
        "SpareBank 1 Nord-Norge",
        "  Sparebank-1 SMN ",
    ],
)
def test_sparebank_1_in_any_spelling_does_not_support_tax_withholding_accounts(
    bank: str,
) -> None:
    assert capabilities(bank).tax_withholding_accounts is False


@pytest.mark.parametrize(
    "bank",
    [
        "DNB",
        "Nordea",
        "Handelsbanken",
        "Sparebanken Vest",
        "Sparebanken Sør",
        "Sparebank 12",
        None,
        "",
    ],
)
def test_every_other_bank_supports_tax_withholding_accounts(bank: str | None) -> None:
    assert capabilities(bank) == FULL
    assert capabilities(bank).tax_withholding_accounts is True


def an_account(account: str, bank: str | None, *, tax_withholding: bool) -> BankAccount:
    return BankAccount(
        account=account,
        scheme="bban",
        bank=bank,
        bic=None,
        incoming=False,
        outgoing=False,
        gl_account="1920",
        tax_withholding=tax_withholding,
    )


def test_only_a_tax_withholding_account_at_a_bank_without_them_is_unsupported() -> None:
    accounts = [
        an_account("8601.11.17947", "SpareBank 1", tax_withholding=False),
        an_account("1234.56.78903", "SpareBank 1 SR-Bank", tax_withholding=True),
    ]
    assert unsupported_tax_accounts(accounts) == frozenset({TAX_ACCOUNT})
    at_dnb = [an_account(TAX_ACCOUNT, "DNB", tax_withholding=True)]
    assert unsupported_tax_accounts(at_dnb) == frozenset()


def payment(account: str | None, key: int = 1) -> PaymentFacts:
    return PaymentFacts(
        key=key,
        supplier_key=10,
        account=account,
        amount=Decimal("5000.00"),
        currency="NOK",
        reference_type=ReferenceType.MESSAGE,
        reference="Skattetrekk november",
        invoice_no=None,
    )


def test_a_transfer_to_an_unsupported_tax_withholding_account_is_red_with_its_reason() -> None:
    unsupported = frozenset({TAX_ACCOUNT})
    result = assess(
        [payment("1234.56.78903", key=1), payment(OTHER_ACCOUNT, key=2)],
        {},
        unsupported_tax_accounts=unsupported,
    )
    assert result == {1: {Reason.TAX_ACCOUNT_UNSUPPORTED}, 2: set()}
    assert flag_for(result[1]) is Flag.RED
    reasons = completeness_reasons(payment(TAX_ACCOUNT), unsupported_tax_accounts=unsupported)
    assert reasons == {Reason.TAX_ACCOUNT_UNSUPPORTED}
    assert completeness_reasons(payment(TAX_ACCOUNT)) == set()  # no bank said so


def test_the_tax_withholding_reason_blocks_and_says_why_in_words() -> None:
    reason = Reason.TAX_ACCOUNT_UNSUPPORTED
    assert reason in RED_REASONS and reason.is_blocking
    assert reason.description == (
        "The payee account is the company's tax-withholding account, "
        "and its bank does not support tax-withholding accounts"
    )


ROLES = {**STANDARD_ACCOUNTS, AccountRole.BANK: "1921"}


@pytest.mark.parametrize(
    ("own", "tax_withholding", "posted_to"),
    [
        ("1921", False, "1921"),  # an ordinary account on the BANK role's account
        ("1925", False, "1925"),  # one with its own
        (None, False, "1921"),  # a payment from no known account
        ("1921", True, "1950"),  # the tax-withholding account: the TAX_WITHHOLDING role's
        (None, True, "1950"),
        ("1955", True, "1955"),  # unless it names its own
    ],
)
def test_a_tax_withholding_account_posts_to_its_role_unless_it_names_its_own(
    own: str | None, tax_withholding: bool, posted_to: str
) -> None:
    assert bank_gl_account(own, tax_withholding=tax_withholding, roles=ROLES) == posted_to
