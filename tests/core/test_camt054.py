"""camt.054 notifications: real bank files read, our writer's files valid, memory flat."""

from __future__ import annotations

import io
import os
import tracemalloc
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from paybot.core.bankfiles.camt054 import read_camt054, write_camt054
from paybot.core.bankfiles.model import BankFileRejected, Entry, EntryTransaction, Notification
from tests.shared_fixtures import shared_fixture, shared_fixture_names

pytestmark = pytest.mark.filterwarnings("error::FutureWarning")

SAMPLES = "samples/camt054"
XSD = "iso20022/camt.054.001.02.xsd"
CREATED = datetime(2026, 11, 23, 6, 30)
NOTE = Notification("CAMT-1", CREATED, "camt.054.001.02")


def sample(name: str) -> Path:
    return shared_fixture(f"{SAMPLES}/{name}")


def sample_names() -> list[str]:
    return shared_fixture_names(SAMPLES)


def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(shared_fixture(XSD))))


@pytest.fixture(scope="module")
def xsd() -> etree.XMLSchema:
    """The schema, once per module: a property test then finds it missing before it starts."""
    return schema()


def read_all(name: str, data: Path | bytes) -> tuple[Notification, list[Entry]]:
    notification, entries = read_camt054(name, data)
    return notification, list(entries)


def written(entries: list[Entry], notification: Notification = NOTE) -> bytes:
    out = io.BytesIO()
    write_camt054(out, notification, entries)
    return out.getvalue()


DEBIT = Entry(
    account="86011117947",
    amount=Decimal("1500.00"),
    currency="NOK",
    direction="DBIT",
    status="BOOK",
    booking_date=date(2026, 11, 23),
    value_date=date(2026, 11, 23),
    bank_reference="ARCH-1",
    batch_message_id="PAY-1",
    batch_payment_info_id="PMT-1",
    transactions=(
        EntryTransaction(
            end_to_end_id="E2E-1",
            instruction_id="INS-1",
            payment_info_id="PMT-1",
            message_id="PAY-1",
            amount=Decimal("1500.00"),
            currency="NOK",
            kid="12345678903",
        ),
    ),
)


def debit(**overrides: Any) -> Entry:
    return replace(DEBIT, **overrides)


# --- real files ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sample_names())
def test_every_real_camt054_sample_reads_with_decimal_amounts(name: str) -> None:
    notification, entries = read_all(name, sample(name))
    assert notification.version.startswith("camt.054.001.")
    assert entries
    for entry in entries:
        assert isinstance(entry.amount, Decimal) and entry.direction in ("CRDT", "DBIT")
        assert all(t.amount is None or isinstance(t.amount, Decimal) for t in entry.transactions)


FFFS = "fffs_finland_camt054_001_02_credit_debit_SCOR.xml"


def test_fffs_debit_batch_for_our_pain001_block() -> None:
    notification, entries = read_all(FFFS, sample(FFFS))
    assert (notification.message_id, notification.version) == (
        "BANKFILEID219073",
        "camt.054.001.02",
    )
    batch = entries[3]
    assert (batch.direction, batch.amount, batch.status) == ("DBIT", Decimal("4230.05"), "BOOK")
    assert (batch.batch_message_id, batch.batch_payment_info_id) == (
        "MSGSCT0100",
        "CustRefForPmtBatch9",
    )
    assert batch.account == "FI7433010001222090" and batch.bank_reference == "091029ACCTSTMTARCH03"
    assert [(t.instruction_id, t.amount, t.kid, t.message) for t in batch.transactions] == [
        ("TITOT1106ID01", Decimal("2000.02"), "3900", None),
        ("TITOT1106ID02", Decimal("1000.01"), None, "Invoices 123 and 321"),
        ("TITOT1106ID03", Decimal("1230.02"), None, None),
    ]
    assert sum(t.amount or 0 for t in batch.transactions) == batch.amount


def test_fffs_payments_abroad_give_the_amount_debited_and_the_amount_ordered() -> None:
    _, entries = read_all(FFFS, sample(FFFS))
    abroad = entries[4]
    assert (abroad.amount, abroad.currency) == (Decimal("1000.00"), "EUR")
    assert [
        (t.end_to_end_id, t.amount, t.currency, t.instructed_amount, t.instructed_currency)
        for t in abroad.transactions
    ] == [
        ("ISSRBKREF12345678", Decimal("500.00"), "EUR", Decimal("750.00"), "USD"),
        ("ISSRBKREF12345679", Decimal("500.00"), "EUR", Decimal("79255.00"), "JPY"),
    ]


def test_fffs_incoming_credits_with_scor_references() -> None:
    _, entries = read_all(FFFS, sample(FFFS))
    lump = entries[0]
    assert (lump.direction, lump.amount, lump.booking_date) == (
        "CRDT",
        Decimal("2000.00"),
        date(2009, 10, 29),
    )
    assert [(t.kid, t.debtor_name, t.amount) for t in lump.transactions] == [
        ("3900", "PAYERS NAME1", Decimal("1900.00")),
        ("43216", "PAYERS NAME2", Decimal("100.00")),
    ]
    assert entries[2].transactions[0].kid == "RF7812345"  # trailing blank in the file stripped


def test_fffs_returned_items_are_info_reversals_with_reasons() -> None:
    _, entries = read_all(FFFS, sample(FFFS))
    returns = entries[5]
    assert (returns.status, returns.reversal, returns.direction) == ("INFO", True, "CRDT")
    assert [(t.kid, t.return_reason) for t in returns.transactions] == [
        ("2345678917", "AC01"),
        ("1234567897", "CUST"),
    ]


def test_v8_file_with_only_a_uetr() -> None:
    notification, entries = read_all("uetr.xml", sample("genkgo_camt054.v8-with-UETR.xml"))
    assert notification.version == "camt.054.001.08"
    (entry,) = entries
    assert (entry.status, entry.amount, entry.currency) == ("BOOK", Decimal("200000"), "SEK")
    assert entry.account == "CH2801234000123456789"
    assert entry.booking_date is None and entry.bank_reference is None
    assert entry.transactions == (EntryTransaction(),)  # the UETR has no field in the model


def test_v8_status_code_party_names_and_amounts() -> None:
    _, (entry,) = read_all("v8.xml", sample("genkgo_camt054.v8.xml"))
    first = entry.transactions[0]
    assert entry.status == "BOOK" and entry.batch_payment_info_id == "UXC06170000006PI00001"
    assert (first.end_to_end_id, first.amount, first.currency) == (
        "UXC06170000006PI00001EE00001",
        Decimal("3.1"),
        "CHF",
    )
    assert (first.debtor_name, first.debtor_account) == ("UNIFITS GmbH", "CH2801234000123456789")


def test_v2_booking_time_unstructured_lines_and_instructed_amount() -> None:
    _, (entry,) = read_all("v2.xml", sample("genkgo_camt054.v2.xml"))
    assert entry.booking_date == date(2007, 10, 18)  # from BookgDt/DtTm
    assert entry.transactions[2].message == (
        "Unstructured Remittance Information V3 block 1 "
        "Unstructured Remittance Information V3 block 2"
    )
    _, (unpaid,) = read_all("oca.xml", sample("oca_camt054_001_02_sepa_unpaid.xml"))
    (returned,) = unpaid.transactions
    assert (returned.amount, returned.return_reason, returned.debtor_account) == (
        Decimal("100.00"),
        "AC06",
        "IE16AIBK93110187654321",
    )


def test_other_version_of_the_same_shape_reads() -> None:
    notification, (entry,) = read_all("pf.xml", sample("postfinance_ch_camt054_001_04_debit.xml"))
    assert notification.version == "camt.054.001.04"
    assert (entry.reversal, entry.value_date) == (False, date(2019, 4, 25))
    assert entry.transactions[0].end_to_end_id == "20190424001255000100006"


def test_amount_that_is_not_a_number_refuses_the_file_with_its_line() -> None:
    data = written([debit()]).replace(b">1500.00<", b">1.500,00<", 1)
    with pytest.raises(BankFileRejected) as caught:
        read_all("comma.xml", data)
    assert caught.value.source == "comma.xml" and caught.value.line == 2
    assert caught.value.problem == "<Amt> '1.500,00' is not an amount"


def test_entry_without_status_refuses_the_file() -> None:
    data = written([debit()]).replace(b"<Sts>BOOK</Sts>", b"")
    with pytest.raises(BankFileRejected, match="<Ntry> needs"):
        read_all("nosts.xml", data)


# --- writing -------------------------------------------------------------------------------------


def test_written_file_is_valid_camt054_v02_and_reads_back() -> None:
    entries = [
        debit(),
        debit(bank_reference=None, batch_message_id=None, batch_payment_info_id=None),
        debit(account="NO9386011117947", direction="CRDT", status="PDNG", reversal=True),
        debit(
            transactions=(
                EntryTransaction(
                    end_to_end_id="E2E-9",
                    amount=Decimal("0.5"),
                    currency="EUR",
                    message="Faktura 12 – delbetaling",
                    debtor_name="Blåbær & Søn AS",
                    debtor_account="NO9386011117947",
                    return_reason="AC04",
                ),
            )
        ),
    ]
    data = written(entries)
    assert schema().validate(etree.fromstring(data))
    notification, back = read_all("ours.xml", data)
    assert notification == NOTE
    assert back == entries


def test_writer_refuses_what_v02_cannot_hold() -> None:
    with pytest.raises(ValueError, match="at least 0"):
        written([debit(amount=Decimal("-1"))])
    with pytest.raises(ValueError, match="at most 5 decimals"):
        written([debit(amount=Decimal("0.000001"))])
    with pytest.raises(ValueError, match="not allowed"):
        written([debit(status="BOOKED")])
    with pytest.raises(ValueError, match="needs the account"):
        written([debit(account=None)])
    with pytest.raises(ValueError, match="at least one entry"):
        written([])
    with pytest.raises(ValueError, match="needs created_at"):
        written([debit()], Notification("C", None, "camt.054.001.02"))


ID = (
    st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "Zs")), min_size=1, max_size=35)
    .map(str.strip)
    .filter(bool)
)
AMOUNT = st.decimals(min_value=0, max_value=Decimal("9999999999.99"), places=2)
CURRENCY = st.sampled_from(["NOK", "EUR", "SEK", "USD"])
ACCOUNT = st.from_regex(r"[0-9]{11}", fullmatch=True) | st.from_regex(
    r"NO[0-9]{13}", fullmatch=True
)
DAY = st.none() | st.dates(date(2000, 1, 1), date(2099, 12, 31))


@st.composite
def transactions(draw: st.DrawFn) -> EntryTransaction:
    priced = draw(st.booleans())
    # The amount as ordered goes with a booked one (alone, it is read as the amount).
    ordered = priced and draw(st.booleans())
    return EntryTransaction(
        instructed_amount=draw(AMOUNT) if ordered else None,
        instructed_currency=draw(CURRENCY) if ordered else None,
        end_to_end_id=draw(st.none() | ID),
        instruction_id=draw(st.none() | ID),
        payment_info_id=draw(st.none() | ID),
        message_id=draw(st.none() | ID),
        amount=draw(AMOUNT) if priced else None,
        currency=draw(CURRENCY) if priced else None,
        kid=draw(st.none() | st.from_regex(r"[0-9]{2,25}", fullmatch=True)),
        message=draw(st.none() | ID),
        debtor_name=draw(st.none() | ID),
        debtor_account=draw(st.none() | ACCOUNT),
        return_reason=draw(st.none() | st.sampled_from(["AC01", "AC04", "AM04", "BANK-SPECIFIC"])),
    )


@st.composite
def entries(draw: st.DrawFn) -> Entry:
    return Entry(
        account=draw(ACCOUNT),
        amount=draw(AMOUNT),
        currency=draw(CURRENCY),
        direction=draw(st.sampled_from(["DBIT", "CRDT"])),
        status=draw(st.sampled_from(["BOOK", "PDNG", "INFO"])),
        booking_date=draw(DAY),
        value_date=draw(DAY),
        bank_reference=draw(st.none() | ID),
        reversal=draw(st.booleans()),
        batch_message_id=draw(st.none() | ID),
        batch_payment_info_id=draw(st.none() | ID),
        transactions=tuple(draw(st.lists(transactions(), max_size=3))),
    )


@settings(max_examples=40, deadline=None)
@given(st.lists(entries(), min_size=1, max_size=4), ID)
def test_write_then_read_gives_the_same_entries(items: list[Entry], message_id: str) -> None:
    notification = Notification(message_id, CREATED, "camt.054.001.02")
    back_notification, back = read_all("prop.xml", written(items, notification))
    assert (back_notification, back) == (notification, items)


@settings(max_examples=20, deadline=None)
@given(st.lists(entries(), min_size=1, max_size=4))
def test_everything_the_writer_accepts_is_valid_against_the_xsd(
    xsd: etree.XMLSchema, items: list[Entry]
) -> None:
    assert xsd.validate(etree.fromstring(written(items)))


# --- a big file ----------------------------------------------------------------------------------

# 5,000 by default (tracemalloc slows reading ~4x; bench/ reads 100,000). PAYBOT_BIG_FILE: more.
BIG = int(os.environ.get("PAYBOT_BIG_FILE", "5000"))


def many_debits(count: int) -> Iterator[Entry]:
    for n in range(count):
        amount = Decimal(n % 100_000) / 100
        yield debit(
            amount=amount,
            bank_reference=f"ARCH-{n}",
            batch_payment_info_id=None,
            transactions=(
                EntryTransaction(end_to_end_id=f"E2E-{n:012d}", amount=amount, currency="NOK"),
            ),
        )


def resident_bytes() -> int | None:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return None


def test_big_notification_streams_in_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "big-camt054.xml"
    write_camt054(path, NOTE, many_debits(BIG))
    size = path.stat().st_size
    rss_before, rss_peak = resident_bytes(), 0
    tracemalloc.start()
    try:
        notification, entries = read_camt054(path.name, path)
        count, total = 0, Decimal(0)
        for entry in entries:
            count += 1
            total += entry.amount
            if count == 1:  # the parser's buffers are in place: growth from here is the tree's
                rss_before = resident_bytes()
            if count % 5_000 == 0:
                rss_peak = max(rss_peak, resident_bytes() or 0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (notification.message_id, count) == ("CAMT-1", BIG)
    assert total == sum(Decimal(n % 100_000) / 100 for n in range(BIG))
    assert peak < min(size / 4, 1_000_000), f"peak {peak:,} bytes for a {size:,}-byte file"
    # tracemalloc does not see libxml2's tree: the process's resident size must not grow with it
    if rss_before is not None:
        assert rss_peak - rss_before < size / 2
