"""A company's chart of accounts (kontoplan): the GL accounts its ledger has, their names, and
whether a person may post an incoming payment to one by hand; read from a file, whole or refused
with one ImportRejected naming file, line and field.

Two kinds of file:
- CSV (UTF-8, `;` or `,`), a header line, then one account a line: `number;name`, and an
  optional `by_hand` column (yes or no, ja or nei; empty: yes) for accounts a person may not
  post to by hand, such as the customer and supplier ledgers' control accounts;
- SAF-T Financial (Norway), whose MasterFiles/GeneralLedgerAccounts hold every account of the
  company's ledger (AccountID, AccountDescription); all are open for posting by hand.

A number is 3 to 10 digits, as paybot's vouchers take them; a file that names one account twice,
or none, is refused. Pure domain: the caller hands over the file's bytes.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from paybot.core.errors import ImportRejected, ValidationFailed
from paybot.core.ledger_file import _csv_records, _decode, _Record
from paybot.core.text import text_problem, too_long

if TYPE_CHECKING:
    from paybot.core.bankfiles.safe_xml import Element

__all__ = [
    "GL_ACCOUNT",
    "NAME_LENGTH",
    "AccountNotInChart",
    "ChartRow",
    "LedgerAccount",
    "gl_account_problem",
    "read_chart",
]

# A GL account number paybot posts to: the voucher lines' account column holds ten characters.
GL_ACCOUNT = re.compile(r"\d{3,10}")
# The longest account name: SAF-T's AccountDescription (SAFlongtextType), and the stored column
# (chart_accounts.name in store/tables.py; tests hold them equal).
NAME_LENGTH = 256
_CSV_REQUIRED = ("number", "name")
_CSV_OPTIONAL = ("by_hand",)
_YES, _NO = frozenset({"", "yes", "ja", "y", "j"}), frozenset({"no", "nei", "n"})
_SAFT_NAMESPACE = "urn:StandardAuditFile-Taxation-Financial:NO"
_EXPECTED = (
    "expected a CSV with the header number;name (and optionally by_hand) and one account a line, "
    "or a SAF-T Financial file with MasterFiles/GeneralLedgerAccounts"
)


@dataclass(frozen=True)
class ChartRow:
    """An account as the file gives it, on its line."""

    line: int
    number: str
    name: str
    by_hand: bool = True


@dataclass(frozen=True)
class LedgerAccount:
    """An account of a company's chart, as paybot keeps it."""

    number: str
    name: str
    by_hand: bool = True


class AccountNotInChart(ValidationFailed):
    """A GL account a person may not post to by hand: not in the company's chart of accounts,
    or in it but closed for posting by hand. A field error on the account, saying how to add it
    (or open it)."""

    code = "account_not_in_chart"

    def __init__(
        self, account: str, company_name: str, org_no: str, *, closed_name: str | None
    ) -> None:
        self.account = account
        self.closed = closed_name is not None
        command = f"`paybot ledger accounts import FILE --company {org_no}`"
        if closed_name is None:
            problem = (
                f"{account} is not in the chart of accounts of {company_name}: check the number, "
                f"or add the account to the chart file and import it again ({command})"
            )
        else:
            problem = (
                f"{account} {closed_name} is closed for posting by hand in the chart of accounts "
                f"of {company_name}: give another account, or open it (by_hand yes in the chart "
                f"file) and import the file again ({command})"
            )
        super().__init__({"account": problem})


def gl_account_problem(number: str) -> str | None:
    """None if `number` is a GL account number paybot can post to, else what is wrong."""
    if GL_ACCOUNT.fullmatch(number):
        return None
    return f"{number!r} is not a GL account number (3 to 10 digits)"


def read_chart(source: str, data: bytes) -> list[ChartRow]:
    """The accounts of a chart file (CSV or SAF-T Financial, told apart by its first character),
    in the file's order.

    Raises:
        ImportRejected: the file is not one of the two, or a line of it is wrong (a number that
            is not 3 to 10 digits, no name, a name too long or with a control character, an
            account given twice, by_hand neither yes nor no), or it holds no account.
    """
    if data.removeprefix(codecs.BOM_UTF8).lstrip().startswith(b"<"):
        rows = _checked(source, _saft_rows(source, data), "AccountID")
    else:
        rows = _checked(source, _csv_rows(source, _decode(source, data)), "number")
    if not rows:
        raise ImportRejected(source, 1, None, f"no accounts in the file ({_EXPECTED})")
    return rows


def _checked(source: str, rows: Iterable[ChartRow], field: str) -> list[ChartRow]:
    """The rows, refused at the second line of an account given twice."""
    seen: dict[str, int] = {}
    found = []
    for row in rows:
        earlier = seen.setdefault(row.number, row.line)
        if earlier != row.line:
            raise ImportRejected(
                source,
                row.line,
                field,
                f"account {row.number} already appears on line {earlier} (expected it only once)",
            )
        found.append(row)
    return found


def _number(source: str, line: int, field: str, value: str) -> str:
    if not value:
        raise ImportRejected(source, line, field, "is required (the account's number)")
    if problem := text_problem(value) or gl_account_problem(value):
        raise ImportRejected(source, line, field, problem)
    return value


def _name(source: str, line: int, field: str, value: str) -> str:
    if not value:
        raise ImportRejected(source, line, field, "is required (the account's name)")
    problem = text_problem(value) or (
        too_long(value, NAME_LENGTH) if len(value) > NAME_LENGTH else None
    )
    if problem:
        raise ImportRejected(source, line, field, problem)
    return value


# --- CSV --------------------------------------------------------------------------------------


def _csv_rows(source: str, text: str) -> Iterator[ChartRow]:
    for record in _csv_records(source, text, _CSV_REQUIRED, _CSV_OPTIONAL):
        yield ChartRow(
            line=record.line,
            number=_number(source, record.line, "number", record.required("number")),
            name=_name(source, record.line, "name", record.text("name")),
            by_hand=_by_hand(record),
        )


def _by_hand(record: _Record) -> bool:
    value = record.text("by_hand").lower()
    if value in _YES:
        return True
    if value in _NO:
        return False
    record.reject("by_hand", f"{value!r} is neither yes nor no (empty: yes)")


# --- SAF-T Financial --------------------------------------------------------------------------


def _saft_rows(source: str, data: bytes) -> Iterator[ChartRow]:
    """The accounts of MasterFiles/GeneralLedgerAccounts. The file is read no further than
    MasterFiles (the ledger's entries, which may run to gigabytes, come after), and an account
    read is let go of: memory stays flat however long the file is."""
    from paybot.core.bankfiles.model import BankFileRejected
    from paybot.core.bankfiles.safe_xml import XmlStream, first, local_name

    try:
        stream = XmlStream(
            source,
            data,
            message="AuditFile",
            family="SAF-T",
            ends=("Account", "GeneralLedgerAccounts", "MasterFiles"),
            starts=("GeneralLedgerEntries", "SourceDocuments"),
        )
        if stream.kind.namespace != _SAFT_NAMESPACE:
            raise ImportRejected(
                source,
                1,
                None,
                f"the file's namespace is {stream.kind.namespace or 'none'}, not SAF-T Financial "
                f"(Norway)'s {_SAFT_NAMESPACE} ({_EXPECTED})",
            )
        for _, name, element in stream:
            if name != "Account":
                return  # past the accounts
            parent = element.getparent()
            if parent is None or local_name(parent) != "GeneralLedgerAccounts":
                continue
            line = element.sourceline or 1
            number = first(element, "AccountID")
            description = first(element, "AccountDescription")
            yield ChartRow(
                line=line,
                number=_number(source, _line(number, line), "AccountID", _text_of(number)),
                name=_name(
                    source, _line(description, line), "AccountDescription", _text_of(description)
                ),
            )
    except BankFileRejected as refused:
        raise ImportRejected(source, refused.line or 1, None, refused.problem) from None


def _text_of(element: Element | None) -> str:
    text = None if element is None else element.text
    return text.strip() if isinstance(text, str) else ""


def _line(element: Element | None, default: int) -> int:
    line = None if element is None else element.sourceline
    return line if isinstance(line, int) else default
