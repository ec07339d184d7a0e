"""The general-ledger accounts paybot posts to: their names in the Norwegian standard chart and
the SAF-T 1.30 grouping each one is reported under.

SAF-T Financial 1.30 drops `StandardAccountID`: every account carries a `GroupingCategory` and a
`GroupingCode` from the Tax Administration's code lists instead. For the standard accounts that
is the næringsspesifikasjon list (`naeringsspesifikasjon.csv` in Skatteetaten/saf-t), whose codes
follow the standard chart's numbers. Where the list has no code of an account's own number, the
account is reported under the code of the group it belongs to: 7770 bank charges and 7798 other
deductible costs under 7700 "Annen kostnad", as the næringsspesifikasjon sums them.

The names are those of `General_Ledger_Standard_Accounts_4_character.csv` (DescriptionNOR);
tests/core/test_ledgerfiles.py holds both tables equal to the official files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["STANDARD_CHART", "ChartAccount", "Grouping", "chart_account"]


@dataclass(frozen=True)
class Grouping:
    """Where SAF-T 1.30 reports an account: a category of the code list and a code in it."""

    category: str
    code: str


@dataclass(frozen=True)
class ChartAccount:
    """An account as SAF-T describes it in MasterFiles/GeneralLedgerAccounts."""

    number: str
    description: str
    grouping: Grouping


_CURRENT_ASSETS = "balanseverdiForOmloepsmiddel"
_CURRENT_LIABILITIES = "kortsiktigGjeld"
_OTHER_OPERATING_COSTS = "annenDriftskostnad"
_FINANCIAL_INCOME = "finansinntekt"
_FINANCIAL_COSTS = "finanskostnad"

STANDARD_CHART: Mapping[str, ChartAccount] = MappingProxyType(
    {
        account.number: account
        for account in (
            ChartAccount("1500", "Kundefordringer", Grouping(_CURRENT_ASSETS, "1500")),
            ChartAccount("1920", "Bankinnskudd", Grouping(_CURRENT_ASSETS, "1920")),
            ChartAccount("1950", "Bankinnskudd for skattetrekk", Grouping(_CURRENT_ASSETS, "1950")),
            ChartAccount("2400", "Leverandørgjeld", Grouping(_CURRENT_LIABILITIES, "2400")),
            ChartAccount("2600", "Forskuddstrekk", Grouping(_CURRENT_LIABILITIES, "2600")),
            ChartAccount("7770", "Bank- og kortgebyr", Grouping(_OTHER_OPERATING_COSTS, "7700")),
            ChartAccount(
                "7798",
                "Annen kostnad, fradragsberettiget",
                Grouping(_OTHER_OPERATING_COSTS, "7700"),
            ),
            ChartAccount("8060", "Valutagevinst (agio)", Grouping(_FINANCIAL_INCOME, "8060")),
            ChartAccount("8160", "Valutatap (disagio)", Grouping(_FINANCIAL_COSTS, "8160")),
        )
    }
)

# A company's own accounts beside a standard one (1921 and 1922 for two bank accounts, 2401 for
# foreign suppliers) share its first three digits, and in the standard chart its meaning: they
# are reported under the grouping of the standard account of that three-digit group.
_BY_GROUP: Mapping[str, ChartAccount] = MappingProxyType(
    {number[:3]: account for number, account in STANDARD_CHART.items()}
)


def chart_account(number: str) -> ChartAccount | None:
    """The standard chart's description and grouping of account `number`, if it knows them.

    An account of the standard chart gets its own; another four-digit account in the same
    three-digit group as one (1921 beside 1920) gets that one's grouping and a description
    naming it; any other account None, and its description and grouping must come from the
    company's own chart.
    """
    known = STANDARD_CHART.get(number)
    if known is not None:
        return known
    if len(number) == 4 and number.isdigit():
        group = _BY_GROUP.get(number[:3])
        if group is not None and int(number) > int(group.number):
            return ChartAccount(number, f"{group.description} ({number})", group.grouping)
    return None
