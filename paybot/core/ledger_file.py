"""Ledger exports (CSV or JSON) turned into checked rows, or one precise ImportRejected: the
supplier ledger (suppliers, open items) and the customer ledger's open invoices.

Pure domain: callers hand over the file's bytes. Everything a finance user can fix in the file is
an ImportRejected naming file, line and column; everything that is merely suspicious (an invalid
account, a KID with a wrong check digit, an unknown currency) passes through and is flagged later.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import NoReturn, TypeVar

from paybot.core.errors import ImportRejected
from paybot.core.identifiers import (
    account_problem,
    compact_account,
    is_iban_like,
    kid_problem,
    normalize_org_no,
)
from paybot.core.money import (
    AmountError,
    currency_exponent,
    is_iso_currency,
    parse_amount,
    quantize,
)
from paybot.core.payee_details import LIMITS, PAYEE_FIELDS, check_field
from paybot.core.payments import NO_PAYEE_DETAILS, PayeeDetails, ReferenceType
from paybot.core.text import text_problem, too_long

__all__ = [
    "COLUMN_LIMITS",
    "CUSTOMER_COLUMN_LIMITS",
    "DETAIL_GROUPS",
    "PAYEE_COLUMNS",
    "PAYEE_COLUMN_LIMITS",
    "CustomerItemRow",
    "OpenItemRow",
    "SupplierRow",
    "details_filled",
    "details_given",
    "read_customer_item_rows",
    "read_open_item_rows",
    "read_supplier_rows",
]

# A payee's details for payments abroad, in the order of PayeeDetails and store.tables'
# PAYEE_DETAILS (tests hold the three equal), checked as core.payee_details checks them.
PAYEE_COLUMNS = PAYEE_FIELDS
SUPPLIER_REQUIRED = ("name",)
SUPPLIER_OPTIONAL = ("org_no", "account", *PAYEE_COLUMNS)
OPEN_ITEM_REQUIRED = ("voucher_no", "supplier_name", "amount", "currency", "due_date")
OPEN_ITEM_OPTIONAL = (
    "invoice_no",
    "supplier_org_no",
    "account",
    "invoice_date",
    "reference_type",
    "reference",
)

# The most characters each stored text may have, as stored (an account compacted, a KID without
# spaces): the lengths of its columns in store/models.py, which core may not import
# (tests/core/test_text.py holds them equal). A supplier's name is also its payments' payee.
COLUMN_LIMITS = {
    "name": 200,  # suppliers.name, payments.payee
    "org_no": 40,  # suppliers.org_no
    "account": 40,  # suppliers.registered_account, open_items.account, payments.account
    "voucher_no": 40,  # open_items.voucher_no
    "invoice_no": 60,  # open_items.invoice_no
    "supplier_name": 200,  # suppliers.name, payments.payee
    "supplier_org_no": 40,  # suppliers.org_no
    "reference": 140,  # open_items.reference, payments.reference
}
CUSTOMER_ITEM_REQUIRED = ("invoice_no", "customer_name", "amount", "currency")
CUSTOMER_ITEM_OPTIONAL = ("customer_org_no", "invoice_date", "due_date", "kid")
# The customer ledger's own columns (customer_items in store/models.py; tests hold them equal);
# its invoice_no is as long as the supplier ledger's.
CUSTOMER_COLUMN_LIMITS = {
    "customer_name": 200,  # customer_items.customer_name
    "customer_org_no": 40,  # customer_items.customer_org_no
    "kid": 25,  # customer_items.kid
}
# A supplier's details for payments abroad: the same columns on suppliers and payments
# (tests/core/test_ledger_file.py holds them equal to both).
PAYEE_COLUMN_LIMITS = LIMITS
_LIMITS = {**COLUMN_LIMITS, **CUSTOMER_COLUMN_LIMITS}
# The details that only make sense together: the postal address (a street of one address with
# the town of another is no address) and the purpose (a code with another code's text). A file,
# an EHF invoice or a supplier's change sets a group whole; the BIC and the charge bearer alone.
DETAIL_GROUPS: tuple[tuple[str, ...], ...] = (
    ("street", "building_no", "post_code", "town", "country"),
    ("bic",),
    ("charge_bearer",),
    ("purpose_code", "purpose_text"),
)

# Only JSON's own whitespace may sit between array items (what json itself skips).
_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_JSON_SEPARATOR = re.compile(r"[ \t\n\r]*([,\]])[ \t\n\r]*")
_ASCII_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_REFERENCE_TYPES = "kid, message, invoice or empty"
_AMOUNT_DIGITS = 14
_DATE_EXAMPLE = "expected e.g. 2026-11-30 or 30.11.2026"
# A dict lookup, because calling the enum per row is several times slower; blank means empty.
_REFERENCE_TYPE_BY_TEXT = {kind.value: kind for kind in ReferenceType} | {"": ReferenceType.EMPTY}
_Text = TypeVar("_Text", str, str | None)


@dataclass(frozen=True)
class SupplierRow:
    """A supplier as the file gives it; the nine details (PayeeDetails' fields) are its defaults
    for payments abroad, each None where the file leaves it empty or out."""

    line: int
    name: str
    org_no: str | None
    account: str | None
    street: str | None = None
    building_no: str | None = None
    post_code: str | None = None
    town: str | None = None
    country: str | None = None
    bic: str | None = None
    charge_bearer: str | None = None
    purpose_code: str | None = None
    purpose_text: str | None = None

    @property
    def details(self) -> PayeeDetails:
        return PayeeDetails(*(getattr(self, column) for column in PAYEE_COLUMNS))


@dataclass(frozen=True)
class OpenItemRow:
    line: int
    voucher_no: str
    invoice_no: str | None
    supplier_name: str
    supplier_org_no: str | None
    account: str | None
    amount: Decimal
    currency: str
    invoice_date: date | None
    due_date: date
    reference_type: ReferenceType
    reference: str | None


@dataclass(frozen=True)
class CustomerItemRow:
    """An open invoice of the customer ledger, as the file gives it."""

    line: int
    invoice_no: str
    customer_name: str
    customer_org_no: str | None
    amount: Decimal
    currency: str
    invoice_date: date | None
    due_date: date | None
    kid: str | None


def read_supplier_rows(source: str, data: bytes) -> list[SupplierRow]:
    """Suppliers of a ledger export; the same supplier twice is refused.

    Beside name, org_no and account, a supplier may carry its details for payments abroad:
    street, building_no, post_code, town, country (ISO 3166 alpha-2 or XK, any case), bic (a BIC
    of 8 or 11 characters), charge_bearer (DEBT, CRED or SHAR), purpose_code (a code of Norges
    Bank's list) and purpose_text, each checked and stored as core.payee_details does (a refusal
    says why in its words). With a country other than NO, an account that is not an IBAN is a
    foreign account number (1-34 letters and digits) rather than a Norwegian one.
    """
    rows: list[SupplierRow] = []
    seen: dict[tuple[str, str], int] = {}
    for record in _records(source, data, SUPPLIER_REQUIRED, SUPPLIER_OPTIONAL):
        name = record.limited("name", record.required("name"))
        org_no = _org_no(record, "org_no")
        country = _payee_detail(record, "country")  # the account is checked by it
        account = _registered_account(record, country)
        details = {c: _payee_detail(record, c) for c in PAYEE_COLUMNS if c != "country"}
        row = SupplierRow(
            line=record.line, name=name, org_no=org_no, account=account, country=country, **details
        )
        _check_new_supplier(record, row, seen)
        rows.append(row)
    return rows


def read_open_item_rows(source: str, data: bytes) -> list[OpenItemRow]:
    """Open items (invoices, credit notes, earlier payments); a voucher_no may appear once."""
    rows: list[OpenItemRow] = []
    seen: dict[str, int] = {}
    for record in _records(source, data, OPEN_ITEM_REQUIRED, OPEN_ITEM_OPTIONAL):
        row = _open_item(record)
        earlier = seen.setdefault(row.voucher_no, row.line)
        if earlier != row.line:
            record.reject(
                "voucher_no",
                f"{row.voucher_no!r} already appears on line {earlier} "
                "(expected each voucher_no only once)",
            )
        rows.append(row)
    return rows


def read_customer_item_rows(source: str, data: bytes) -> list[CustomerItemRow]:
    """The customer ledger's open invoices: an invoice_no may appear once, its amount is more
    than zero and its KID (where given) has a valid MOD10 or MOD11 check digit, since incoming
    payments find their invoice by it."""
    rows: list[CustomerItemRow] = []
    seen: dict[str, int] = {}
    for record in _records(source, data, CUSTOMER_ITEM_REQUIRED, CUSTOMER_ITEM_OPTIONAL):
        row = _customer_item(record)
        earlier = seen.setdefault(row.invoice_no, row.line)
        if earlier != row.line:
            record.reject(
                "invoice_no",
                f"{row.invoice_no!r} already appears on line {earlier} "
                "(expected each invoice_no only once)",
            )
        rows.append(row)
    return rows


def _customer_item(record: _Record) -> CustomerItemRow:
    invoice_no = record.limited("invoice_no", record.required("invoice_no"))
    customer_name = record.limited("customer_name", record.required("customer_name"))
    customer_org_no = _org_no(record, "customer_org_no")
    currency = _currency(record)
    if not is_iso_currency(currency):
        record.reject("currency", f"{currency!r} is not an ISO 4217 currency (expected e.g. NOK)")
    amount = _amount(record, currency)
    if amount <= 0:
        record.reject(
            "amount",
            f"{amount} is not an invoice's amount (expected more than 0: credit notes are not "
            "matched to incoming payments)",
        )
    kid = record.limited("kid", "".join(record.text("kid").split()) or None)
    if kid is not None and (problem := kid_problem(kid)):
        record.reject("kid", problem)
    return CustomerItemRow(
        line=record.line,
        invoice_no=invoice_no,
        customer_name=customer_name,
        customer_org_no=customer_org_no,
        amount=amount,
        currency=currency,
        invoice_date=_date(record, "invoice_date"),
        due_date=_date(record, "due_date"),
        kid=kid,
    )


def _open_item(record: _Record) -> OpenItemRow:
    voucher_no = record.limited("voucher_no", record.required("voucher_no"))
    invoice_no = record.limited("invoice_no", record.optional("invoice_no"))
    supplier_name = record.limited("supplier_name", record.required("supplier_name"))
    supplier_org_no = _org_no(record, "supplier_org_no")
    account = _account(record)
    currency = _currency(record)
    amount = _amount(record, currency)
    invoice_date = _date(record, "invoice_date")
    due_date = _date(record, "due_date")
    if due_date is None:
        record.reject("due_date", "is required")
    reference_type, reference = _reference(record, invoice_no)
    return OpenItemRow(
        line=record.line,
        voucher_no=voucher_no,
        invoice_no=invoice_no,
        supplier_name=supplier_name,
        supplier_org_no=supplier_org_no,
        account=account,
        amount=amount,
        currency=currency,
        invoice_date=invoice_date,
        due_date=due_date,
        reference_type=reference_type,
        reference=reference,
    )


def _check_new_supplier(
    record: _Record, row: SupplierRow, seen: dict[tuple[str, str], int]
) -> None:
    # Without an org number the name is all we have; case and spacing differences are the same
    # supplier typed twice, not two suppliers.
    if row.org_no is not None:
        column, key, shown = "org_no", ("org_no", row.org_no), row.org_no
    else:
        column, key, shown = "name", ("name", " ".join(row.name.casefold().split())), row.name
    earlier = seen.setdefault(key, row.line)
    if earlier != row.line:
        record.reject(
            column, f"supplier {shown!r} already appears on line {earlier} (expected it only once)"
        )


class _Record:
    """One row of the file, whatever the format, with the means to reject it precisely."""

    __slots__ = ("source", "line", "values")

    def __init__(self, source: str, line: int, values: Mapping[str, object]) -> None:
        self.source = source
        self.line = line
        self.values = values

    def reject(self, column: str | None, problem: str) -> NoReturn:
        raise ImportRejected(self.source, self.line, column, problem)

    def raw(self, column: str) -> str | Decimal:
        value = self.values.get(column)
        if isinstance(value, str):
            return value
        if isinstance(value, Decimal):
            return value
        if value is None:
            return ""
        # bool is an int subclass, so it must be refused before ints are taken as numbers.
        if isinstance(value, int) and not isinstance(value, bool):
            return Decimal(value)
        self.reject(column, f"{_describe(value)} is not allowed (expected text or a number)")

    def text(self, column: str) -> str:
        """The value as text without surrounding spaces; refused if it holds a control character."""
        value = self.values.get(column, "")
        if isinstance(value, str):  # every CSV cell: the path that must stay cheap
            text = value.strip()
            if text.isprintable():  # True for nearly every cell, at C speed
                return text
        else:
            converted = self.raw(column)
            value = converted if isinstance(converted, str) else str(converted)
            text = value.strip()
        if problem := text_problem(text, offset=len(value) - len(value.lstrip())):
            self.reject(column, problem)
        return text

    def limited(self, column: str, value: _Text) -> _Text:
        """`value` as it will be stored, if it fits its column."""
        # Only the rare value that does not fit costs more than a len().
        if value is not None and len(value) > _LIMITS[column]:
            self.reject(column, too_long(value, _LIMITS[column]))
        return value

    def optional(self, column: str) -> str | None:
        return self.text(column) or None

    def required(self, column: str) -> str:
        return self.text(column) or self.reject(column, "is required")


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _org_no(record: _Record, column: str) -> str | None:
    text = record.text(column)
    compact = record.limited(column, text.replace(" ", ""))
    # Nine digits can only be meant as a Norwegian number, so a typo must not pass as a foreign id.
    if len(compact) == 9 and compact.isascii() and compact.isdigit():
        return _norwegian_org_no(compact) or record.reject(
            column,
            f"{text!r} is not a valid Norwegian organisation number "
            "(expected 9 digits with a correct check digit)",
        )
    if not text:
        return None
    foreign = compact.upper()
    if _FOREIGN_ORG_NO.fullmatch(foreign):
        return foreign
    return record.reject(
        column,
        f"{text!r} is not an organisation number (expected 9 digits, or a foreign number that "
        "starts with its country code, e.g. SE5566778899)",
    )


# A foreign id starts with its two-letter country code, then letters, digits or dashes.
_FOREIGN_ORG_NO = re.compile(r"[A-Z]{2}[A-Z0-9-]*[0-9][A-Z0-9-]*")


@functools.lru_cache(maxsize=65536)
def _norwegian_org_no(compact: str) -> str | None:
    # Open items repeat the same few suppliers; validating each number once keeps 100k rows fast.
    try:
        return normalize_org_no(compact)
    except ValueError:
        return None


def _account(record: _Record) -> str | None:
    return record.limited("account", _compact_account(record.text("account")) or None)


def _registered_account(record: _Record, country: str | None) -> str | None:
    """A supplier's registered account is what payments are checked against: it must be valid
    (with the supplier's country abroad, a foreign account number is)."""
    account = _account(record)
    if account and (problem := account_problem(account, country)):
        hint = "a registered account must be valid"
        if country is None and not is_iban_like(account) and not _eleven_digits(account):
            hint += "; an account abroad that is not an IBAN needs the supplier's country"
        record.reject("account", f"{problem} ({hint})")
    return account


def _eleven_digits(account: str) -> bool:
    return len(account) == 11 and account.isascii() and account.isdigit()


# Accounts repeat per supplier, and compacting is a regex substitution per call.
_compact_account = functools.lru_cache(maxsize=65536)(compact_account)


def details_given(stored: PayeeDetails, given: PayeeDetails) -> PayeeDetails:
    """`stored` with every group of DETAIL_GROUPS that `given` has a value in replaced by
    `given`'s, whole: a file that gives an address gives all of it, and an empty group in the
    file keeps what paybot knows (from an EHF invoice, say)."""
    changes: dict[str, str | None] = {}
    for group in DETAIL_GROUPS:
        if any(getattr(given, column) is not None for column in group):
            changes.update({column: getattr(given, column) for column in group})
    return replace(stored, **changes)


def details_filled(stored: PayeeDetails, offered: PayeeDetails) -> PayeeDetails:
    """`stored` with its empty values filled from `offered`, group by group, never overwriting:
    a group is filled only where each of its values `stored` has is `offered`'s too (a country
    alone is completed with the same country's street and town; another town fills nothing)."""
    if offered == NO_PAYEE_DETAILS:
        return stored
    changes: dict[str, str | None] = {}
    for group in DETAIL_GROUPS:
        pairs = [(getattr(stored, column), getattr(offered, column)) for column in group]
        if all(have is None or have == offer for have, offer in pairs):
            changes.update(
                {
                    column: offer
                    for column, (have, offer) in zip(group, pairs, strict=True)
                    if have is None and offer is not None
                }
            )
    return replace(stored, **changes) if changes else stored


def _payee_detail(record: _Record, column: str) -> str | None:
    """A detail for payments abroad, stored as core.payee_details stores it, or the file refused
    with its reason."""
    cell = record.values.get(column, "")
    # The cell as typed: a refused character's position counts from where the cell starts.
    value, problem = check_field(column, cell if isinstance(cell, str) else record.text(column))
    if problem is not None:
        record.reject(column, problem.message)
    return value


def _currency(record: _Record) -> str:
    text = record.required("currency")
    code = text.upper()
    if len(code) != 3 or not _ASCII_LETTERS.issuperset(code):
        record.reject(
            "currency", f"{text!r} is not a currency code (expected three letters, e.g. NOK)"
        )
    return code


def _amount(record: _Record, currency: str) -> Decimal:
    raw = record.raw("amount")
    if isinstance(raw, Decimal):
        amount, text = raw, str(raw)
    else:
        text = raw.strip() or record.reject("amount", "is required")
        try:
            amount = parse_amount(text)
        except AmountError as exc:
            record.reject("amount", str(exc))
    # Far beyond any invoice, and beyond what exact storage in minor units can hold.
    if amount.adjusted() >= _AMOUNT_DIGITS:
        record.reject("amount", f"{text!r} is too large (expected less than 10^{_AMOUNT_DIGITS})")
    # Unknown codes have no known exponent; they are flagged later, not refused here.
    if not is_iso_currency(currency):
        return amount
    exponent = currency_exponent(currency)
    # Most amounts already carry exactly the currency's decimals; quantize would change nothing.
    if amount.as_tuple().exponent == -exponent:
        return amount
    try:
        return quantize(amount, currency)
    except AmountError:
        record.reject(
            "amount",
            f"{text!r} has more decimals than {currency} allows (expected at most {exponent})",
        )


def _date(record: _Record, column: str) -> date | None:
    text = record.text(column)
    if not text:
        return None
    parsed = _parse_date(text)
    if isinstance(parsed, str):
        record.reject(column, parsed)
    return parsed


@functools.lru_cache(maxsize=65536)
def _parse_date(text: str) -> date | str:
    """The date, or what is wrong with the text; cached because a file repeats its dates."""
    iso, dotted = text.split("-"), text.split(".")
    if len(iso) == 3 and (len(iso[0]), len(iso[1]), len(iso[2])) == (4, 2, 2):
        year, month, day = iso
    elif len(dotted) == 3 and len(dotted[2]) == 4 and 0 < len(dotted[0]) <= 2 >= len(dotted[1]) > 0:
        day, month, year = dotted
    else:
        return f"{text!r} is not a date ({_DATE_EXAMPLE})"
    digits = year + month + day
    if not (digits.isascii() and digits.isdigit()):
        return f"{text!r} is not a date ({_DATE_EXAMPLE})"
    try:
        return date(int(year), int(month), int(day))
    except ValueError as exc:
        return f"{text!r} is not a real date ({exc})"


def _reference(record: _Record, invoice_no: str | None) -> tuple[ReferenceType, str | None]:
    kind_text = record.text("reference_type")
    kind = _REFERENCE_TYPE_BY_TEXT.get(kind_text.lower())
    if kind is None:
        record.reject(
            "reference_type", f"{kind_text!r} is not a reference type (expected {_REFERENCE_TYPES})"
        )
    reference = record.optional("reference")
    if kind is ReferenceType.EMPTY and reference:
        record.reject(
            "reference_type",
            "a reference is given, so reference_type must be kid, message or invoice",
        )
    if kind is ReferenceType.INVOICE and not reference:
        reference = invoice_no
    if kind is ReferenceType.KID and reference:
        # People group long KIDs for readability; the bank wants the digits alone.
        reference = "".join(reference.split())
    return kind, record.limited("reference", reference)


def _records(
    source: str, data: bytes, required: tuple[str, ...], optional: tuple[str, ...]
) -> Iterator[_Record]:
    text = _decode(source, data)
    start = len(text) - len(text.lstrip())
    if start == len(text):
        return iter(())
    if text[start] in "[{":
        return _json_records(source, text, start)
    return _csv_records(source, text, required, optional)


def _decode(source: str, data: bytes) -> str:
    body = data[len(codecs.BOM_UTF8) :] if data.startswith(codecs.BOM_UTF8) else data
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        raise ImportRejected(
            source,
            line,
            None,
            f"byte 0x{body[exc.start]:02x} is not valid UTF-8 (expected a UTF-8 file; "
            "export or save it as UTF-8)",
        ) from None


def _csv_records(
    source: str, text: str, required: tuple[str, ...], optional: tuple[str, ...]
) -> Iterator[_Record]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    columns: list[str] | None = None
    next_line = 1
    try:
        for fields in reader:
            # line_num is the last physical line read, so a row starts just after the previous.
            line, next_line = next_line, reader.line_num + 1
            if not "".join(fields).strip():
                continue
            if columns is None:
                columns = _header(source, line, fields, required, optional)
                continue
            if len(fields) != len(columns):
                raise ImportRejected(
                    source,
                    line,
                    None,
                    f"the row has {len(fields)} fields but the header has {len(columns)} "
                    "(check the delimiter and the quoting on this line)",
                )
            yield _Record(source, line, dict(zip(columns, fields, strict=True)))
    except csv.Error as exc:
        raise ImportRejected(source, next_line, None, f"malformed CSV: {exc}") from None


def _delimiter(text: str) -> str:
    for line in io.StringIO(text, newline=""):
        if line.strip():
            # A tie (a one-column file) goes to ';', the usual choice where ',' is a decimal mark.
            return "," if line.count(",") > line.count(";") else ";"
    return ";"


def _header(
    source: str, line: int, fields: list[str], required: tuple[str, ...], optional: tuple[str, ...]
) -> list[str]:
    columns = [field.strip().lower() for field in fields]
    for column in required:
        if column not in columns:
            found = ", ".join(name for name in columns if name) or "no column names"
            raise ImportRejected(
                source, line, column, f"required column is missing from the header (found: {found})"
            )
    for column in required + optional:
        if columns.count(column) > 1:
            raise ImportRejected(
                source, line, column, "column appears more than once in the header (expected once)"
            )
    return columns


def _json_records(source: str, text: str, start: int) -> Iterator[_Record]:
    if text[start] != "[":
        _reject_json(source, text, start, "the file holds one object (expected a list of objects)")
    decoder = json.JSONDecoder(parse_float=Decimal)
    pos = _skip_space(text, start + 1)
    line, counted = 1, 0
    normalized: set[str] = set()
    at_end = text.startswith("]", pos)
    if at_end:  # an empty list: step past its ']' as _after_json_item does for the last item
        pos += 1
    while not at_end:
        # Counting newlines only since the previous item keeps line numbering linear.
        line, counted = line + text.count("\n", counted, pos), pos
        value, end = _decode_json_value(source, decoder, text, pos)
        if not isinstance(value, dict):
            raise ImportRejected(
                source, line, None, f"{_describe(value)} is not allowed (expected an object)"
            )
        yield _Record(source, line, _normalized_keys(value, normalized))
        pos, at_end = _after_json_item(source, text, end)
    _expect_json_end(source, text, pos)


def _normalized_keys(value: dict[str, object], normalized: set[str]) -> dict[str, object]:
    """The object with keys stripped and lower-cased, as CSV headers are."""
    # Nearly every export already uses the plain names; checking that is cheaper than rebuilding.
    if normalized.issuperset(value):
        return value
    result = {key.strip().lower(): item for key, item in value.items()}
    normalized.update(key for key in value if key in result)
    return result


def _decode_json_value(
    source: str, decoder: json.JSONDecoder, text: str, pos: int
) -> tuple[object, int]:
    try:
        value, end = decoder.raw_decode(text, pos)
    except json.JSONDecodeError as exc:
        raise ImportRejected(
            source, exc.lineno, None, f"invalid JSON: {exc.msg} (at column {exc.colno})"
        ) from None
    return value, end


def _after_json_item(source: str, text: str, end: int) -> tuple[int, bool]:
    """Position after the separator that follows an item, and whether it closed the list."""
    separator = _JSON_SEPARATOR.match(text, end)
    if separator is None:
        _reject_json(
            source, text, _skip_space(text, end), "invalid JSON: expected ',' or ']' after an item"
        )
    return separator.end(), separator.group(1) == "]"


def _expect_json_end(source: str, text: str, pos: int) -> None:
    pos = _skip_space(text, pos)
    if pos < len(text):
        _reject_json(source, text, pos, "invalid JSON: extra data after the closing ']'")


def _reject_json(source: str, text: str, pos: int, problem: str) -> NoReturn:
    raise ImportRejected(source, text.count("\n", 0, pos) + 1, None, problem)


def _skip_space(text: str, pos: int) -> int:
    match = _JSON_SPACE.match(text, pos)
    return match.end() if match else pos
