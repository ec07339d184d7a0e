"""Reading Nets OCR Giro files: the KID payments into the company's accounts.

An OCR Giro file is one transmission of 80-character records in ISO-8859-1: a start (10), then
assignments (20 ... 88), each one agreement's payments to one account, then an end (89). A
payment is an amount record (30: settlement date, sign, amount in øre, KID), a second record
(31: archive reference, payer's bank date, debited account) and, for transaction types 20 and 21,
a text record (32).

`read_ocr_giro` gives the transmission's header at once (from a quick first pass over the start,
assignment and end records: their accounts, dates, counts and totals as the file declares them),
then the payments one by one from a second pass that checks every record. Both passes read one
line at a time, at most 128 bytes of it, so memory stays flat however large the file. A problem
anywhere raises `BankFileRejected` naming the file, the line and the field (`FILE:LINE: field:
problem`); the header pass already finds what is wrong with the lines themselves and with the
start, assignment and end records, the rest is found while iterating: apply a file's payments
all or nothing.

The records are parsed by the `netsgiro` package (2.0.1). What it does not do is done here:

- It ignores the sign. Record 30 has a sign at position 32 (`-` marks a reversal or correction);
  netsgiro reads it into `sign` but its amounts stay positive. Here a payment is a reversal when
  its transaction type is 18 or 20 (reversals) or its sign is `-`; its amount is then negative,
  and the totals of records 88 and 89 must be the net of these signed amounts. A negative net
  total is read as `-` in the first position of its 17-character field, which netsgiro's
  patterns refuse (the `-` is read here, and netsgiro given the field with a `0` in its place).
  Its `Transaction.amount` is also `Decimal(øre) / 100` (1020, not 1020.00); here amounts keep
  their two decimals.
- It checks no counts or totals: records 88 and 89 may say anything about the number of
  transactions, of records and the total amount. Here each is checked, and a file whose figures
  disagree with its records is refused, naming the record and the field.
- It checks little structure: records are grouped by transaction number wherever they stand, so a
  record 31 away from its 30 is silently joined to it; an assignment number used twice merges two
  assignments into one and drops the first one's records; a record 32 after a type 10 is kept;
  a missing record 31, a 31 before its 30 or a missing start or end record fails an `assert`
  (AssertionError) or a ValueError without a line number. Here the order is checked record by
  record: 10, then assignments (20, transactions of 30, 31 and for types 20 and 21 an optional
  32, each with its 30's transaction number and type, numbers increasing, then 88), then 89 and
  nothing after it; assignment numbers are unique.
- Its errors say which record class failed, not which field: every exception it raises on a
  record becomes `BankFileRejected`, and the record is checked field by field here to say which
  field is wrong.
- It reads text, not bytes, and `netsgiro.parse` splits lines with `str.splitlines`, which also
  breaks at U+0085, U+2028 and the separators \\x1c-\\x1e; its `\\d` and `int` accept any
  Unicode digit ("١٠٢٠" reads as 1020). Here bytes are read: a record is exactly 80 bytes,
  lines end at LF (CRLF taken), a NUL or other control byte (C0, DEL, C1 0x80-0x9f) is refused,
  as is UTF-8 text (its æ, ø, å read as ISO-8859-1 are Ã and a sign, its Æ, Ø, Å hold C1
  bytes) and a UTF-8 byte order mark; the rest is decoded as ISO-8859-1, whose only digits are
  0-9.
- `netsgiro.parse` holds the whole file, its records and objects in memory; its record 31
  writer writes a missing archive reference as spaces that its own reader then refuses; it
  reads dates with `%y` (years 69-99 are 1969-1999, 00-68 are 2000-2068); and its records cost
  about 9 µs each to read (attrs converters; `strptime` for the dates a quarter of it), most of
  the 30 µs a payment takes here (3 s for 100,000, in 17 MB).
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO, TypeVar

from netsgiro.converters import to_date, to_date_or_none
from netsgiro.records import (
    AssignmentEnd,
    AssignmentStart,
    Record,
    TransactionAmountItem1,
    TransactionAmountItem2,
    TransactionAmountItem3,
    TransmissionEnd,
    TransmissionStart,
)

from paybot.core.bankfiles.model import BankFileRejected
from paybot.core.incoming import IncomingPayment

OcrData = Path | bytes
_R = TypeVar("_R", bound=Record)
_E = TypeVar("_E", AssignmentEnd, TransmissionEnd)
_F = TypeVar("_F", TransactionAmountItem2, TransactionAmountItem3)
CURRENCY = "NOK"
RECORD = 80
MAX_ASSIGNMENTS = 10_000  # a bank's file has a few; the header lists them all
REVERSAL_TYPES = frozenset({18, 20})
TEXT_TYPES = frozenset({20, 21})
_READ = 128  # bytes of a line read at most: a longer line is refused unread
_CONTROL = re.compile(rb"[\x00-\x1f\x7f-\x9f]")
_BOM = b"\xef\xbb\xbf"
# UTF-8's à-ÿ (æ, ø, å among them) read as ISO-8859-1: Ã and a sign, never seen in a real text.
# (Its capitals, Æ Ø Å, hold C1 bytes, refused as control characters.)
_UTF8_LETTER = re.compile(rb"\xc3[\xa0-\xbf]")
_TOTAL = slice(24, 41)  # records 88 and 89: the total amount, signed in its first position
_COUNT = "number of transactions (positions 9-16)"
_RECORDS = "number of records (positions 17-24)"
_CLASSES: dict[str, type[Record]] = {
    "10": TransmissionStart,
    "20": AssignmentStart,
    "30": TransactionAmountItem1,
    "31": TransactionAmountItem2,
    "32": TransactionAmountItem3,
    "88": AssignmentEnd,
    "89": TransmissionEnd,
}
# The fields netsgiro reads as dates (with `strptime`), and its converter of each, per record.
_DATE_FIELDS: dict[type[Record], tuple[tuple[str, Callable[[str], date | None]], ...]] = {
    TransactionAmountItem1: (("nets_date", to_date),),
    TransactionAmountItem2: (("bank_date", to_date_or_none),),
    AssignmentEnd: tuple((f"nets_date_{n}", to_date_or_none) for n in (1, 2, 3)),
    TransmissionEnd: (("nets_date", to_date_or_none),),
}
# netsgiro's converters and validators raise these on a bad record; its objects also assert.
_NETSGIRO_ERRORS = (ValueError, TypeError, AssertionError, KeyError, IndexError, AttributeError)


@dataclass(frozen=True)
class OcrAssignment:
    """An assignment (oppdrag): one agreement's payments to one account, as its records say."""

    number: str
    agreement_id: str | None
    account: str  # the recipient's account the payments went to
    line: int  # its start record (20)
    transactions: int  # as its end record (88) declares them
    records: int
    total: Decimal  # the signed net amount, NOK
    settlement_date: date | None
    first_date: date | None
    last_date: date | None


@dataclass(frozen=True)
class OcrTransmission:
    """An OCR Giro file's header: its start record and, as declared, its assignments and end."""

    source: str
    number: str  # the transmission number: with the data transmitter, the file's id
    data_transmitter: str
    data_recipient: str
    assignments: tuple[OcrAssignment, ...]
    transactions: int
    records: int
    total: Decimal
    settlement_date: date | None

    @property
    def file_id(self) -> str:
        return f"{self.data_transmitter}/{self.number}"

    @property
    def accounts(self) -> tuple[str, ...]:
        """The accounts paid to, each once, in file order."""
        return tuple(dict.fromkeys(a.account for a in self.assignments))


def read_ocr_giro(source: str, data: OcrData) -> tuple[OcrTransmission, Iterator[IncomingPayment]]:
    """The transmission's header now, and its payments one by one; `source` names the file.

    Raises:
        BankFileRejected: from here, for a problem the header pass finds (a line's length or
            bytes, the start, assignment and end records and their order, a truncated file);
            while iterating, for any other (a transaction record, a count or total that
            disagrees with the records).
    """
    header = _Reader(source, full=False)
    for _ in header.read(data):
        pass
    return header.transmission(), _Reader(source, full=True).read(data)


@dataclass
class _Open:
    """The assignment being read."""

    start: AssignmentStart
    line: int
    records: int = 1
    transactions: int = 0
    total: int = 0  # øre, signed
    last_number: int = 0


@dataclass
class _Pending:
    """A transaction whose records are not all read yet."""

    first: TransactionAmountItem1
    line: int
    second: TransactionAmountItem2 | None = None


class _Reader:
    """One pass over a file. `full=False` reads the start, assignment and end records only."""

    def __init__(self, source: str, *, full: bool) -> None:
        self.source, self.full = source, full
        self.start: TransmissionStart | None = None
        self.end: TransmissionEnd | None = None
        self.end_total = 0
        self.open: _Open | None = None
        self.pending: _Pending | None = None
        self.assignments: list[OcrAssignment] = []
        self.numbers: set[str] = set()
        self.records = self.transactions = self.total = 0

    def refuse(self, line: int, problem: str) -> BankFileRejected:
        return BankFileRejected(self.source, problem, line)

    def read(self, data: OcrData) -> Iterator[IncomingPayment]:
        line = 0
        for line, text in _lines(self.source, data):
            if self.end is not None:
                raise self.refuse(line, "record: nothing may follow the transmission end (89)")
            kind = _kind(self.source, line, text, first=self.start is None)
            self.records += 1
            if kind in ("30", "31", "32"):
                if self.full:
                    yield from self._transaction(line, kind, text)
                continue
            if self.pending is not None:
                yield self._flush(line)
            if kind == "10":
                self.start = _parse(self.source, line, text, TransmissionStart)
            elif kind == "20":
                self._assignment_start(line, text)
            elif kind == "88":
                self._assignment_end(line, text)
            else:
                self._transmission_end(line, text)
        if self.start is None:
            raise self.refuse(1, "record: the file is empty: no transmission start (10)")
        if self.open is not None:
            raise self.refuse(
                line,
                f"record: the file ends inside assignment {self.open.start.assignment_number} "
                f"(line {self.open.line}): it is truncated, with no assignment end (88)",
            )
        if self.end is None:
            raise self.refuse(line, "record: the file is truncated: no transmission end (89)")

    # --- the start, assignment and end records --------------------------------------------

    def _assignment_start(self, line: int, text: str) -> None:
        if self.open is not None:
            raise self.refuse(
                line,
                f"record: assignment {self.open.start.assignment_number} (line "
                f"{self.open.line}) has no end (88) before this assignment start",
            )
        start = _parse(self.source, line, text, AssignmentStart)
        if start.assignment_number in self.numbers:
            raise self.refuse(
                line, f"assignment number (positions 18-24): {start.assignment_number} twice"
            )
        if len(self.numbers) >= MAX_ASSIGNMENTS:
            raise self.refuse(line, f"record: more than {MAX_ASSIGNMENTS} assignments")
        self.numbers.add(start.assignment_number)
        self.open = _Open(start, line)

    def _assignment_end(self, line: int, text: str) -> None:
        opened = self.open
        if opened is None:
            raise self.refuse(line, "record: an assignment end (88) with no assignment start (20)")
        end, total = _parse_signed(self.source, line, text, AssignmentEnd)
        opened.records += 1
        if self.full:
            holder = f"assignment {opened.start.assignment_number}"
            self._check(line, _COUNT, end.num_transactions, opened.transactions, holder, "payments")
            self._check(line, _RECORDS, end.num_records, opened.records, holder, "records")
            self._check_total(line, total, opened.total, holder)
        self.assignments.append(
            OcrAssignment(
                number=opened.start.assignment_number,
                agreement_id=opened.start.agreement_id,
                account=opened.start.assignment_account,
                line=opened.line,
                transactions=end.num_transactions,
                records=end.num_records,
                total=_nok(total),
                settlement_date=end.nets_date,
                first_date=end.nets_date_earliest,
                last_date=end.nets_date_latest,
            )
        )
        self.open = None

    def _transmission_end(self, line: int, text: str) -> None:
        if self.open is not None:
            raise self.refuse(
                line,
                f"record: assignment {self.open.start.assignment_number} (line "
                f"{self.open.line}) has no end (88) before the transmission end",
            )
        end, total = _parse_signed(self.source, line, text, TransmissionEnd)
        if self.full:
            holder = "the transmission"
            self._check(line, _COUNT, end.num_transactions, self.transactions, holder, "payments")
            self._check(line, _RECORDS, end.num_records, self.records, holder, "records")
            self._check_total(line, total, self.total, holder)
        self.end, self.end_total = end, total

    def _check(
        self, line: int, field: str, declared: int, counted: int, holder: str, noun: str
    ) -> None:
        if declared != counted:
            raise self.refuse(line, f"{field}: says {declared}, {holder} has {counted} {noun}")

    def _check_total(self, line: int, declared: int, counted: int, holder: str) -> None:
        if declared != counted:
            raise self.refuse(
                line,
                f"total amount (positions 25-41): says NOK {_nok(declared)}, the transactions "
                f"of {holder} add up to NOK {_nok(counted)}",
            )

    def transmission(self) -> OcrTransmission:
        start, end = self.start, self.end
        if start is None or end is None:  # read() refuses such a file first
            raise BankFileRejected(self.source, "record: no transmission start or end")
        return OcrTransmission(
            source=self.source,
            number=start.transmission_number,
            data_transmitter=start.data_transmitter,
            data_recipient=start.data_recipient,
            assignments=tuple(self.assignments),
            transactions=end.num_transactions,
            records=end.num_records,
            total=_nok(self.end_total),
            settlement_date=end.nets_date,
        )

    # --- the transactions -----------------------------------------------------------------

    def _transaction(self, line: int, kind: str, text: str) -> Iterator[IncomingPayment]:
        opened, pending = self.open, self.pending
        if opened is None:
            raise self.refuse(line, f"record: a transaction record ({kind}) outside an assignment")
        opened.records += 1
        if kind == "30":
            if pending is not None:
                yield self._flush(line)
            self.pending = self._amount_record(line, text, opened)
        elif kind == "31":
            if pending is None or pending.second is not None:
                raise self.refuse(line, "record: a record 31 must follow its record 30")
            pending.second = self._follower(line, text, pending, TransactionAmountItem2)
        else:
            if pending is None or pending.second is None:
                raise self.refuse(line, "record: a record 32 must follow a record 31")
            if pending.first.transaction_type not in TEXT_TYPES:
                raise self.refuse(
                    line, "record: a text record (32) follows transaction types 20 and 21 only"
                )
            third = self._follower(line, text, pending, TransactionAmountItem3)
            yield self._flush(line, third.text)

    def _amount_record(self, line: int, text: str, opened: _Open) -> _Pending:
        """Record 30, the first of a transaction."""
        first = _parse(self.source, line, text, TransactionAmountItem1)
        if first.transaction_number <= opened.last_number:
            raise self.refuse(
                line,
                f"transaction number (positions 9-15): {first.transaction_number} after "
                f"{opened.last_number}: numbers increase within an assignment",
            )
        opened.last_number = first.transaction_number
        return _Pending(first, line)

    def _follower(self, line: int, text: str, pending: _Pending, cls: type[_F]) -> _F:
        """Record 31 or 32, with its record 30's transaction number and type."""
        record = _parse(self.source, line, text, cls)
        first = pending.first
        if record.transaction_number != first.transaction_number:
            raise self.refuse(
                line,
                f"transaction number (positions 9-15): {record.transaction_number}, its record "
                f"30 (line {pending.line}) has {first.transaction_number}",
            )
        if record.transaction_type != first.transaction_type:
            raise self.refuse(
                line,
                f"transaction type (positions 5-6): {record.transaction_type:02d}, its record "
                f"30 (line {pending.line}) has {first.transaction_type:02d}",
            )
        return record

    def _flush(self, line: int, text: str | None = None) -> IncomingPayment:
        """The pending transaction, complete: `line` is the record after it (or its 32)."""
        pending, opened = self.pending, self.open
        assert pending is not None and opened is not None
        second = pending.second
        if second is None:
            raise self.refuse(
                line,
                f"record: transaction {pending.first.transaction_number} (line {pending.line}) "
                "has no record 31",
            )
        self.pending = None
        first = pending.first
        reversal = first.transaction_type in REVERSAL_TYPES or first.sign == "-"
        amount = -first.amount if reversal else first.amount
        opened.transactions += 1
        opened.total += amount
        self.transactions += 1
        self.total += amount
        start = opened.start
        assert self.start is not None
        debited = second.debit_account
        return IncomingPayment(
            key=(
                f"{self.start.data_transmitter}/{self.start.transmission_number}/"
                f"{start.assignment_number}/{first.transaction_number:07d}"
            ),
            amount=_nok(amount),
            currency=CURRENCY,
            kid=first.kid,
            account=start.assignment_account,
            payment_date=first.nets_date,
            reversal=reversal,
            source=self.source,
            line=pending.line,
            bank_reference=second.reference,
            payer_account=None if debited is None or not debited.strip("0") else debited,
            message=text,
            bank_code=f"{first.transaction_type:02d}",
        )


# --- lines and records ----------------------------------------------------------------------


def _open(data: OcrData) -> AbstractContextManager[BinaryIO]:
    return data.open("rb") if isinstance(data, Path) else io.BytesIO(data)


def _lines(source: str, data: OcrData) -> Iterator[tuple[int, str]]:
    """(line number, record) for each line: exactly 80 bytes of ISO-8859-1 text, decoded."""
    blank: int | None = None
    with _open(data) as stream:
        readline = stream.readline
        number = 0
        while raw := readline(_READ):
            number += 1
            if number == 1 and raw.startswith(_BOM):
                raise BankFileRejected(
                    source, "record: a UTF-8 byte order mark: OCR Giro files are ISO-8859-1", 1
                )
            record = raw.rstrip(b"\n")
            if len(record) == len(raw) == _READ:
                raise BankFileRejected(source, f"record: longer than {_READ} characters", number)
            if record.endswith(b"\r"):
                record = record[:-1]
            if not record:
                blank = blank or number
                continue
            if blank is not None:
                raise BankFileRejected(source, "record: an empty line inside the file", blank)
            if len(record) != RECORD:
                raise BankFileRejected(source, _length_problem(record), number)
            _check_bytes(source, number, record)
            yield number, record.decode("latin-1")


def _length_problem(record: bytes) -> str:
    if not record.isascii():
        try:
            if len(record.decode("utf-8")) == RECORD:
                return f"record: {RECORD} characters of UTF-8: OCR Giro files are ISO-8859-1"
        except UnicodeDecodeError:
            pass
    return f"record: {len(record)} characters, not {RECORD}"


def _check_bytes(source: str, number: int, record: bytes) -> None:
    """Refuses control bytes (NUL, C0, DEL, C1) and UTF-8's small letters (æ, ø, å, é, ...)."""
    found = _CONTROL.search(record)
    if found is not None:
        byte = record[found.start()]
        what = "a NUL byte" if byte == 0 else f"byte 0x{byte:02x}, a control character"
        raise BankFileRejected(
            source, f"record: {what} at position {found.start() + 1}: not ISO-8859-1 text", number
        )
    if not record.isascii() and _UTF8_LETTER.search(record):
        raise BankFileRejected(
            source, "record: UTF-8 text (ø written Ã¸): OCR Giro files are ISO-8859-1", number
        )


def _kind(source: str, line: int, text: str, *, first: bool) -> str:
    """The record type, once the format and service codes are right for it."""
    kind = text[6:8]
    if first and kind != "10":
        raise BankFileRejected(
            source, f"record type (positions 7-8): {kind!r}: a file starts with 10", line
        )
    if text[:2] != "NY":
        raise BankFileRejected(source, f"format code (positions 1-2): {text[:2]!r}, not NY", line)
    if kind not in _CLASSES:
        raise BankFileRejected(
            source,
            f"record type (positions 7-8): {kind!r} is not an OCR Giro record "
            "(10, 20, 30, 31, 32, 88, 89)",
            line,
        )
    if kind == "10" and not first:
        raise BankFileRejected(source, "record type (positions 7-8): a second start (10)", line)
    service = "00" if kind in ("10", "89") else "09"
    if text[2:4] != service:
        other = " (AvtaleGiro: only OCR Giro is read)" if text[2:4] == "21" else ""
        raise BankFileRejected(
            source, f"service code (positions 3-4): {text[2:4]!r}, not {service}{other}", line
        )
    return kind


def _parse(source: str, line: int, text: str, cls: type[_R]) -> _R:
    """netsgiro's reading of the record; whatever it raises becomes BankFileRejected.

    This is netsgiro's `Record.from_string` (its patterns, its class: its converters and
    validators), with one thing remembered: the dates. netsgiro reads a date with `strptime`
    for every record, a quarter of its time, though a file holds a few distinct dates; its own
    converter's answer for each is kept (`_date`), and its class takes a date as it is.
    """
    try:
        for pattern in cls._PATTERNS:
            found = pattern.match(text)
            if found is not None:
                fields = found.groupdict()
                for name, converter in _DATE_FIELDS.get(cls, ()):
                    fields[name] = _date(converter, fields[name])
                return cls(**fields)
        raise ValueError(f"{text!r} did not match {cls.__name__} record formats")
    except _NETSGIRO_ERRORS as exc:
        raise BankFileRejected(source, _diagnose(text, exc), line) from exc


@functools.lru_cache(maxsize=256)
def _date(converter: Callable[[str], date | None], text: str) -> date | None:
    """netsgiro's converter's date for `text` (raises as it does: an error is not kept)."""
    return converter(text)


def _parse_signed(source: str, line: int, text: str, cls: type[_E]) -> tuple[_E, int]:
    """Record 88 or 89, and its total in øre with the sign netsgiro cannot read."""
    negative = text[_TOTAL.start] == "-"
    if negative:
        text = f"{text[: _TOTAL.start]}0{text[_TOTAL.start + 1 :]}"
    record = _parse(source, line, text, cls)
    total = record.total_amount or 0
    return record, -total if negative else total


def _nok(ore: int) -> Decimal:
    return Decimal(ore).scaleb(-2)


# --- which field is wrong -------------------------------------------------------------------
# (name, first position, last position, pattern, what it must be) per record type. netsgiro
# says only that a record did not match; these say which field did not, once it has failed.

_DATE, _DATE_OR_ZERO = "date", "date or 000000"
_FIELDS: dict[str, tuple[tuple[str, int, int, str, str], ...]] = {
    "10": (
        ("transmission type", 5, 6, "00", "00"),
        ("data transmitter", 9, 16, r"\d{8}", "8 digits"),
        ("transmission number", 17, 23, r"\d{7}", "7 digits"),
        ("data recipient", 24, 31, r"\d{8}", "8 digits"),
        ("filler", 32, 80, "0{49}", "zeros"),
    ),
    "20": (
        ("assignment type", 5, 6, "00", "00 (transactions)"),
        ("agreement id", 9, 17, r"\d{9}", "9 digits"),
        ("assignment number", 18, 24, r"\d{7}", "7 digits"),
        ("assignment account", 25, 35, r"\d{11}", "11 digits"),
        ("filler", 36, 80, "0{45}", "zeros"),
    ),
    "30": (
        ("transaction type", 5, 6, "1[0-9]|2[01]", "10 to 21"),
        ("transaction number", 9, 15, r"\d{7}", "7 digits"),
        ("settlement date", 16, 21, _DATE, "a date DDMMYY"),
        ("centre id", 22, 23, r"\d{2}", "2 digits"),
        ("day code", 24, 25, r"\d{2}", "2 digits"),
        ("partial settlement number", 26, 26, r"\d", "a digit"),
        ("partial settlement serial number", 27, 31, r"\d{5}", "5 digits"),
        ("sign", 32, 32, "[-0]", "- or 0"),
        ("amount", 33, 49, r"\d{17}", "17 digits (øre)"),
        ("KID", 50, 74, r"[\d ]{25}", "digits, right-aligned in spaces"),
        ("filler", 75, 80, "0{6}", "zeros"),
    ),
    "31": (
        ("transaction type", 5, 6, "1[0-9]|2[01]", "10 to 21"),
        ("transaction number", 9, 15, r"\d{7}", "7 digits"),
        ("form number", 16, 25, r"\d{10}", "10 digits"),
        ("archive reference", 26, 34, r"\d{9}", "9 digits"),
        ("payer's bank date", 42, 47, _DATE_OR_ZERO, "a date DDMMYY or 000000"),
        ("debited account", 48, 58, r"\d{11}", "11 digits"),
        ("filler", 59, 80, "0{22}", "zeros"),
    ),
    "32": (
        ("transaction type", 5, 6, "1[0-9]|2[01]", "10 to 21"),
        ("transaction number", 9, 15, r"\d{7}", "7 digits"),
        ("filler", 56, 80, "0{25}", "zeros"),
    ),
    "88": (
        ("assignment type", 5, 6, "00", "00 (transactions)"),
        ("number of transactions", 9, 16, r"\d{8}", "8 digits"),
        ("number of records", 17, 24, r"\d{8}", "8 digits"),
        ("total amount", 25, 41, r"\d{17}", "17 digits (øre), - first if negative"),
        ("settlement date", 42, 47, _DATE_OR_ZERO, "a date DDMMYY or 000000"),
        ("first settlement date", 48, 53, _DATE_OR_ZERO, "a date DDMMYY or 000000"),
        ("last settlement date", 54, 59, _DATE_OR_ZERO, "a date DDMMYY or 000000"),
        ("filler", 60, 80, "0{21}", "zeros"),
    ),
    "89": (
        ("transmission type", 5, 6, "00", "00"),
        ("number of transactions", 9, 16, r"\d{8}", "8 digits"),
        ("number of records", 17, 24, r"\d{8}", "8 digits"),
        ("total amount", 25, 41, r"\d{17}", "17 digits (øre), - first if negative"),
        ("settlement date", 42, 47, _DATE_OR_ZERO, "a date DDMMYY or 000000"),
        ("filler", 48, 80, "0{33}", "zeros"),
    ),
}


def _diagnose(text: str, exc: Exception) -> str:
    """`field (positions a-b): 'value' is not ...` for the first field that is wrong."""
    for name, first, last, pattern, expected in _FIELDS[text[6:8]]:
        value = text[first - 1 : last]
        if pattern in (_DATE, _DATE_OR_ZERO):
            good = _is_date(value) or (pattern == _DATE_OR_ZERO and value == "000000")
        else:
            good = re.fullmatch(pattern, value, re.ASCII) is not None
        if not good:
            return f"{name} (positions {first}-{last}): {value!r} is not {expected}"
    return f"record {text[6:8]}: {exc}"  # nothing found field by field: netsgiro's own words


def _is_date(value: str) -> bool:
    if not re.fullmatch(r"\d{6}", value, re.ASCII):
        return False
    try:
        datetime.strptime(value, "%d%m%y")
    except ValueError:
        return False
    return True
