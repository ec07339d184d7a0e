"""What each bank can do, by its name, and what follows for a company's bank accounts.

Every Norwegian bank supports tax-withholding accounts (skattetrekkskonto) except SpareBank 1,
whatever the spelling ("SpareBank 1", "Sparebank1", "SpareBank 1 SR-Bank", "SpareBank 1
Østlandet", ...): a transfer to a tax-withholding account there is refused before it is signed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from paybot.core.identifiers import compact_account
from paybot.core.vouchers import AccountRole


@dataclass(frozen=True)
class BankCapabilities:
    """What a bank supports; a bank paybot knows nothing special about supports everything."""

    tax_withholding_accounts: bool = True


FULL = BankCapabilities()

# (what the bank's name starts with, as is_bank_named compares it; its capabilities), first
# match wins.
_BANKS: tuple[tuple[tuple[str, ...], BankCapabilities], ...] = (
    (("sparebank1",), BankCapabilities(tax_withholding_accounts=False)),
)


def capabilities(bank: str | None) -> BankCapabilities:
    """The capabilities of the bank named `bank` (None or blank: an unnamed bank, full ones)."""
    for prefixes, found in _BANKS:
        if is_bank_named(bank, prefixes):
            return found
    return FULL


def is_bank_named(bank: str | None, prefixes: Iterable[str]) -> bool:
    """Whether the bank named `bank` has a name that starts with one of `prefixes`, each written
    as names are compared: lower case letters and digits only ("SpareBank 1 SR-Bank" is
    "sparebank1srbank", so "sparebank1" names it). A prefix ends at a word: "sparebank1" names
    "Sparebank1 Østlandet" but not a (made-up) "Sparebank 12"."""
    name = re.sub(r"[\W_]+", "", (bank or "").casefold())
    return any(
        name.startswith(prefix) and not name[len(prefix) : len(prefix) + 1].isdigit()
        for prefix in prefixes
    )


class _CompanyAccount(Protocol):
    """A company's bank account as far as its bank's capabilities go (core.company.BankAccount,
    or the store's settings of one)."""

    @property
    def account(self) -> str: ...
    @property
    def bank(self) -> str | None: ...
    @property
    def tax_withholding(self) -> bool: ...


def unsupported_tax_accounts(accounts: Iterable[_CompanyAccount]) -> frozenset[str]:
    """The company's tax-withholding accounts (compact numbers) whose bank does not support
    tax-withholding accounts: a payment to one of them is red."""
    return frozenset(
        compact_account(account.account)
        for account in accounts
        if account.tax_withholding and not capabilities(account.bank).tax_withholding_accounts
    )


def bank_gl_account(
    own: str | None, *, tax_withholding: bool, roles: Mapping[AccountRole, str]
) -> str:
    """The GL account a bank account posts to: its own; a tax-withholding account that kept the
    BANK role's account (or has none) posts to the TAX_WITHHOLDING role's account."""
    bank = roles[AccountRole.BANK]
    if tax_withholding and (own is None or own == bank):
        return roles[AccountRole.TAX_WITHHOLDING]
    return own or bank
