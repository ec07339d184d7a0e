"""camt.054 credit notifications as incoming payments: the real samples, a v08 Norwegian-style
credit notification, files paybot's writer makes, and entries whose payments cannot be told."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paybot.core.bankfiles.camt054 import write_camt054
from paybot.core.bankfiles.camt054_incoming import (
    EntryKind,
    entry_kind,
    incoming_payments,
    read_incoming_camt054,
)
from paybot.core.bankfiles.model import BankFileRejected, Entry, EntryTransaction, Notification
from paybot.core.incoming import IncomingPayment
from tests.shared_fixtures import shared_fixture, shared_fixture_names

SAMPLES = "samples/camt054"
ACCOUNT = "86011117947"
DAY = date(2026, 11, 23)
NOTIFICATION = Notification("MSG-1", datetime(2026, 11, 23, 18, 0, tzinfo=UTC), "camt.054.001.02")


def read(name: str, data: bytes | Path) -> list[IncomingPayment]:
    _, payments = read_incoming_camt054(name, data)
    return list(payments)


def sample(name: str) -> Path:
    return shared_fixture(f"{SAMPLES}/{name}")


# --- the real samples ----------------------------------------------------------------------------


def test_a_batch_of_credits_gives_one_payment_per_transaction_with_its_reference() -> None:
    name = "fffs_finland_camt054_001_02_credit_debit_SCOR.xml"
    payments = read(name, sample(name))
    assert [(p.key, p.amount, p.kid, p.payer_name) for p in payments] == [
        ("091029ACCTSTMTARCH04/1", Decimal("1900.00"), "3900", "PAYERS NAME1"),
        ("091029ACCTSTMTARCH04/2", Decimal("100.00"), "43216", "PAYERS NAME2"),
        ("091029ACCTSTMTARCH21/1", Decimal("400.00"), "3900", "PAYERS NAME1"),
        ("091029ACCTSTMTARCH21/2", Decimal("100.00"), "43216", "PAYERS NAME2"),
        ("091029ACCTSTMTARCH05/1", Decimal("2500.00"), "RF7812345", "AT-02 DEBTOR NAME 01"),
        ("091029ACCTSTMTARCH05/2", Decimal("500.00"), None, "AT-02 DEBTOR NAME 02"),
    ]
    # The debits (our payments out) and the INFO entry (no money moved) give none.
    assert {(p.account, p.currency, p.payment_date, p.reversal) for p in payments} == {
        ("FI7433010001222090", "EUR", date(2009, 10, 29), False)
    }
    assert payments[-1].message == "RFB/557742358"
    assert payments[0].bank_reference == "091029ACCTSTMTARCH04"


def test_a_returned_direct_debit_is_a_reversal_of_money_in() -> None:
    name = "oca_camt054_001_02_sepa_unpaid.xml"
    [payment] = read(name, sample(name))
    assert (payment.amount, payment.currency, payment.reversal, payment.bank_code) == (
        Decimal("-100.00"),
        "EUR",
        True,
        "AC06",
    )
    assert (payment.payer_name, payment.payer_account) == ("DEBTOR4", "IE16AIBK93110187654321")
    assert (payment.key, payment.line, payment.payment_date) == (
        "MSGID99345678912#1/1",
        55,
        date(2016, 10, 8),
    )


def test_a_v04_credit_notification_reads_as_its_shape_allows() -> None:
    name = "postfinance_ch_camt054_001_04_credit.xml"
    [payment] = read(name, sample(name))
    assert (payment.key, payment.amount, payment.currency, payment.kid, payment.line) == (
        "074820002ZZ9J42U/1",
        Decimal("1500.00"),
        "CHF",
        None,
        53,
    )
    assert payment.account == "CH2909000000250094239"
    assert payment.payment_date == date(2019, 4, 24)  # the booking date, not the value date


INCOMING_IN_SAMPLE = {
    "fffs_finland_camt054_001_02_credit_debit_SCOR.xml": 6,
    "oca_camt054_001_02_sepa_unpaid.xml": 1,
    "postfinance_ch_camt054_001_04_credit.xml": 1,
}


@pytest.mark.parametrize("name", shared_fixture_names(SAMPLES))
def test_every_sample_reads_and_debit_notes_give_no_incoming_payment(name: str) -> None:
    payments = read(name, sample(name))
    assert len(payments) == INCOMING_IN_SAMPLE.get(name, 0)
    assert all(p.source == name and p.line is not None for p in payments)


# --- a v08 credit notification, as a Norwegian bank writes one -----------------------------------

V08 = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">
  <BkToCstmrDbtCdtNtfctn>
    <GrpHdr><MsgId>NO-KID-0001</MsgId><CreDtTm>2026-11-23T18:00:00+01:00</CreDtTm></GrpHdr>
    <Ntfctn>
      <Id>NO-KID-0001-1</Id>
      <Acct><Id><Othr><Id>86011117947</Id><SchmeNm><Cd>BBAN</Cd></SchmeNm></Othr></Id></Acct>
      <Ntry>
        <Amt Ccy="NOK">1750.50</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2026-11-23</Dt></BookgDt>
        <ValDt><Dt>2026-11-24</Dt></ValDt>
        <AcctSvcrRef>2026112300001</AcctSvcrRef>
        <NtryDtls>
          <TxDtls>
            <Refs><AcctSvcrRef>A1</AcctSvcrRef></Refs>
            <Amt Ccy="NOK">1250.00</Amt>
            <CdtDbtInd>CRDT</CdtDbtInd>
            <RltdPties>
              <Dbtr><Pty><Nm>Kunde Én AS</Nm></Pty></Dbtr>
              <DbtrAcct><Id><Othr><Id>12345678903</Id></Othr></Id></DbtrAcct>
            </RltdPties>
            <RmtInf><Strd><CdtrRefInf>
              <Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>12345678903</Ref>
            </CdtrRefInf></Strd></RmtInf>
          </TxDtls>
          <TxDtls>
            <Amt Ccy="NOK">500.50</Amt>
            <CdtDbtInd>CRDT</CdtDbtInd>
            <RltdPties><Dbtr><Pty><Nm>Kunde To</Nm></Pty></Dbtr></RltdPties>
            <RmtInf><Strd><CdtrRefInf>
              <Tp><CdOrPrtry><Prtry>KID</Prtry></CdOrPrtry></Tp><Ref>0000531</Ref>
            </CdtrRefInf></Strd></RmtInf>
          </TxDtls>
        </NtryDtls>
      </Ntry>
      <Ntry>
        <Amt Ccy="NOK">500.50</Amt>
        <CdtDbtInd>DBIT</CdtDbtInd>
        <RvslInd>true</RvslInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2026-11-25</Dt></BookgDt>
        <AcctSvcrRef>2026112500007</AcctSvcrRef>
        <NtryDtls><TxDtls>
          <Amt Ccy="NOK">500.50</Amt>
          <RmtInf><Strd><CdtrRefInf><Ref>0000531</Ref></CdtrRefInf></Strd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>
      <Ntry>
        <Amt Ccy="NOK">99.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts><Cd>PDNG</Cd></Sts>
      </Ntry>
    </Ntfctn>
  </BkToCstmrDbtCdtNtfctn>
</Document>
"""


def test_a_v08_credit_notification_gives_its_kid_payments_and_a_reversal() -> None:
    notification, payments = read_incoming_camt054("kid.xml", V08.encode())
    assert notification.version == "camt.054.001.08"
    assert [
        (p.key, p.amount, p.kid, p.payer_name, p.payer_account, p.line, p.reversal)
        for p in payments
    ] == [
        (
            "2026112300001/1",
            Decimal("1250.00"),
            "12345678903",
            "Kunde Én AS",
            "12345678903",
            16,
            False,
        ),
        ("2026112300001/2", Decimal("500.50"), "0000531", "Kunde To", None, 28, False),
        ("2026112500007/1", Decimal("-500.50"), "0000531", None, None, 45, True),
    ]
    assert {p.account for p in read("kid.xml", V08.encode())} == {ACCOUNT}


# --- entries, one by one -------------------------------------------------------------------------


def an_entry(*transactions: EntryTransaction, **overrides: object) -> Entry:
    values: dict[str, object] = {
        "account": ACCOUNT,
        "amount": sum((t.amount or Decimal(0) for t in transactions), Decimal("0.00")),
        "currency": "NOK",
        "direction": "CRDT",
        "status": "BOOK",
        "booking_date": DAY,
        "value_date": None,
        "bank_reference": "REF-1",
        "transactions": transactions,
        "line": 7,
    }
    values.update(overrides)
    return Entry(**values)  # type: ignore[arg-type]


def a_tx(amount: str | None = "100.00", **overrides: object) -> EntryTransaction:
    values: dict[str, object] = {
        "amount": None if amount is None else Decimal(amount),
        "currency": "NOK",
        "kid": "12345678903",
        "line": 9,
    }
    values.update(overrides)
    return EntryTransaction(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("entry", "kind"),
    [
        (an_entry(a_tx()), EntryKind.INCOMING),
        (an_entry(a_tx(), direction="DBIT"), EntryKind.OUTGOING),
        (an_entry(a_tx(return_reason="AC04"), direction="DBIT"), EntryKind.INCOMING_REVERSAL),
        (an_entry(a_tx(), direction="DBIT", reversal=True), EntryKind.INCOMING_REVERSAL),
        (an_entry(a_tx(return_reason="AC04")), EntryKind.OUTGOING_RETURN),
        (an_entry(a_tx(), reversal=True), EntryKind.OUTGOING_RETURN),
        (an_entry(a_tx(), status="PDNG"), EntryKind.NOT_BOOKED),
        (an_entry(a_tx(), status="book"), EntryKind.INCOMING),
    ],
)
def test_entries_are_sorted_by_what_they_mean_for_the_account(
    entry: Entry, kind: EntryKind
) -> None:
    assert entry_kind(entry) is kind


def payments_of(*entries: Entry) -> list[IncomingPayment]:
    return list(incoming_payments("n.xml", NOTIFICATION, entries))


def test_only_the_returned_transactions_of_a_debit_are_reversals() -> None:
    entry = an_entry(
        a_tx("40.00", return_reason="AC01", kid="0000531"),
        a_tx("60.00"),
        direction="DBIT",
    )
    [payment] = payments_of(entry)
    assert (payment.amount, payment.kid, payment.key, payment.reversal) == (
        Decimal("-40.00"),
        "0000531",
        "REF-1/1",
        True,
    )


def test_an_entry_without_transactions_is_one_payment_without_kid() -> None:
    [payment] = payments_of(an_entry(amount=Decimal("12.00")))
    assert (payment.amount, payment.kid, payment.key, payment.line) == (
        Decimal("12.00"),
        None,
        "REF-1/0",
        7,
    )


def test_a_lone_transaction_in_another_currency_stands_for_its_booking() -> None:
    [payment] = payments_of(an_entry(a_tx("750.00", currency="USD"), amount=Decimal("7800.00")))
    assert (payment.amount, payment.currency) == (Decimal("7800.00"), "NOK")
    [payment] = payments_of(an_entry(a_tx(None), amount=Decimal("5.00")))
    assert payment.amount == Decimal("5.00")


def test_a_payment_is_dated_by_booking_then_value_date_then_the_notification() -> None:
    dated = [
        payments_of(an_entry(a_tx(), **days))[0].payment_date
        for days in (
            {"booking_date": DAY, "value_date": date(2026, 11, 24)},
            {"booking_date": None, "value_date": date(2026, 11, 24)},
            {"booking_date": None},
        )
    ]
    assert dated == [DAY, date(2026, 11, 24), date(2026, 11, 23)]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            an_entry(a_tx("60.00"), a_tx("30.00"), amount=Decimal("100.00")),
            "n.xml:7: Amt: the entry books NOK 100.00, its transactions add up to NOK 90.00",
        ),
        (
            an_entry(a_tx("60.00"), a_tx(None, line=12), amount=Decimal("100.00")),
            "n.xml:12: TxDtls: no amount, in an entry of 2 transactions",
        ),
        (an_entry(amount=Decimal("-1")), "n.xml:7: Amt: -1 is negative (CdtDbtInd gives the"),
        (an_entry(a_tx(), account=None), "n.xml:7: Ntry: its Ntfctn names no account"),
    ],
)
def test_an_entry_whose_payments_cannot_be_told_refuses_the_file(
    entry: Entry, expected: str
) -> None:
    with pytest.raises(BankFileRejected) as caught:
        payments_of(entry)
    assert str(caught.value).startswith(expected)


def test_an_undated_entry_in_an_undated_file_is_refused() -> None:
    undated = Notification("MSG-2", None, "camt.054.001.02")
    entry = an_entry(a_tx(), booking_date=None)
    with pytest.raises(BankFileRejected, match="no BookgDt, ValDt or CreDtTm"):
        list(incoming_payments("n.xml", undated, [entry]))


def test_transactions_in_several_currencies_are_taken_as_given() -> None:
    entry = an_entry(a_tx("10.00", currency="EUR"), a_tx("20.00"), amount=Decimal("140.00"))
    assert [(p.amount, p.currency) for p in payments_of(entry)] == [
        (Decimal("10.00"), "EUR"),
        (Decimal("20.00"), "NOK"),
    ]


# --- files paybot's writer makes -----------------------------------------------------------------

AMOUNTS = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2)
TRANSACTIONS = st.builds(
    lambda amount, kid, name: EntryTransaction(
        amount=amount, currency="NOK", kid=kid, debtor_name=name
    ),
    AMOUNTS,
    st.one_of(st.none(), st.text("0123456789", min_size=2, max_size=25)),
    st.one_of(
        st.none(), st.text("abcæøå ÆØÅ", min_size=1, max_size=20).map(str.strip).filter(bool)
    ),
)
ENTRIES = st.lists(
    st.tuples(st.lists(TRANSACTIONS, min_size=1, max_size=4), st.sampled_from(["CRDT", "DBIT"])),
    min_size=1,
    max_size=6,
).map(
    lambda groups: [
        Entry(
            account=ACCOUNT,
            amount=sum((t.amount or Decimal(0) for t in txs), Decimal(0)),
            currency="NOK",
            direction=way,
            status="BOOK",
            booking_date=DAY,
            value_date=None,
            bank_reference=f"REF-{n}",
            transactions=tuple(txs),
        )
        for n, (txs, way) in enumerate(groups, 1)
    ]
)


@settings(max_examples=60, deadline=None)
@given(ENTRIES)
def test_credit_notifications_paybot_writes_read_back_to_their_payments(
    entries: list[Entry],
) -> None:
    written = io.BytesIO()
    write_camt054(written, NOTIFICATION, entries)
    payments = read("credits.xml", written.getvalue())
    credits = [e for e in entries if e.direction == "CRDT"]
    assert [(p.amount, p.kid, p.payer_name) for p in payments] == [
        (t.amount, t.kid, t.debtor_name) for e in credits for t in e.transactions
    ]
    assert sum((p.amount for p in payments), Decimal(0)) == sum(
        (e.amount for e in credits), Decimal(0)
    )
    assert len({p.key for p in payments}) == len(payments)


def test_where_an_entry_stands_is_not_part_of_what_it_says() -> None:
    assert an_entry(a_tx(line=3), line=1) == an_entry(a_tx(line=30), line=20)
    assert hash(an_entry(line=1)) == hash(an_entry(line=2))
