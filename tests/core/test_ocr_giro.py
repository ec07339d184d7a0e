"""Nets OCR Giro: the real sample read as netsgiro reads it, with what netsgiro leaves undone done
(signs, counts and totals, structure, bytes), every bad file refused at its line and field."""

from __future__ import annotations

import re
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import netsgiro
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paybot.core.bankfiles.model import BankFileRejected
from paybot.core.bankfiles.ocr_giro import MAX_ASSIGNMENTS, OcrTransmission, read_ocr_giro
from paybot.core.incoming import IncomingPayment
from tests.shared_fixtures import shared_fixture

SAMPLE = "samples/ocr/netsgiro_ocr_giro_transactions.txt"
ACCOUNT = "86011117947"
SETTLED = "231126"  # 23 November 2026, DDMMYY


# --- files built record by record ----------------------------------------------------------------


@dataclass(frozen=True)
class Tx:
    """One transaction of a built file; `ore` is the unsigned amount, `sign` its sign field."""

    ore: int
    kid: str = "12345678903"
    type: int = 10
    sign: str = "0"
    text: str | None = None  # a record 32 (types 20 and 21)
    reference: str = "000000001"
    debited: str = "99991005524"


@dataclass(frozen=True)
class Assignment:
    txs: tuple[Tx, ...]
    number: str = "0000001"
    account: str = ACCOUNT


def signed(tx: Tx) -> int:
    return -tx.ore if tx.sign == "-" or tx.type in (18, 20) else tx.ore


def total_field(ore: int) -> str:
    return f"-{-ore:016d}" if ore < 0 else f"{ore:017d}"


def tx_records(number: int, tx: Tx) -> list[str]:
    kid = tx.kid.rjust(25)
    lines = [
        f"NY09{tx.type:02d}30{number:07d}{SETTLED}1320101464{tx.sign}{tx.ore:017d}{kid}000000",
        f"NY09{tx.type:02d}31{number:07d}9797596016{tx.reference}0000000"
        f"181126{tx.debited}{'0' * 22}",
    ]
    if tx.text is not None:
        lines.append(f"NY09{tx.type:02d}32{number:07d}{tx.text:40}{'0' * 25}")
    return lines


def assignment_records(a: Assignment, **end: str) -> list[str]:
    body = [line for n, tx in enumerate(a.txs, 1) for line in tx_records(n, tx)]
    fields = {
        "count": f"{len(a.txs):08d}",
        "records": f"{len(body) + 2:08d}",
        "total": total_field(sum(signed(tx) for tx in a.txs)),
    }
    fields.update(end)
    return [
        f"NY090020001008566{a.number}{a.account}{'0' * 45}",
        *body,
        f"NY090088{fields['count']}{fields['records']}{fields['total']}"
        f"{SETTLED}{SETTLED}{SETTLED}{'0' * 21}",
    ]


def transmission_lines(*assignments: Assignment, **end: str) -> list[str]:
    body = [line for a in assignments for line in assignment_records(a)]
    fields = {
        "count": f"{sum(len(a.txs) for a in assignments):08d}",
        "records": f"{len(body) + 2:08d}",
        "total": total_field(sum(signed(tx) for a in assignments for tx in a.txs)),
    }
    fields.update(end)
    lines = [
        f"NY000010000080800170031{'00010200'}{'0' * 49}",
        *body,
        f"NY000089{fields['count']}{fields['records']}{fields['total']}{SETTLED}{'0' * 33}",
    ]
    assert all(len(line) == 80 for line in lines), [line for line in lines if len(line) != 80]
    return lines


def encode(lines: list[str], newline: str = "\r\n") -> bytes:
    return (newline.join(lines) + newline).encode("latin-1")


def read_all(
    data: bytes | Path, name: str = "in.ocr"
) -> tuple[OcrTransmission, list[IncomingPayment]]:
    header, payments = read_ocr_giro(name, data)
    return header, list(payments)


def refusal(data: bytes, name: str = "in.ocr") -> str:
    with pytest.raises(BankFileRejected) as caught:
        read_all(data, name)
    return str(caught.value)


def payment_and_reversal() -> Assignment:
    return Assignment(
        (
            Tx(150000, kid="12345678903"),
            Tx(50000, kid="0000531", type=21, text="Til faktura 7 - blåbær"),
            Tx(150000, kid="12345678903", type=18, sign="-"),
        )
    )


# --- the real sample -----------------------------------------------------------------------------


def test_the_sample_reads_as_netsgiro_reads_it_with_the_bank_s_figures() -> None:
    path = shared_fixture(SAMPLE)
    header, payments = read_all(path, path.name)
    assert header.file_id == "00008080/0170031"
    assert header.accounts == ("99991042764",)
    assert (header.transactions, header.records, header.total) == (20, 45, Decimal("51449.00"))
    assert header.settlement_date == date(1992, 1, 20)
    [assignment] = header.assignments
    assert (assignment.number, assignment.agreement_id, assignment.line) == (
        "0000002",
        "001008566",
        2,
    )
    assert assignment.first_date == assignment.last_date == date(1992, 1, 20)
    theirs = netsgiro_transactions(path.read_text("latin-1"))
    assert [(p.amount, p.kid, p.bank_reference, p.payment_date) for p in payments] == [
        (t.amount, t.kid, t.reference, t.date) for t in theirs
    ]
    assert sum(p.amount for p in payments) == header.total
    first = payments[0]
    assert (first.message, first.bank_code, first.line, first.payer_account) == (
        "Foo bar baz",
        "21",
        3,
        "99990512341",
    )
    assert first.key == "00008080/0170031/0000002/0000001"
    assert all(p.currency == "NOK" and not p.reversal and p.amount > 0 for p in payments)
    assert all(p.amount.as_tuple().exponent == -2 for p in payments)
    assert [p.line for p in payments[:3]] == [3, 6, 8]


def netsgiro_transactions(text: str) -> list[netsgiro.Transaction]:
    """netsgiro's own reading of an OCR Giro file's transactions."""
    found = netsgiro.parse(text).assignments[0].transactions
    assert all(isinstance(t, netsgiro.Transaction) for t in found)
    return [t for t in found if isinstance(t, netsgiro.Transaction)]


def test_a_path_and_its_bytes_read_alike() -> None:
    path = shared_fixture(SAMPLE)
    assert read_all(path, "f") == read_all(path.read_bytes(), "f")


# --- signs, counts and totals --------------------------------------------------------------------


def test_a_reversal_is_negative_and_the_end_records_carry_the_net() -> None:
    header, payments = read_all(encode(transmission_lines(payment_and_reversal())))
    assert [(p.amount, p.reversal, p.bank_code) for p in payments] == [
        (Decimal("1500.00"), False, "10"),
        (Decimal("500.00"), False, "21"),
        (Decimal("-1500.00"), True, "18"),
    ]
    assert payments[1].message == "Til faktura 7 - blåbær"
    assert header.total == header.assignments[0].total == Decimal("500.00")


def test_a_minus_sign_on_any_transaction_type_makes_it_a_correction() -> None:
    lines = transmission_lines(Assignment((Tx(1000), Tx(2500, sign="-"))))
    _, payments = read_all(encode(lines))
    assert [(p.amount, p.reversal) for p in payments] == [
        (Decimal("10.00"), False),
        (Decimal("-25.00"), True),
    ]


def test_a_negative_net_total_carries_its_sign_in_the_first_position() -> None:
    lines = transmission_lines(Assignment((Tx(1000), Tx(2500, type=18, sign="-"))))
    assert lines[-1][24:41] == "-0000000000001500"
    header, payments = read_all(encode(lines))
    assert header.total == sum(p.amount for p in payments) == Decimal("-15.00")


def test_end_records_counting_the_reversal_as_money_in_are_refused() -> None:
    # What netsgiro's own writer does: it sums amounts without their sign.
    lines = transmission_lines(payment_and_reversal())
    lines[-2] = lines[-2][:24] + f"{350000:017d}" + lines[-2][41:]
    assert refusal(encode(lines)) == (
        "in.ocr:10: total amount (positions 25-41): says NOK 3500.00, the transactions of "
        "assignment 0000001 add up to NOK 500.00"
    )


@pytest.mark.parametrize(
    ("record", "field", "value", "expected"),
    [
        (-2, "count", "00000004", "10: number of transactions (positions 9-16): says 4, "),
        (-2, "records", "00000007", "10: number of records (positions 17-24): says 7, "),
        (-2, "total", total_field(123), "10: total amount (positions 25-41): says NOK 1.23, "),
        (-1, "count", "00000004", "11: number of transactions (positions 9-16): says 4, "),
        (-1, "records", "00000009", "11: number of records (positions 17-24): says 9, "),
        (-1, "total", total_field(-1), "11: total amount (positions 25-41): says NOK -0.01, "),
    ],
)
def test_a_wrong_count_or_total_is_refused_naming_the_record_and_field(
    record: int, field: str, value: str, expected: str
) -> None:
    assignment = Assignment((Tx(1000), Tx(2000, type=21, text="x"), Tx(500)))
    if record == -2:
        good = transmission_lines(assignment)
        lines = [*good[:1], *assignment_records(assignment, **{field: value}), good[-1]]
    else:
        lines = transmission_lines(assignment, **{field: value})
    message = refusal(encode(lines))
    assert message.startswith(f"in.ocr:{expected}")
    holder = "assignment 0000001" if record == -2 else "the transmission"
    assert holder in message


def test_the_second_assignment_s_figures_are_its_own() -> None:
    first, second = Assignment((Tx(100),)), Assignment((Tx(200), Tx(300)), number="0000002")
    header, payments = read_all(encode(transmission_lines(first, second)))
    assert [(a.number, a.transactions, a.total) for a in header.assignments] == [
        ("0000001", 1, Decimal("1.00")),
        ("0000002", 2, Decimal("5.00")),
    ]
    assert [p.key.rsplit("/", 2)[1:] for p in payments] == [
        ["0000001", "0000001"],
        ["0000002", "0000001"],
        ["0000002", "0000002"],
    ]


# --- structure -----------------------------------------------------------------------------------


def sample_lines() -> list[str]:
    return transmission_lines(payment_and_reversal())


def swapped(lines: list[str], a: int, b: int) -> list[str]:
    lines = list(lines)
    lines[a], lines[b] = lines[b], lines[a]
    return lines


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda ls: ls[:-1], "in.ocr:10: record: the file is truncated: no transmission end (89)"),
        (
            lambda ls: ls[:-2],
            "in.ocr:9: record: the file ends inside assignment 0000001 (line 2): it is truncated",
        ),
        (lambda ls: ls[:5], "in.ocr:5: record: the file ends inside assignment 0000001"),
        (lambda ls: [*ls[:4], ls[4][:40]], "in.ocr:5: record: 40 characters, not 80"),
        (lambda ls: swapped(ls, 2, 3), "in.ocr:3: record: a record 31 must follow its record 30"),
        (
            lambda ls: [*ls[:3], *ls[4:]],
            "in.ocr:4: record: transaction 1 (line 3) has no record 31",
        ),
        (
            lambda ls: [*ls[:3], ls[5], ls[4], *ls[6:]],
            "in.ocr:4: transaction number (positions 9-15): 2, its record 30 (line 3) has 1",
        ),
        (
            lambda ls: [*ls[:4], "NY091032" + "0000001" + "Hei".ljust(40) + "0" * 25, *ls[4:]],
            "in.ocr:5: record: a text record (32) follows transaction types 20 and 21 only",
        ),
        (lambda ls: [ls[0], ls[2], *ls[1:]], "in.ocr:2: record: a transaction record (30) outside"),
        (lambda ls: [ls[0], ls[-2], *ls[1:]], "in.ocr:2: record: an assignment end (88) with no"),
        (
            lambda ls: [*ls, ls[0]],
            "in.ocr:12: record: nothing may follow the transmission end (89)",
        ),
        (lambda ls: [ls[0], *ls], "in.ocr:2: record type (positions 7-8): a second start (10)"),
        (lambda ls: ls[1:], "in.ocr:1: record type (positions 7-8): '20': a file starts with 10"),
        (
            lambda ls: [*ls[:2], ls[1], *ls[2:]],
            "in.ocr:3: record: assignment 0000001 (line 2) has no end",
        ),
        (
            lambda ls: [*ls[:-1], ls[-1].replace("NY00", "NY09", 1)],
            "in.ocr:11: service code (positions 3-4): '09', not 00",
        ),
        (
            lambda ls: [*ls[:-1], ls[-1].replace("NY", "XY", 1)],
            "in.ocr:11: format code (positions 1-2): 'XY', not NY",
        ),
        (
            lambda ls: [*ls[:2], ls[2][:6] + "33" + ls[2][8:], *ls[3:]],
            "in.ocr:3: record type (positions 7-8): '33' is not",
        ),
    ],
)
def test_records_out_of_place_are_refused_at_their_line(
    make: Callable[[list[str]], list[str]], expected: str
) -> None:
    assert refusal(encode(make(sample_lines()))).startswith(expected)


def test_an_assignment_number_used_twice_is_refused() -> None:
    lines = transmission_lines(Assignment((Tx(100),)), Assignment((Tx(200),)))
    assert refusal(encode(lines)) == (
        "in.ocr:6: assignment number (positions 18-24): 0000001 twice"
    )


def test_transaction_numbers_increase_within_an_assignment() -> None:
    lines = transmission_lines(Assignment((Tx(100), Tx(200))))
    lines[4:6] = [line.replace("0000002", "0000001", 1) for line in lines[4:6]]
    assert refusal(encode(lines)) == (
        "in.ocr:5: transaction number (positions 9-15): 1 after 1: numbers increase within an "
        "assignment"
    )


def test_an_avtalegiro_file_is_not_taken_for_incoming_payments() -> None:
    path = shared_fixture("samples/ocr/netsgiro_avtalegiro_payment_request.txt")
    assert refusal(path.read_bytes(), path.name) == (
        f"{path.name}:2: service code (positions 3-4): '21', not 09 (AvtaleGiro: only OCR Giro "
        "is read)"
    )


# --- fields --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "start", "value", "expected"),
    [
        (3, 15, "310226", "settlement date (positions 16-21): '310226' is not a date DDMMYY"),
        (3, 32, "00000000000001.00", "amount (positions 33-49): '00000000000001.00' is not 17"),
        (3, 31, "+", "sign (positions 32-32): '+' is not - or 0"),
        (3, 49, "12345-78903".rjust(25), "KID (positions 50-74): '              12345-78903'"),
        (4, 25, "ABC000001", "archive reference (positions 26-34): 'ABC000001' is not 9 digits"),
        (4, 41, "320126", "payer's bank date (positions 42-47): '320126' is not a date"),
        (2, 24, "8601111794 ", "assignment account (positions 25-35): '8601111794 ' is not 11"),
        (10, 41, "311326", "settlement date (positions 42-47): '311326' is not a date"),
        (11, 8, "0000000x", "number of transactions (positions 9-16): '0000000x' is not 8 digits"),
        (1, 16, "１２３４５６７"[:7], "transmission number (positions 17-23)"),
    ],
)
def test_a_bad_field_is_named_with_its_positions(
    line: int, start: int, value: str, expected: str
) -> None:
    lines = sample_lines()
    text = lines[line - 1]
    lines[line - 1] = text[:start] + value + text[start + len(value) :]
    try:
        data = encode(lines)
    except UnicodeEncodeError:  # a digit beyond ISO-8859-1: what a UTF-8 file would carry
        data = "\r\n".join(lines).encode("utf-8")
        assert refusal(data).startswith(f"in.ocr:{line}: record: ")
        return
    assert refusal(data).startswith(f"in.ocr:{line}: {expected}")


# --- bytes and lines -----------------------------------------------------------------------------


def test_text_in_iso_8859_1_reads_and_utf_8_is_refused() -> None:
    lines = sample_lines()
    assert "blåbær" in read_all(encode(lines))[1][1].message  # type: ignore[operator]
    utf8 = "\r\n".join(lines).encode("utf-8")
    assert refusal(utf8) == (
        "in.ocr:7: record: 80 characters of UTF-8: OCR Giro files are ISO-8859-1"
    )
    # The same letters fitted into 80 bytes: still UTF-8, still refused.
    text = lines[6]
    fitted = text[:15].encode() + "Blåbær".encode().ljust(40) + text[55:].encode()
    data = encode(lines[:6]) + fitted + b"\r\n" + encode(lines[7:])
    assert refusal(data) == (
        "in.ocr:7: record: UTF-8 text (ø written Ã¸): OCR Giro files are ISO-8859-1"
    )


@pytest.mark.parametrize(
    ("byte", "expected"),
    [
        (b"\x00", "in.ocr:6: record: a NUL byte at position 20: not ISO-8859-1 text"),
        (b"\x85", "in.ocr:6: record: byte 0x85, a control character at position 20"),
        (b"\x1c", "in.ocr:6: record: byte 0x1c, a control character at position 20"),
        (b"\r", "in.ocr:6: record: byte 0x0d, a control character at position 20"),
    ],
)
def test_control_bytes_are_refused(byte: bytes, expected: str) -> None:
    data = bytearray(encode(sample_lines()))
    line_start = 5 * 82
    data[line_start + 19 : line_start + 20] = byte
    assert refusal(bytes(data)).startswith(expected)


def test_a_byte_order_mark_is_refused() -> None:
    data = b"\xef\xbb\xbf" + encode(sample_lines())
    assert refusal(data) == (
        "in.ocr:1: record: a UTF-8 byte order mark: OCR Giro files are ISO-8859-1"
    )


def test_line_endings_and_blank_lines() -> None:
    lines = sample_lines()
    expected = read_all(encode(lines))
    assert read_all(encode(lines, "\n")) == expected
    assert read_all("\n".join(lines).encode("latin-1")) == expected  # no final line end
    assert read_all(encode(lines) + b"\r\n\n") == expected  # blank lines at the end
    assert refusal(encode([*lines[:3], "", *lines[3:]])) == (
        "in.ocr:4: record: an empty line inside the file"
    )
    assert refusal(b"") == "in.ocr:1: record: the file is empty: no transmission start (10)"
    assert refusal(b"\n\n") == "in.ocr:1: record: the file is empty: no transmission start (10)"


def test_a_huge_line_is_refused_without_reading_it() -> None:
    lines = sample_lines()
    data = encode(lines[:3]) + b"9" * 5_000_000 + b"\r\n" + encode(lines[3:])
    tracemalloc.start()
    try:
        message = refusal(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert message == "in.ocr:4: record: longer than 128 characters"
    assert peak < 1_000_000


def big_file(path: Path, count: int) -> Path:
    txs = tuple(Tx(n * 7919 % 10**7, sign="-" if n % 9 == 0 else "0") for n in range(1, count + 1))
    path.write_bytes(encode(transmission_lines(Assignment(txs))))
    return path


def test_memory_stays_flat_however_long_the_file(tmp_path: Path) -> None:
    peaks = []
    for count in (400, 4000):
        path = big_file(tmp_path / f"{count}.ocr", count)
        tracemalloc.start()
        try:
            header, payments = read_ocr_giro(path.name, path)
            total = sum((p.amount for p in payments), Decimal(0))
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        assert total == header.total
    assert peaks[1] < peaks[0] * 1.5 + 50_000, peaks


# --- netsgiro's limits, and files it writes ------------------------------------------------------


def test_netsgiro_alone_takes_what_is_refused_here() -> None:
    lines = sample_lines()
    wrong_total = transmission_lines(payment_and_reversal(), total=total_field(1))
    twice = transmission_lines(Assignment((Tx(100),)), Assignment((Tx(200),)))
    assert netsgiro.parse("\n".join(wrong_total)).get_total_amount() == Decimal("3500")
    assert len(netsgiro.parse("\n".join(twice)).assignments) == 1  # the first one dropped
    reversal = netsgiro_transactions("\n".join(lines))[2]
    assert (reversal.sign, reversal.amount) == ("-", Decimal("1500"))
    for data in (wrong_total, twice):
        with pytest.raises(BankFileRejected):
            read_all(encode(data))


def test_a_file_netsgiro_writes_reads_back_to_its_transactions() -> None:
    transmission = netsgiro.Transmission(
        number="0000042",
        data_transmitter="00008080",
        data_recipient="12345678",
        date=date(2026, 11, 23),
    )
    assignment = transmission.add_assignment(
        service_code=netsgiro.ServiceCode.OCR_GIRO,
        assignment_type=netsgiro.AssignmentType.TRANSACTIONS,
        agreement_id="001008566",
        number="0000007",
        account=ACCOUNT,
        date=date(2026, 11, 23),
    )
    for number, (kind, amount, text) in enumerate(
        [(10, "1020.00", None), (21, "99.50", "Faktura 12 Ærlig"), (13, "0.01", None)], 1
    ):
        assignment.transactions.append(
            netsgiro.Transaction(
                service_code=netsgiro.ServiceCode.OCR_GIRO,
                type=kind,
                number=number,
                date=date(2026, 11, 23),
                amount=Decimal(amount),
                kid="12345678903",
                reference="000000123",
                text=text,
                centre_id="13",
                day_code=23,
                partial_settlement_number=1,
                partial_settlement_serial_number="01464",
                sign="0",
                form_number="9797596016",
                bank_date=date(2026, 11, 22),
                debit_account="99991005524",
                filler="0000000",
            )
        )
    written = transmission.to_ocr().encode("latin-1")
    header, payments = read_all(written)
    assert header.file_id == "00008080/0000042" and header.total == Decimal("1119.51")
    assert [(p.amount, p.message, p.payment_date) for p in payments] == [
        (Decimal("1020.00"), None, date(2026, 11, 23)),
        (Decimal("99.50"), "Faktura 12 Ærlig", date(2026, 11, 23)),
        (Decimal("0.01"), None, date(2026, 11, 23)),
    ]


def test_every_record_reads_as_netsgiro_reads_it_dates_kept_once_each() -> None:
    from netsgiro.records import Record

    from paybot.core.bankfiles.ocr_giro import _CLASSES, _parse

    built = transmission_lines(
        payment_and_reversal(),
        Assignment((Tx(100, reference="000000002"), Tx(200, type=21, text="x")), "0000002"),
    )
    sample = shared_fixture(SAMPLE).read_text("latin-1").splitlines()
    for number, line in enumerate([*built, *sample, *built], 1):
        cls: type[Record] = _CLASSES[line[6:8]]
        assert _parse("f", number, line, cls) == cls.from_string(line), line


def test_the_dates_kept_are_the_fields_netsgiro_reads_as_dates_with_its_converters() -> None:
    import attrs
    from netsgiro.converters import to_date, to_date_or_none

    from paybot.core.bankfiles.ocr_giro import _CLASSES, _DATE_FIELDS

    for cls in _CLASSES.values():
        theirs = {
            (field.alias, field.converter)
            for field in attrs.fields(cls)
            if field.converter in (to_date, to_date_or_none)
        }
        assert set(_DATE_FIELDS.get(cls, ())) == theirs, cls.__name__


# --- random files --------------------------------------------------------------------------------

KIDS = st.text("0123456789", min_size=2, max_size=25)
TEXT = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=40,
).filter(
    # C1 controls are not text; Ã and a sign is how UTF-8's æ, ø, å read: both refused.
    lambda t: not any(0x80 <= ord(c) <= 0x9F for c in t) and not re.search("Ã[\xa0-\xbf]", t)
)
TXS = st.builds(
    lambda ore, kid, kind, minus, text: Tx(
        ore,
        kid=kid,
        type=kind,
        sign="-" if minus or kind in (18, 20) else "0",
        text=(text.strip() or "x") if kind in (20, 21) else None,
    ),
    st.integers(0, 10**15),
    KIDS,
    st.sampled_from([10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]),
    st.booleans(),
    TEXT,
)
ASSIGNMENTS = st.lists(st.lists(TXS, min_size=0, max_size=6), min_size=0, max_size=4).map(
    lambda groups: [
        Assignment(tuple(txs), number=f"{n:07d}", account=f"{86011117947 + n:011d}")
        for n, txs in enumerate(groups, 1)
    ]
)


@settings(max_examples=150, deadline=None)
@given(ASSIGNMENTS, st.sampled_from(["\r\n", "\n"]))
def test_random_files_read_back_to_their_payments_and_totals(
    assignments: list[Assignment], newline: str
) -> None:
    header, payments = read_all(encode(transmission_lines(*assignments), newline))
    expected = [
        (a.account, Decimal(signed(tx)).scaleb(-2), tx.kid.lstrip() or None, tx.text)
        for a in assignments
        for tx in a.txs
    ]
    got = [(p.account, p.amount, p.kid, p.message) for p in payments]
    assert got == [
        (account, amount, kid, None if text is None else text.strip() or None)
        for account, amount, kid, text in expected
    ]
    assert header.total == sum((p.amount for p in payments), Decimal(0))
    assert header.transactions == len(payments)
    assert [a.total for a in header.assignments] == [
        sum((Decimal(signed(tx)).scaleb(-2) for tx in a.txs), Decimal(0)) for a in assignments
    ]
    assert [p.reversal for p in payments] == [
        tx.sign == "-" or tx.type in (18, 20) for a in assignments for tx in a.txs
    ]
    assert len({p.key for p in payments}) == len(payments)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 11 * 82 - 1), st.binary(min_size=1, max_size=1))
def test_any_byte_changed_reads_or_is_refused_never_crashes(where: int, byte: bytes) -> None:
    data = bytearray(encode(sample_lines()))
    data[where : where + 1] = byte
    try:
        read_all(bytes(data))
    except BankFileRejected as exc:
        assert exc.line is not None and 1 <= exc.line <= 12


def test_a_truncated_file_is_refused_before_any_payment_is_read() -> None:
    lines = sample_lines()
    with pytest.raises(BankFileRejected, match="no transmission end"):
        read_ocr_giro("in.ocr", encode(lines[:-1]))  # the header pass, before iterating


def test_more_assignments_than_a_bank_sends_are_refused() -> None:
    assignments = [Assignment((), number=f"{n:07d}") for n in range(1, MAX_ASSIGNMENTS + 2)]
    with pytest.raises(BankFileRejected) as caught:
        read_ocr_giro("in.ocr", encode(transmission_lines(*assignments)))
    assert (
        str(caught.value)
        == f"in.ocr:{2 * MAX_ASSIGNMENTS + 2}: record: more than 10000 assignments"
    )
