"""How the OCR Giro reader reads fast, checked against the slow ways it replaces: its transaction
records (30, 31, 32) read as netsgiro's record classes read them, or refused where they refuse
them; and its lines, a block at a time, as a line at a time (the same records, the same refusal
at the same line)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from netsgiro.records import (
    TransactionAmountItem1,
    TransactionAmountItem2,
    TransactionAmountItem3,
)

from paybot.core.bankfiles import ocr_giro
from paybot.core.bankfiles.model import BankFileRejected
from tests.core.test_ocr_giro import Tx, encode, sample_lines, tx_records

# --- the transaction records -----------------------------------------------------------------

THIRTY, THIRTY_ONE, THIRTY_TWO = tx_records(1, Tx(14700, type=20, text="Til faktura 7 - blåbær"))
# What a field may hold instead: digits (other dates, types, numbers), and what no digit field
# takes (letters, signs, spaces, ISO-8859-1 letters, a non-ASCII digit).
CHARACTERS = st.sampled_from(list("0123456789012345678900112233 -+.aZøÆ²١"))


def mutated(template: str) -> st.SearchStrategy[str]:
    """`template` with a few characters changed after its first 8 (the format and service codes
    and the record type, which the reader checks before it reads the record)."""

    def change(text: str, edits: list[tuple[int, str]]) -> str:
        chars = list(text)
        for where, char in edits:
            chars[where] = char
        return "".join(chars)

    edits = st.lists(st.tuples(st.integers(8, 79), CHARACTERS), max_size=4)
    kinds = st.sampled_from(["10", "13", "18", "20", "21", "02", "93", "00", "22", "99"])
    return st.builds(
        lambda kind, chosen: change(f"{template[:4]}{kind}{template[6:]}", chosen), kinds, edits
    )


def netsgiro_reading(cls: type[Any], text: str, fields: Callable[[Any], tuple[Any, ...]]) -> Any:
    """The record's fields as netsgiro reads them, or the exception it raises."""
    try:
        return fields(cls.from_string(text))
    except ocr_giro._NETSGIRO_ERRORS as exc:
        return exc


def ours(read: Callable[[str, int, str], tuple[Any, ...]], text: str) -> Any:
    try:
        return read("in.ocr", 7, text)
    except BankFileRejected as exc:
        assert exc.line == 7
        return exc


def check_alike(theirs: Any, mine: Any) -> None:
    if isinstance(theirs, Exception):
        assert isinstance(mine, BankFileRejected), (theirs, mine)
    else:
        assert mine == theirs


@settings(max_examples=400, deadline=None)
@given(mutated(THIRTY))
def test_an_amount_record_reads_as_netsgiro_reads_it(text: str) -> None:
    theirs = netsgiro_reading(
        TransactionAmountItem1,
        text,
        lambda r: (
            int(r.transaction_type),
            r.transaction_number,
            r.nets_date,
            r.sign,
            r.amount,
            r.kid,
        ),
    )
    check_alike(theirs, ours(ocr_giro._first, text))


@settings(max_examples=400, deadline=None)
@given(mutated(THIRTY_ONE))
def test_a_second_record_reads_as_netsgiro_reads_it(text: str) -> None:
    theirs = netsgiro_reading(
        TransactionAmountItem2,
        text,
        lambda r: (int(r.transaction_type), r.transaction_number, r.reference, r.debit_account),
    )
    check_alike(theirs, ours(ocr_giro._second, text))


@settings(max_examples=300, deadline=None)
@given(mutated(THIRTY_TWO))
def test_a_text_record_reads_as_netsgiro_reads_it(text: str) -> None:
    theirs = netsgiro_reading(
        TransactionAmountItem3,
        text,
        lambda r: (int(r.transaction_type), r.transaction_number, r.text),
    )
    check_alike(theirs, ours(ocr_giro._third, text))


def test_a_refused_record_is_refused_as_netsgiro_s_own_reading_refuses_it() -> None:
    bad_date = THIRTY[:15] + "310226" + THIRTY[21:]
    with pytest.raises(BankFileRejected) as fast:
        ocr_giro._first("in.ocr", 3, bad_date)
    with pytest.raises(BankFileRejected) as whole:
        ocr_giro._parse("in.ocr", 3, bad_date, TransactionAmountItem1)
    assert (
        str(fast.value)
        == str(whole.value)
        == ("in.ocr:3: settlement date (positions 16-21): '310226' is not a date DDMMYY")
    )


def test_the_patterns_and_converters_are_netsgiro_s() -> None:
    import attrs

    assert ocr_giro._30 is TransactionAmountItem1._PATTERNS[0]
    assert ocr_giro._31 is TransactionAmountItem2._PATTERNS[0]
    assert ocr_giro._32 is TransactionAmountItem3._PATTERNS[0]
    first, second, third = (
        attrs.fields_dict(cls)
        for cls in (TransactionAmountItem1, TransactionAmountItem2, TransactionAmountItem3)
    )
    theirs: list[Any] = [
        first["transaction_type"].converter,
        first["nets_date"].converter,
        first["kid"].converter,
        second["bank_date"].converter,
        third["text"].converter,
    ]
    mine: list[Any] = [
        ocr_giro._TYPE,
        ocr_giro._SETTLED,
        ocr_giro._KID,
        ocr_giro._BANK_DATE,
        ocr_giro._TEXT,
    ]
    assert all(a is b for a, b in zip(mine, theirs, strict=True))


# --- the lines -------------------------------------------------------------------------------


def lines_one_at_a_time(source: str, data: bytes) -> Iterator[tuple[int, str]]:
    """The reader's lines as it read them before it read blocks: a line at a time, at most
    _READ bytes of it."""
    blank: int | None = None
    stream = io.BytesIO(data)
    number = 0
    while raw := stream.readline(ocr_giro._READ):
        number += 1
        if number == 1 and raw.startswith(ocr_giro._BOM):
            raise BankFileRejected(
                source, "record: a UTF-8 byte order mark: OCR Giro files are ISO-8859-1", 1
            )
        record = raw.rstrip(b"\n")
        if len(record) == len(raw) == ocr_giro._READ:
            raise BankFileRejected(
                source, f"record: longer than {ocr_giro._READ} characters", number
            )
        if record.endswith(b"\r"):
            record = record[:-1]
        if not record:
            blank = blank or number
            continue
        if blank is not None:
            raise BankFileRejected(source, "record: an empty line inside the file", blank)
        if len(record) != ocr_giro.RECORD:
            raise BankFileRejected(source, ocr_giro._length_problem(record), number)
        ocr_giro._check_bytes(source, number, record)
        yield number, record.decode("latin-1")


def outcome(lines: Callable[[str, bytes], Iterator[tuple[int, str]]], data: bytes) -> Any:
    read: list[tuple[int, str]] = []
    try:
        for line in lines("in.ocr", data):
            read.append(line)
    except BankFileRejected as exc:
        return read, str(exc)
    return read, None


RECORDS = [line.encode("latin-1") for line in sample_lines()]
PIECES = st.one_of(
    st.sampled_from(RECORDS),
    st.sampled_from(RECORDS),
    st.sampled_from(RECORDS),
    st.just(b""),
    st.just(b"\r"),
    st.just(b"\xef\xbb\xbf" + RECORDS[0][3:]),
    st.builds(lambda r, n: r[:n], st.sampled_from(RECORDS), st.integers(0, 79)),
    st.builds(lambda r, n: r + r[:n], st.sampled_from(RECORDS), st.integers(1, 130)),
    st.builds(
        lambda r, at, byte: r[:at] + byte + r[at + 1 :],
        st.sampled_from(RECORDS),
        st.integers(0, 79),
        st.sampled_from([b"\x00", b"\x85", b"\r", b"\x1c", b"\xc3", b"\xa5", b"\x7f", b"\t"]),
    ),
    st.builds(lambda r: r[:40] + "bl\u00e5b\u00e6r".encode() + r[47:], st.sampled_from(RECORDS)),
)
FILES = st.builds(
    lambda pieces, ends, last: b"".join(
        piece + (ends[n % len(ends)] if n < len(pieces) - 1 or last else b"")
        for n, piece in enumerate(pieces)
    ),
    st.lists(PIECES, max_size=40),
    st.lists(st.sampled_from([b"\r\n", b"\n"]), min_size=1, max_size=3),
    st.booleans(),
)


@settings(max_examples=400, deadline=None)
@given(FILES, st.sampled_from([1, 97, 160, 300, 2048, ocr_giro._BLOCK]))
def test_lines_read_a_block_at_a_time_as_a_line_at_a_time(data: bytes, block: int) -> None:
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(ocr_giro, "_BLOCK", block)
        assert outcome(ocr_giro._lines, data) == outcome(lines_one_at_a_time, data)


def test_the_sample_s_lines_read_alike_with_any_line_end_and_block() -> None:
    for end in (b"\r\n", b"\n"):
        data = end.join(RECORDS * 50) + end
        expected = outcome(lines_one_at_a_time, data)
        assert expected[1] is None and len(expected[0]) == 50 * len(RECORDS)
        for block in (81, 82, 163, 1000, ocr_giro._BLOCK):
            with pytest.MonkeyPatch.context() as patched:
                patched.setattr(ocr_giro, "_BLOCK", block)
                assert outcome(ocr_giro._lines, data) == expected
    assert outcome(ocr_giro._lines, encode(sample_lines())) == outcome(
        lines_one_at_a_time, encode(sample_lines())
    )
