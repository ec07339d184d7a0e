"""Vouchers (bilag): what paybot posts to the general ledger, and the accounts it posts to.

A voucher has a number from its company's series for the year (no gaps, no duplicates), a date,
a text, and lines whose debits and credits balance. The writers of the ledger exports
(CSV, JSON, SAF-T) and the posting rules meet here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from paybot.core.errors import ValidationFailed

CENT = Decimal("0.01")


class AccountRole(StrEnum):
    """What a general-ledger account is for; each company maps a role to an account number."""

    CUSTOMERS = "customers"  # kundefordringer
    BANK = "bank"  # bankinnskudd (a bank account may have its own)
    TAX_WITHHOLDING = "tax_withholding"  # bankinnskudd for skattetrekk
    SUPPLIERS = "suppliers"  # leverandørgjeld
    WITHHELD_TAX = "withheld_tax"  # forskuddstrekk
    BANK_FEES = "bank_fees"  # bank- og kortgebyr
    CURRENCY_GAIN = "currency_gain"  # agio
    CURRENCY_LOSS = "currency_loss"  # disagio
    ROUNDING = "rounding"  # øreavrunding


# The Norwegian standard chart of accounts (NS 4102; SAF-T's standard accounts), by role.
STANDARD_ACCOUNTS: Mapping[AccountRole, str] = {
    AccountRole.CUSTOMERS: "1500",
    AccountRole.BANK: "1920",
    AccountRole.TAX_WITHHOLDING: "1950",
    AccountRole.SUPPLIERS: "2400",
    AccountRole.WITHHELD_TAX: "2600",
    AccountRole.BANK_FEES: "7770",
    AccountRole.CURRENCY_GAIN: "8060",
    AccountRole.CURRENCY_LOSS: "8160",
    AccountRole.ROUNDING: "7798",  # annen kostnad: no standard account for øreavrunding
}


@dataclass(frozen=True)
class Party:
    """The supplier or customer a line is posted with (its sub-ledger entry)."""

    kind: str  # "supplier" or "customer"
    name: str
    org_no: str | None = None
    key: str | None = None  # the ledger's own id of the party, when it has one


@dataclass(frozen=True)
class VoucherLine:
    """One line: an amount in the company's currency on the debit or the credit side, and the
    same amount in the currency it was paid in (equal to it for the company's own currency)."""

    account: str
    debit: Decimal
    credit: Decimal
    currency: str
    amount_currency: Decimal
    text: str
    party: Party | None = None

    def __post_init__(self) -> None:
        for name in ("debit", "credit", "amount_currency"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not value.is_finite():
                raise ValidationFailed({name: f"{value!r} is not a Decimal amount"})
        if self.debit < 0 or self.credit < 0 or (self.debit and self.credit):
            raise ValidationFailed(
                {"line": f"account {self.account}: a line is a debit or a credit, not negative"}
            )

    @property
    def amount(self) -> Decimal:
        """Debit positive, credit negative."""
        return self.debit - self.credit


@dataclass(frozen=True)
class Voucher:
    """A posted voucher: its number in the company's series for `day.year`, and its lines."""

    company_org_no: str
    number: int
    day: date
    text: str
    lines: Sequence[VoucherLine] = field(default_factory=tuple)
    payment_ids: Sequence[int] = field(default_factory=tuple)

    @property
    def debits(self) -> Decimal:
        return sum((line.debit for line in self.lines), Decimal(0))

    @property
    def credits(self) -> Decimal:
        return sum((line.credit for line in self.lines), Decimal(0))

    @property
    def balances(self) -> bool:
        return self.debits == self.credits


def check_balanced(lines: Sequence[VoucherLine]) -> None:
    """Refuses lines whose debits and credits differ, or that hold fractions of a cent."""
    debits = sum((line.debit for line in lines), Decimal(0))
    credits = sum((line.credit for line in lines), Decimal(0))
    if debits != credits:
        raise ValidationFailed(
            {"voucher": f"debits {debits} and credits {credits} differ: it does not balance"}
        )
    for line in lines:
        if line.debit != line.debit.quantize(CENT) or line.credit != line.credit.quantize(CENT):
            raise ValidationFailed({"voucher": f"account {line.account}: more than two decimals"})
