"""SAF-T Financial 1.30 (Norway): the vouchers of a period as the Tax Administration's audit file,
streamed in one pass with lxml's incremental `xmlfile`.

The file is valid against `Norwegian_SAF-T_Financial_Schema_v_1.30.xsd` (namespace
urn:StandardAuditFile-Taxation-Financial:NO):

- Header: AuditFileVersion 1.30, country NO, the software, the company (organisation number,
  name, address, a contact person with a telephone number: the schema requires one), the
  default currency, the period as SelectionStartDate/SelectionEndDate, TaxAccountingBasis A.
- MasterFiles: every account posted to or carrying an opening balance, with its description,
  GroupingCategory/GroupingCode (`chart`) and opening and closing balance; the customers and
  suppliers the lines name, by the ids the lines use (`common.party_id`).
- GeneralLedgerEntries: NumberOfEntries, TotalDebit, TotalCredit, one journal, a Transaction
  per voucher and a Line per voucher line; a line in another currency than the company's carries
  CurrencyCode, CurrencyAmount and ExchangeRate (CurrencyAmount x ExchangeRate = Amount).

The header's totals and the accounts' closing balances come before the entries they sum, so the
caller hands them in as a `LedgerSummary` (a first pass, `first_pass` or `balance.summarize`,
or a SQL aggregate), and the writer checks at the end that the vouchers it wrote add up to it.
Everything that can be checked before the first byte (company, period, accounts, parties) is; a
voucher refused on the way, or vouchers that do not add up to the summary, raise ValidationFailed
with the file left unfinished (no closing tags), so write to a temporary file and keep it only
when `write_saft` returns.

The schema's key and keyref constraints use unqualified XPaths, so a validating parser does not
enforce them on this namespaced file; the writer keeps them itself: every AccountID, CustomerID
and SupplierID a line names is in MasterFiles, and TransactionIDs are unique (the voucher number,
prefixed with its year when the period spans more than one).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, BinaryIO

from lxml import etree

from paybot.core.errors import ValidationFailed
from paybot.core.ledgerfiles.balance import ZERO, AccountBalance, LedgerFold, LedgerSummary
from paybot.core.ledgerfiles.chart import Grouping, chart_account
from paybot.core.ledgerfiles.common import (
    PARTY_KINDS,
    cents_text,
    check_text,
    party_id,
)
from paybot.core.vouchers import CENT, Party, Voucher

__all__ = [
    "AUDIT_FILE_VERSION",
    "NAMESPACE",
    "Address",
    "Contact",
    "Period",
    "SaftAccount",
    "SaftCompany",
    "first_pass",
    "opening_accounts",
    "parties_of",
    "saft_file_name",
    "write_saft",
]

NAMESPACE = "urn:StandardAuditFile-Taxation-Financial:NO"
AUDIT_FILE_VERSION = "1.30"
SOFTWARE = "paybot"
JOURNAL_ID = "BANK"
JOURNAL_DESCRIPTION = "Betalinger og innbetalinger bokført fra banken (paybot)"
JOURNAL_TYPE = "GL"

# The schema's text types, by their maximum length in characters.
_SHORT, _MIDDLE1, _MIDDLE2, _LONG = 18, 35, 70, 256
# SAFmonetaryType: at most 18 digits, 2 of them decimals.
_MONEY_LIMIT = Decimal(10) ** 16
# SAFexchangerateType: at most 18 digits, 8 of them decimals.
_RATE = Decimal("0.00000001")
_RATE_LIMIT = Decimal(10) ** 10


@dataclass(frozen=True)
class Address:
    """A postal or street address; every part is optional in SAF-T."""

    street_name: str | None = None
    number: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = "NO"


@dataclass(frozen=True)
class Contact:
    """The person the Tax Administration may ask about the file (the schema requires one)."""

    first_name: str
    last_name: str
    telephone: str
    email: str | None = None


@dataclass(frozen=True)
class SaftCompany:
    """The company whose ledger the file holds."""

    org_no: str
    name: str
    currency: str
    contact: Contact
    address: Address | None = None


@dataclass(frozen=True)
class Period:
    """The dates the file covers, both included."""

    start: date
    end: date


@dataclass(frozen=True)
class SaftAccount:
    """A general-ledger account with its balance when the period starts (debit positive).

    `description` and `grouping` default to the standard chart's (`chart.chart_account`); an
    account outside it must bring its own.
    """

    number: str
    opening: Decimal = ZERO
    description: str | None = None
    grouping: Grouping | None = None


def opening_accounts(openings: Iterable[AccountBalance]) -> list[SaftAccount]:
    """Accounts for `write_saft` from the balances of everything posted before the period."""
    return [SaftAccount(balance.account, balance.balance) for balance in openings]


def parties_of(vouchers: Iterable[Voucher]) -> list[Party]:
    """The suppliers and customers the lines of `vouchers` name, each once (by kind and id)."""
    seen: dict[tuple[str, str], Party] = {}
    for voucher in vouchers:
        _note_parties(voucher, seen)
    return list(seen.values())


def first_pass(vouchers: Iterable[Voucher]) -> tuple[LedgerSummary, list[Party]]:
    """What `write_saft` needs before the vouchers, in one pass over them (a stream read once):
    their summary (`balance.summarize`) and the parties their lines name (`parties_of`).

    Raises:
        ValidationFailed: a voucher that does not balance or holds fractions of a cent.
    """
    fold = LedgerFold()
    seen: dict[tuple[str, str], Party] = {}
    for voucher in vouchers:
        fold.add(voucher)
        _note_parties(voucher, seen)
    return fold.summary(), list(seen.values())


def _note_parties(voucher: Voucher, seen: dict[tuple[str, str], Party]) -> None:
    for line in voucher.lines:
        party = line.party
        if party is not None:
            seen.setdefault((party.kind, party_id(party)), party)


def saft_file_name(org_no: str, created: datetime, part: int = 1, parts: int = 1) -> str:
    """The file name the Tax Administration asks for, e.g.
    "SAF-T Financial_974760673_20260301093000_1_1.xml" (part 1 of 1)."""
    return f"SAF-T Financial_{org_no}_{created:%Y%m%d%H%M%S}_{part}_{parts}.xml"


def write_saft(
    out: BinaryIO,
    *,
    company: SaftCompany,
    period: Period,
    accounts: Iterable[SaftAccount],
    parties: Iterable[Party],
    summary: LedgerSummary,
    vouchers: Iterable[Voucher],
    created: date,
    software_version: str,
) -> LedgerSummary:
    """Write the SAF-T Financial 1.30 file of `vouchers` to `out`, one voucher at a time.

    Args:
        out: a binary stream; written as vouchers come, flushed at the end, never closed.
        company: organisation number, name, currency, contact person and address.
        period: the first and last date of the selection; every voucher must fall in it.
        accounts: the accounts with their opening balances (`opening_accounts`); an account
            the summary names but `accounts` does not opens at zero.
        parties: every supplier and customer the lines name (`parties_of`, or the store's).
        summary: what `vouchers` add up to (`balance.summarize`, or a SQL aggregate): the
            header's totals and the accounts' closing balances (opening + movement).
        vouchers: the period's vouchers, in the order they should have in the file.
        created: the file's date (AuditFileDateCreated).
        software_version: paybot's version (SoftwareVersion, at most 18 characters).

    Returns:
        What was written, equal to `summary`.

    Raises:
        ValidationFailed: a company, account or party the file cannot describe (nothing is
            written then); a voucher outside the period, not balancing, naming an account or
            party not given, or holding a character no file can carry; or vouchers that do not
            add up to `summary`. The last two leave the file unfinished.
    """
    header = _check_header(company, period, software_version)
    account_rows = _check_accounts(accounts, summary)
    customers, suppliers = _check_parties(parties)
    context = _Context(
        currency=company.currency,
        period=period,
        accounts=frozenset(row.number for row in account_rows),
        customers=frozenset(customers),
        suppliers=frozenset(suppliers),
        year_prefix=period.start.year != period.end.year,
    )
    out.write(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    with etree.xmlfile(out, encoding="utf-8") as xf:
        xml = _Xml(xf)
        root = xml.open("AuditFile", nsmap={None: NAMESPACE})
        _write_header(xml, header, company, period, created, software_version)
        _write_master_files(xml, account_rows, customers, suppliers)
        written = _write_entries(xml, context, summary, vouchers)
        xml.close(root)
    out.write(b"\n")
    out.flush()
    return written


# --- checking, before anything is written --------------------------------------------------------


@dataclass(frozen=True)
class _Header:
    org_no: str
    name: str


@dataclass(frozen=True)
class _AccountRow:
    number: str
    description: str
    grouping: Grouping
    opening: Decimal
    closing: Decimal


@dataclass(frozen=True)
class _Context:
    currency: str
    period: Period
    accounts: frozenset[str]
    customers: frozenset[str]
    suppliers: frozenset[str]
    year_prefix: bool


def _refuse(where: str, problem: str) -> ValidationFailed:
    return ValidationFailed({where: problem})


def _identifier(where: str, field: str, value: str, limit: int) -> str:
    check_text(where, field, value)
    if not value.strip():
        raise _refuse(where, f"{field} is empty")
    if len(value) > limit:
        raise _refuse(where, f"{field} {value!r}: at most {limit} characters in SAF-T")
    return value


def _text(where: str, field: str, value: str, limit: int = _LONG) -> str:
    """A descriptive text, cut to what the schema allows."""
    return check_text(where, field, value)[:limit]


def _check_header(company: SaftCompany, period: Period, software_version: str) -> _Header:
    org_no = _identifier("company", "organisation number", company.org_no, _MIDDLE1)
    name = _text("company", "name", company.name)
    if len(company.currency) != 3 or not company.currency.isalpha():
        raise _refuse("company", f"currency {company.currency!r} is not an ISO 4217 code")
    contact = company.contact
    _identifier("company contact", "first name", contact.first_name, _MIDDLE1)
    _identifier("company contact", "last name", contact.last_name, _MIDDLE2)
    _identifier("company contact", "telephone", contact.telephone, _SHORT)
    if contact.email is not None:
        _identifier("company contact", "email", contact.email, _MIDDLE2)
    address = company.address
    if address is not None:
        for field in ("street_name", "number", "postal_code", "city"):
            value = getattr(address, field)
            if value is not None:
                check_text("company address", field, value)
        if address.country is not None and len(address.country) != 2:
            raise _refuse("company address", f"country {address.country!r} is not ISO 3166")
    if period.start > period.end:
        raise _refuse("period", f"starts {period.start} after it ends {period.end}")
    if period.start.year < 1970 or period.end.year > 2100:
        raise _refuse("period", "SAF-T covers the years 1970 to 2100")
    _identifier("software", "version", software_version, _SHORT)
    return _Header(org_no, name)


def _check_accounts(accounts: Iterable[SaftAccount], summary: LedgerSummary) -> list[_AccountRow]:
    given: dict[str, SaftAccount] = {}
    for account in accounts:
        if account.number in given:
            raise _refuse(f"account {account.number}", "given twice")
        given[account.number] = account
    for number in summary.accounts:
        given.setdefault(number, SaftAccount(number))
    rows = []
    for number in sorted(given):
        account = given[number]
        where = f"account {number}"
        _identifier(where, "number", number, _MIDDLE2)
        standard = chart_account(number)
        description = account.description or (standard.description if standard else None)
        grouping = account.grouping or (standard.grouping if standard else None)
        if description is None or grouping is None:
            raise _refuse(
                where,
                "not in the standard chart: give its description, GroupingCategory and"
                " GroupingCode",
            )
        _identifier(where, "GroupingCategory", grouping.category, _LONG)
        _identifier(where, "GroupingCode", grouping.code, _MIDDLE1)
        movement = summary.accounts.get(number, AccountBalance(number))
        rows.append(
            _AccountRow(
                number=number,
                description=_text(where, "description", description),
                grouping=grouping,
                opening=account.opening,
                closing=account.opening + movement.balance,
            )
        )
    return rows


def _check_parties(parties: Iterable[Party]) -> tuple[dict[str, Party], dict[str, Party]]:
    found: dict[str, dict[str, Party]] = {kind: {} for kind in PARTY_KINDS}
    for party in parties:
        where = f"{party.kind} {party.name!r}"
        if party.kind not in found:
            raise _refuse(where, "a party is a supplier or a customer")
        identifier = _identifier(where, "id", party_id(party), _MIDDLE1)
        check_text(where, "name", party.name)
        if party.org_no is not None:
            _identifier(where, "organisation number", party.org_no, _MIDDLE1)
        found[party.kind].setdefault(identifier, party)
    return found["customer"], found["supplier"]


def _money(where: str, amount: Decimal) -> str:
    if abs(amount) >= _MONEY_LIMIT:
        raise _refuse(where, f"{amount} has more digits than SAF-T allows (16 before the comma)")
    return cents_text(amount)


# --- writing -------------------------------------------------------------------------------------

_INDENTS = ["\n" + "  " * depth for depth in range(16)]


class _Names(dict[str, str]):
    """ "Tag" → "{namespace}Tag", made once per tag rather than once per element."""

    def __missing__(self, tag: str) -> str:
        name = self[tag] = f"{{{NAMESPACE}}}{tag}"
        return name


class _Xml:
    """Indented elements of the SAF-T namespace, written through lxml's incremental `xmlfile`.

    Plain methods rather than generator context managers: a voucher has some 30 elements, and
    this is the loop that decides how long 100,000 vouchers take.
    """

    def __init__(self, xf: Any) -> None:
        self._element, self._write, self.flush = xf.element, xf.write, xf.flush
        self.depth = 0
        self.name = _Names()

    def leaf(self, tag: str, text: str) -> None:
        self._write(_INDENTS[self.depth])
        with self._element(self.name[tag]):
            self._write(text)

    def node(self, tag: str) -> _Node:
        return _Node(self, tag)

    def open(self, tag: str, nsmap: dict[str | None, str] | None = None) -> Any:
        """Open an element; `close` closes it. Not a `with` block: an error leaves the elements
        open and propagates as it is (lxml would replace it with an error of its own)."""
        if self.depth:
            self._write(_INDENTS[self.depth])
        element = self._element(self.name[tag], nsmap=nsmap)
        element.__enter__()
        self.depth += 1
        return element

    def close(self, element: Any) -> None:
        self.depth -= 1
        self._write(_INDENTS[self.depth])
        element.__exit__(None, None, None)


class _Node:
    """`with xml.node("Tag"):` opens an element for what is written inside the block."""

    __slots__ = ("_xml", "_tag", "_element")

    def __init__(self, xml: _Xml, tag: str) -> None:
        self._xml, self._tag = xml, tag

    def __enter__(self) -> None:
        self._element = self._xml.open(self._tag)

    def __exit__(self, *exc_info: object) -> None:
        if exc_info[0] is None:  # an error leaves the file unfinished, not closed as if whole
            self._xml.close(self._element)


def _write_header(
    xml: _Xml,
    header: _Header,
    company: SaftCompany,
    period: Period,
    created: date,
    software_version: str,
) -> None:
    with xml.node("Header"):
        xml.leaf("AuditFileVersion", AUDIT_FILE_VERSION)
        xml.leaf("AuditFileCountry", "NO")
        xml.leaf("AuditFileDateCreated", created.isoformat())
        xml.leaf("SoftwareCompanyName", SOFTWARE)
        xml.leaf("SoftwareID", SOFTWARE)
        xml.leaf("SoftwareVersion", software_version)
        with xml.node("Company"):
            xml.leaf("RegistrationNumber", header.org_no)
            xml.leaf("Name", header.name)
            if company.address is not None:
                _write_address(xml, company.address)
            contact = company.contact
            with xml.node("Contact"):
                with xml.node("ContactPerson"):
                    xml.leaf("FirstName", contact.first_name)
                    xml.leaf("LastName", contact.last_name)
                xml.leaf("Telephone", contact.telephone)
                if contact.email is not None:
                    xml.leaf("Email", contact.email)
        xml.leaf("DefaultCurrencyCode", company.currency)
        with xml.node("SelectionCriteria"):
            xml.leaf("SelectionStartDate", period.start.isoformat())
            xml.leaf("SelectionEndDate", period.end.isoformat())
        xml.leaf("TaxAccountingBasis", "A")


def _write_address(xml: _Xml, address: Address) -> None:
    with xml.node("Address"):
        if address.street_name:
            xml.leaf("StreetName", address.street_name[:_LONG])
        if address.number:
            xml.leaf("Number", address.number[:_MIDDLE2])
        if address.city:
            xml.leaf("City", address.city[:_LONG])
        if address.postal_code:
            xml.leaf("PostalCode", address.postal_code[:_MIDDLE2])
        if address.country:
            xml.leaf("Country", address.country)


def _write_master_files(
    xml: _Xml,
    accounts: list[_AccountRow],
    customers: dict[str, Party],
    suppliers: dict[str, Party],
) -> None:
    if not (accounts or customers or suppliers):
        return
    with xml.node("MasterFiles"):
        if accounts:
            with xml.node("GeneralLedgerAccounts"):
                for account in accounts:
                    _write_account(xml, account)
        for group, tag, parties in (
            ("Customers", "Customer", customers),
            ("Suppliers", "Supplier", suppliers),
        ):
            if parties:
                with xml.node(group):
                    for identifier, party in parties.items():
                        with xml.node(tag):
                            if party.org_no:
                                xml.leaf("RegistrationNumber", party.org_no)
                            xml.leaf("Name", party.name[:_LONG])
                            xml.leaf(f"{tag}ID", identifier)


def _write_account(xml: _Xml, account: _AccountRow) -> None:
    where = f"account {account.number}"
    with xml.node("Account"):
        xml.leaf("AccountID", account.number)
        xml.leaf("AccountDescription", account.description)
        xml.leaf("GroupingCategory", account.grouping.category)
        xml.leaf("GroupingCode", account.grouping.code)
        xml.leaf("AccountType", "GL")
        side = "Debit" if account.opening >= 0 else "Credit"
        xml.leaf(f"Opening{side}Balance", _money(where, abs(account.opening)))
        side = "Debit" if account.closing >= 0 else "Credit"
        xml.leaf(f"Closing{side}Balance", _money(where, abs(account.closing)))


def _write_entries(
    xml: _Xml, context: _Context, summary: LedgerSummary, vouchers: Iterable[Voucher]
) -> LedgerSummary:
    fold = LedgerFold()
    with xml.node("GeneralLedgerEntries"):
        xml.leaf("NumberOfEntries", str(summary.entries))
        xml.leaf("TotalDebit", _money("TotalDebit", summary.total_debit))
        xml.leaf("TotalCredit", _money("TotalCredit", summary.total_credit))
        with xml.node("Journal"):
            xml.leaf("JournalID", JOURNAL_ID)
            xml.leaf("Description", JOURNAL_DESCRIPTION)
            xml.leaf("Type", JOURNAL_TYPE)
            for count, voucher in enumerate(vouchers, 1):
                fold.add(voucher)
                _write_transaction(xml, context, voucher)
                if count % 1000 == 0:
                    xml.flush()
            written = fold.summary()
            differences = written.differences(summary)
            if differences:
                raise ValidationFailed(
                    {"summary": "; ".join(differences)},
                    "the vouchers written do not add up to the summary in the file's header"
                    " (written against summary: " + "; ".join(differences) + ")",
                )
    return written


def _write_transaction(xml: _Xml, context: _Context, voucher: Voucher) -> None:
    """One voucher as a Transaction, refused (ValidationFailed) before its first byte."""
    where = f"voucher {voucher.number}"
    day = voucher.day
    if not context.period.start <= day <= context.period.end:
        period = context.period
        raise _refuse(where, f"dated {day}, outside the period {period.start} to {period.end}")
    transaction_id = f"{day.year}-{voucher.number}" if context.year_prefix else str(voucher.number)
    description = _text(where, "text", voucher.text)
    lines = list(_lines(context, voucher, where, transaction_id, description))
    iso_day = day.isoformat()
    transaction = xml.open("Transaction")
    xml.leaf("TransactionID", transaction_id)
    xml.leaf("Period", str(day.month))
    xml.leaf("PeriodYear", str(day.year))
    xml.leaf("TransactionDate", iso_day)
    xml.leaf("Description", description)
    # When the voucher was entered is not kept apart from its date: the documentation says to use
    # the transaction date then.
    xml.leaf("SystemEntryDate", iso_day)
    xml.leaf("GLPostingDate", iso_day)
    for line in lines:
        _write_line(xml, line)
    xml.close(transaction)


@dataclass(frozen=True, slots=True)
class _Line:
    record_id: str
    account: str
    party_tag: str | None
    party_id: str | None
    description: str
    side: str
    amount: str
    currency: str | None
    currency_amount: str | None
    rate: str | None


def _lines(
    context: _Context, voucher: Voucher, where: str, transaction_id: str, description: str
) -> Iterator[_Line]:
    for index, line in enumerate(voucher.lines, 1):
        if line.account not in context.accounts:
            raise _refuse(where, f"line {index}: account {line.account} is not in the accounts")
        party_tag = identifier = None
        party = line.party
        if party is not None:
            identifier = party_id(party)
            if party.kind == "supplier" and identifier in context.suppliers:
                party_tag = "SupplierID"
            elif party.kind == "customer" and identifier in context.customers:
                party_tag = "CustomerID"
            else:
                raise _refuse(
                    where, f"line {index}: {party.kind} {identifier} is not among the parties"
                )
        # A line of zero is written as a debit of 0.00: the schema wants one side or the other.
        side, amount = ("Credit", line.credit) if line.credit else ("Debit", line.debit)
        currency = currency_amount = rate = None
        if line.currency != context.currency:
            currency = line.currency
            if len(currency) != 3:
                raise _refuse(where, f"line {index}: currency {currency!r} is not ISO 4217")
            foreign = abs(line.amount_currency)
            currency_amount = _money(where, foreign.quantize(CENT, ROUND_HALF_UP))
            if foreign:
                exchange_rate = (amount / foreign).quantize(_RATE, ROUND_HALF_UP)
                if exchange_rate < _RATE_LIMIT:
                    rate = f"{exchange_rate:f}"
        record_id = f"{transaction_id}-{index}"
        if len(record_id) > _SHORT:
            raise _refuse(where, f"line {index}: RecordID {record_id} is over {_SHORT} characters")
        yield _Line(
            record_id=record_id,
            account=line.account,
            party_tag=party_tag,
            party_id=identifier,
            description=_text(where, f"line {index} text", line.text) or description,
            side=side,
            amount=_money(where, amount),
            currency=currency,
            currency_amount=currency_amount,
            rate=rate,
        )


def _write_line(xml: _Xml, line: _Line) -> None:
    element = xml.open("Line")
    xml.leaf("RecordID", line.record_id)
    xml.leaf("AccountID", line.account)
    if line.party_tag is not None and line.party_id is not None:
        xml.leaf(line.party_tag, line.party_id)
    xml.leaf("Description", line.description)
    amount = xml.open(f"{line.side}Amount")
    xml.leaf("Amount", line.amount)
    if line.currency is not None and line.currency_amount is not None:
        xml.leaf("CurrencyCode", line.currency)
        xml.leaf("CurrencyAmount", line.currency_amount)
        if line.rate is not None:
            xml.leaf("ExchangeRate", line.rate)
    xml.close(amount)
    xml.close(element)
