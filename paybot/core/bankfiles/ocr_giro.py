"""Reading Nets OCR Giro files: the KID payments into the company's accounts.

An OCR Giro file is one transmission of 80-character records in ISO-8859-1: a start (10), then
assignments (20 ... 88), each one agreement's payments to one account, then an end (89). A
payment is an amount record (30: settlement date, sign, amount in øre, KID), a second record
(31: archive reference, payer's bank date, debited account) and, for transaction types 20 and 21,
a text record (32).

`read_ocr_giro` gives the transmission's header at once (from a quick first pass over the start,
assignment and end records: their accounts, dates, counts and totals as the file declares them),
then the payments one by one from a second pass that checks every record. Both passes read a
block of lines at a time (32 KB; a line longer than 128 bytes is refused unread), so memory
stays flat however large the file. A problem
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
  about 9 µs each to read (an attrs object each, its converters and validators; `strptime` for
  the dates a quarter of it). The start, assignment and end records are read by its classes;
  the transaction records, two or three per payment, with its own patterns and converters
  without an object each (`_first`, `_second`, `_third`; a record they do not take goes
  through its classes, which refuse it): both passes take about 11 µs a payment (1.1 s for
  100,000 where reading every record with its classes took 2.4 s).
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
from typing import Any, BinaryIO, TypeVar, cast

import attrs
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
CURRENCY = "NOK"
RECORD = 80
MAX_ASSIGNMENTS = 10_000  # a bank's file has a few; the header lists them all
REVERSAL_TYPES = frozenset({18, 20})
TEXT_TYPES = frozenset({20, 21})
_TRANSACTION_RECORDS = frozenset({"30", "31", "32"})
_READ = 128  # bytes of a line read at most: a longer line is refused unread
_BLOCK = 32_768  # bytes read at a time
_CONTROL = re.compile(rb"[\x00-\x1f\x7f-\x9f]")
_CONTROL_NOT_LINE_END = re.compile(rb"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f]")
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
    key: str  # its payments' keys start so: transmitter/transmission/assignment
    records: int = 1
    transactions: int = 0
    total: int = 0  # øre, signed
    last_number: int = 0


@dataclass(slots=True)
class _Pending:
    """A transaction whose records are not all read yet: its record 30's fields, and its 31's."""

    first: _First
    line: int
    second: _Second | None = None


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
        kinds: dict[str, str] = {}  # a record's first 8 characters -> its type, once checked
        for line, text in _lines(self.source, data):
            if self.end is not None:
                raise self.refuse(line, "record: nothing may follow the transmission end (89)")
            kind = kinds.get(text[:8])
            if kind is None:
                kind = _kind(self.source, line, text, first=self.start is None)
                if self.start is not None:  # as a later record's
                    kinds[text[:8]] = kind
            self.records += 1
            if kind in _TRANSACTION_RECORDS:
                if self.full:
                    done = self._transaction(line, kind, text)
                    if done is not None:
                        yield done
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
        transmission = self.start
        assert transmission is not None  # a file starts with 10 (_kind)
        key = (
            f"{transmission.data_transmitter}/{transmission.transmission_number}/"
            f"{start.assignment_number}"
        )
        self.open = _Open(start, line, key)

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

    def _transaction(self, line: int, kind: str, text: str) -> IncomingPayment | None:
        """Record 30, 31 or 32; the payment it completes, if it does (a 30 or 32)."""
        opened, pending = self.open, self.pending
        if opened is None:
            raise self.refuse(line, f"record: a transaction record ({kind}) outside an assignment")
        opened.records += 1
        if kind == "30":
            done = None if pending is None else self._flush(line)
            self.pending = self._amount_record(line, text, opened)
            return done
        if kind == "31":
            if pending is None or pending.second is not None:
                raise self.refuse(line, "record: a record 31 must follow its record 30")
            pending.second = _second(self.source, line, text)
            self._follows(line, pending, pending.second[:2])
            return None
        if pending is None or pending.second is None:
            raise self.refuse(line, "record: a record 32 must follow a record 31")
        if pending.first[0] not in TEXT_TYPES:
            raise self.refuse(
                line, "record: a text record (32) follows transaction types 20 and 21 only"
            )
        third = _third(self.source, line, text)
        self._follows(line, pending, third[:2])
        return self._flush(line, third[2])

    def _amount_record(self, line: int, text: str, opened: _Open) -> _Pending:
        """Record 30, the first of a transaction."""
        first = _first(self.source, line, text)
        number = first[1]
        if number <= opened.last_number:
            raise self.refuse(
                line,
                f"transaction number (positions 9-15): {number} after "
                f"{opened.last_number}: numbers increase within an assignment",
            )
        opened.last_number = number
        return _Pending(first, line)

    def _follows(self, line: int, pending: _Pending, kind_and_number: tuple[int, int]) -> None:
        """Record 31 or 32 has its record 30's transaction number and type."""
        kind, number = kind_and_number
        first_kind, first_number = pending.first[:2]
        if number != first_number:
            raise self.refuse(
                line,
                f"transaction number (positions 9-15): {number}, its record "
                f"30 (line {pending.line}) has {first_number}",
            )
        if kind != first_kind:
            raise self.refuse(
                line,
                f"transaction type (positions 5-6): {kind:02d}, its record "
                f"30 (line {pending.line}) has {first_kind:02d}",
            )

    def _flush(self, line: int, text: str | None = None) -> IncomingPayment:
        """The pending transaction, complete: `line` is the record after it (or its 32)."""
        pending, opened = self.pending, self.open
        assert pending is not None and opened is not None
        second = pending.second
        kind, number, settled, sign, ore, kid = pending.first
        if second is None:
            raise self.refuse(
                line, f"record: transaction {number} (line {pending.line}) has no record 31"
            )
        self.pending = None
        reversal = kind in REVERSAL_TYPES or sign == "-"
        amount = -ore if reversal else ore
        opened.transactions += 1
        opened.total += amount
        self.transactions += 1
        self.total += amount
        debited = second[3]
        return IncomingPayment(
            key=f"{opened.key}/{number:07d}",
            amount=_nok(amount),
            currency=CURRENCY,
            kid=kid,
            account=opened.start.assignment_account,
            payment_date=settled,
            reversal=reversal,
            source=self.source,
            line=pending.line,
            bank_reference=second[2],
            payer_account=None if debited is None or not debited.strip("0") else debited,
            message=text,
            bank_code=f"{kind:02d}",
        )


# --- lines and records ----------------------------------------------------------------------


def _open(data: OcrData) -> AbstractContextManager[BinaryIO]:
    return data.open("rb") if isinstance(data, Path) else io.BytesIO(data)


def _lines(source: str, data: OcrData) -> Iterator[tuple[int, str]]:
    """(line number, record) for each line: exactly 80 bytes of ISO-8859-1 text, decoded.

    Read a block at a time: a block's whole lines, when each is a record and they end alike
    (the common case), are checked and decoded at once (`_records`); otherwise one by one
    (`_record`), which says what is wrong with which line. A line not ended within a block is
    kept for the next one, up to _READ bytes: a longer line is refused unread.
    """
    blank: list[int] = []  # the first empty line, once one is seen
    number = 0
    carry = b""
    with _open(data) as stream:
        while block := stream.read(_BLOCK):
            if carry:
                block = carry + block
            cut = block.rfind(b"\n") + 1
            carry = block[cut:]
            if cut:
                body = block[: cut - 1]
                opening = number == 0 and body.startswith(_BOM)
                records = None if blank or opening else _records(body)
                if records is None:
                    for content in body.split(b"\n"):
                        number += 1
                        text = _record(source, number, content, blank)
                        if text is not None:
                            yield number, text
                else:
                    yield from enumerate(records, number + 1)
                    number += len(records)
            if len(carry) >= _READ:
                _opening(source, number + 1, carry)  # refuses it
    if carry:
        text = _record(source, number + 1, carry, blank)
        if text is not None:
            yield number + 1, text


def _records(body: bytes) -> list[str] | None:
    """The lines of `body` (whole lines, without the last one's line end), decoded, when each
    is a record (80 bytes, no control byte, no UTF-8) and all end in LF or all in CR LF; else
    None."""
    if _CONTROL_NOT_LINE_END.search(body) or (not body.isascii() and _UTF8_LETTER.search(body)):
        return None
    text = body.decode("latin-1")
    if "\r" in text:
        ends = text.count("\n")
        if not (text.endswith("\r") and text.count("\r") == ends + 1 == text.count("\r\n") + 1):
            return None
        lines = text[:-1].split("\r\n")
    else:
        lines = text.split("\n")
    return lines if all(len(line) == RECORD for line in lines) else None


def _opening(source: str, number: int, content: bytes) -> None:
    """Refuses a UTF-8 byte order mark at the start, and a line of _READ bytes or more."""
    if number == 1 and content.startswith(_BOM):
        raise BankFileRejected(
            source, "record: a UTF-8 byte order mark: OCR Giro files are ISO-8859-1", 1
        )
    if len(content) >= _READ:
        raise BankFileRejected(source, f"record: longer than {_READ} characters", number)


def _record(source: str, number: int, content: bytes, blank: list[int]) -> str | None:
    """Line `number` (`content`, without its LF) as a record, decoded; None for an empty line
    (noted in `blank`: only more empty lines may follow it)."""
    _opening(source, number, content)
    record = content[:-1] if content.endswith(b"\r") else content
    if not record:
        blank[:] = blank or [number]
        return None
    if blank:
        raise BankFileRejected(source, "record: an empty line inside the file", blank[0])
    if len(record) != RECORD:
        raise BankFileRejected(source, _length_problem(record), number)
    _check_bytes(source, number, record)
    return record.decode("latin-1")


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
    converter's answer for each is kept (`_remembered`), and its class takes a date as it is.
    """
    try:
        for pattern in cls._PATTERNS:
            found = pattern.match(text)
            if found is not None:
                fields = found.groupdict()
                for name, converter in _DATE_FIELDS.get(cls, ()):
                    fields[name] = _remembered(converter, fields[name])
                return cls(**fields)
        raise ValueError(f"{text!r} did not match {cls.__name__} record formats")
    except _NETSGIRO_ERRORS as exc:
        raise BankFileRejected(source, _diagnose(text, exc), line) from exc


@functools.lru_cache(maxsize=256)
def _remembered(converter: Callable[[str], Any], text: str) -> Any:
    """netsgiro's converter's value for `text` (raises as it does: an error is not kept)."""
    return converter(text)


# --- the transaction records, read as netsgiro reads them --------------------------------------
# A file is mostly records 30 and 31, two per payment. netsgiro reads a record with its class's
# patterns into an attrs object, running each field's converter and validator: most of the time
# a payment takes. These read the same records with netsgiro's own first pattern of the class
# (the OCR Giro one) and its own converters of the fields a payment needs, without the object;
# its converters of dates and transaction types, which can fail on digits the pattern takes, are
# remembered per text (a file has few), and the fields' validators are lengths the pattern has
# fixed. A record the pattern does not take, or whose conversion fails, goes through `_parse`,
# netsgiro's whole reading, which refuses it as it refuses any record.

_First = tuple[int, int, date, str, int, str | None]  # type, number, date, sign, øre, KID
_Second = tuple[int, int, str | None, str]  # type, number, archive reference, debited account
_Third = tuple[int, int, str | None]  # type, number, text


def _pattern_of(cls: type[Record], *names: str) -> tuple[re.Pattern[str], tuple[int, ...]]:
    """The class's OCR Giro pattern (its first), and the group numbers of the fields `names`."""
    pattern: re.Pattern[str] = cls._PATTERNS[0]
    return pattern, tuple(pattern.groupindex[name] for name in names)


def _converter_of(cls: type[Record], name: str) -> Callable[[Any], Any]:
    """netsgiro's converter of the field `name` (the attrs field's)."""
    converter = attrs.fields_dict(cls)[name].converter
    assert callable(converter), (cls, name)
    return cast(Callable[[Any], Any], converter)


_30, _30_FIELDS = _pattern_of(
    TransactionAmountItem1,
    "transaction_type", "transaction_number", "nets_date", "sign", "amount", "kid",
)  # fmt: skip
_31, _31_FIELDS = _pattern_of(
    TransactionAmountItem2,
    "transaction_type", "transaction_number", "reference", "bank_date", "debit_account",
)  # fmt: skip
_32, _32_FIELDS = _pattern_of(
    TransactionAmountItem3, "transaction_type", "transaction_number", "text"
)
_TYPE = _converter_of(TransactionAmountItem1, "transaction_type")
_NUMBER = _converter_of(TransactionAmountItem1, "transaction_number")
_SETTLED = _converter_of(TransactionAmountItem1, "nets_date")
_AMOUNT = _converter_of(TransactionAmountItem1, "amount")
_KID = _converter_of(TransactionAmountItem1, "kid")
_REFERENCE = _converter_of(TransactionAmountItem2, "reference")
_BANK_DATE = _converter_of(TransactionAmountItem2, "bank_date")
_TEXT = _converter_of(TransactionAmountItem3, "text")


def _first(source: str, line: int, text: str) -> _First:
    """Record 30: transaction type, number, settlement date, sign, amount (øre), KID."""
    found = _30.match(text)
    if found is not None:
        kind, number, settled, sign, amount, kid = found.group(*_30_FIELDS)
        try:
            return (
                int(_remembered(_TYPE, kind)),
                _NUMBER(number),
                _remembered(_SETTLED, settled),
                sign,
                _AMOUNT(amount),
                _KID(kid),
            )
        except _NETSGIRO_ERRORS:
            pass
    record = _parse(source, line, text, TransactionAmountItem1)
    return (
        int(record.transaction_type),
        record.transaction_number,
        record.nets_date,
        record.sign or "0",
        record.amount,
        record.kid,
    )


def _second(source: str, line: int, text: str) -> _Second:
    """Record 31: transaction type, number, archive reference, debited account (its bank date
    read, as netsgiro reads it, though no payment keeps it)."""
    found = _31.match(text)
    if found is not None:
        kind, number, reference, bank_date, debited = found.group(*_31_FIELDS)
        try:
            _remembered(_BANK_DATE, bank_date)
            return (int(_remembered(_TYPE, kind)), _NUMBER(number), _REFERENCE(reference), debited)
        except _NETSGIRO_ERRORS:
            pass
    record = _parse(source, line, text, TransactionAmountItem2)
    return (
        int(record.transaction_type),
        record.transaction_number,
        record.reference,
        record.debit_account or "",
    )


def _third(source: str, line: int, text: str) -> _Third:
    """Record 32: transaction type, number, text."""
    found = _32.match(text)
    if found is not None:
        kind, number, words = found.group(*_32_FIELDS)
        try:
            return (int(_remembered(_TYPE, kind)), _NUMBER(number), _TEXT(words))
        except _NETSGIRO_ERRORS:
            pass
    record = _parse(source, line, text, TransactionAmountItem3)
    return (int(record.transaction_type), record.transaction_number, record.text)


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
