"""General-ledger balances and totals from vouchers: a pure fold, one voucher at a time.

The same fold checks what every ledger file needs of a voucher (its debits equal its credits,
amounts in whole cents) and counts what a file's header states before its entries (SAF-T's
NumberOfEntries, TotalDebit, TotalCredit and the accounts' movements), so a first pass over the
vouchers, or a SQL aggregate giving the same `LedgerSummary`, lets a writer stream in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

from paybot.core.errors import ValidationFailed
from paybot.core.vouchers import CENT, Voucher

__all__ = [
    "AccountBalance",
    "LedgerFold",
    "LedgerSummary",
    "account_balances",
    "summarize",
]

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class AccountBalance:
    """The debits and credits posted to one account, and what they leave (debit positive)."""

    account: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO

    @property
    def balance(self) -> Decimal:
        """Debits less credits: positive is a debit balance, negative a credit balance."""
        return self.debit - self.credit


@dataclass(frozen=True)
class LedgerSummary:
    """What a set of vouchers adds up to.

    Attributes:
        entries: the number of vouchers.
        lines: the number of voucher lines.
        total_debit: the sum of every line's debit, in the company's currency.
        total_credit: the sum of every line's credit.
        accounts: the movement of each account posted to, by account number.
    """

    entries: int = 0
    lines: int = 0
    total_debit: Decimal = ZERO
    total_credit: Decimal = ZERO
    accounts: Mapping[str, AccountBalance] = field(default_factory=dict)

    def differences(self, other: LedgerSummary) -> list[str]:
        """What differs between this summary and `other`, in words; empty when they agree."""
        found = []
        for name in ("entries", "lines", "total_debit", "total_credit"):
            mine, theirs = getattr(self, name), getattr(other, name)
            if mine != theirs:
                found.append(f"{name} {mine} against {theirs}")
        for number in sorted(set(self.accounts) | set(other.accounts)):
            mine_account = self.accounts.get(number, AccountBalance(number))
            their_account = other.accounts.get(number, AccountBalance(number))
            if (mine_account.debit, mine_account.credit) != (
                their_account.debit,
                their_account.credit,
            ):
                found.append(
                    f"account {number} debit/credit {mine_account.debit}/{mine_account.credit}"
                    f" against {their_account.debit}/{their_account.credit}"
                )
        return found


class LedgerFold:
    """Adds vouchers up one at a time, refusing one that would make a wrong ledger file.

    `add` raises ValidationFailed, naming the voucher, for one whose debits and credits differ
    or whose amounts hold fractions of a cent.
    """

    __slots__ = ("entries", "lines", "_debits", "_credits")

    def __init__(self) -> None:
        self.entries = 0
        self.lines = 0
        self._debits: dict[str, Decimal] = {}
        self._credits: dict[str, Decimal] = {}

    def add(self, voucher: Voucher) -> None:
        """Count `voucher` in, or refuse it (ValidationFailed) before anything is counted."""
        debit_sum = credit_sum = ZERO
        for line in voucher.lines:
            debit, credit = line.debit, line.credit
            if debit.quantize(CENT) != debit or credit.quantize(CENT) != credit:
                raise ValidationFailed(
                    {
                        f"voucher {voucher.number}": f"account {line.account}: "
                        f"{debit or credit} has more than two decimals"
                    }
                )
            debit_sum += debit
            credit_sum += credit
        if debit_sum != credit_sum:
            raise ValidationFailed(
                {
                    f"voucher {voucher.number}": f"debits {debit_sum} and credits {credit_sum}"
                    " differ: it does not balance"
                }
            )
        debits, credits = self._debits, self._credits
        for line in voucher.lines:
            account = line.account
            debits[account] = debits.get(account, ZERO) + line.debit
            credits[account] = credits.get(account, ZERO) + line.credit
        self.entries += 1
        self.lines += len(voucher.lines)

    def summary(self) -> LedgerSummary:
        """What the vouchers added so far come to."""
        accounts = {
            number: AccountBalance(number, self._debits[number], self._credits[number])
            for number in sorted(self._debits)
        }
        return LedgerSummary(
            entries=self.entries,
            lines=self.lines,
            total_debit=sum(self._debits.values(), ZERO),
            total_credit=sum(self._credits.values(), ZERO),
            accounts=MappingProxyType(accounts),
        )


def summarize(vouchers: Iterable[Voucher]) -> LedgerSummary:
    """The totals of `vouchers`: the first pass a streaming SAF-T export needs.

    Raises:
        ValidationFailed: a voucher that does not balance or holds fractions of a cent.
    """
    fold = LedgerFold()
    for voucher in vouchers:
        fold.add(voucher)
    return fold.summary()


def account_balances(vouchers: Iterable[Voucher]) -> list[AccountBalance]:
    """Each account's debits, credits and balance over `vouchers`, by account number.

    Raises:
        ValidationFailed: a voucher that does not balance or holds fractions of a cent.
    """
    return list(summarize(vouchers).accounts.values())
