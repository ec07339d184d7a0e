"""`ledger_out.export` streams the vouchers from the store to the writer, on SQLite and
PostgreSQL: what it writes is what the vouchers read at once give, SAF-T opens each account at
what was posted before the period, and a voucher refused half-way leaves the unit of work
usable."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from lxml import etree

from paybot.core.errors import ValidationFailed
from paybot.core.ledgerfiles.balance import account_balances, summarize
from paybot.core.posting import VoucherRef
from paybot.core.vouchers import VoucherLine
from paybot.services import ledger_out
from paybot.store.incoming import NewVoucher
from paybot.store.uow import UnitOfWork
from tests.builders import NOW, ORG_NO
from tests.shared_fixtures import shared_fixture
from tests.store.test_ledger_posting_stream import COUNT, YEAR, posted

SAFT_NS = "{urn:StandardAuditFile-Taxation-Financial:NO}"
CONTACT = ledger_out.ContactPerson("Kari Nordmann", "+4722000000")
SECOND_HALF = {"day_from": date(YEAR, 7, 1), "day_to": date(YEAR, 12, 31)}


def export(uow: UnitOfWork, kind: ledger_out.LedgerFormat, **days: date) -> bytes:
    out = io.BytesIO()
    ledger_out.export(
        uow,
        company_org_no=ORG_NO,
        day_from=days.get("day_from", date(YEAR, 1, 1)),
        day_to=days.get("day_to", date(YEAR, 12, 31)),
        kind=kind,
        out=out,
        now=NOW,
        contact=CONTACT,
    )
    return out.getvalue()


def test_the_csv_of_many_vouchers_has_every_line_with_the_totals_read_at_once(
    uow: UnitOfWork,
) -> None:
    company_id = posted(uow, COUNT)
    with uow:
        expected = summarize(uow.postings.read(company_id, ORG_NO))
    data = export(uow, ledger_out.LedgerFormat.CSV)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))[1:]
    assert len(rows) == expected.lines == 2 * COUNT
    assert len({row[0] for row in rows}) == COUNT
    debit = sum(Decimal(row[4].replace(",", ".")) for row in rows)
    assert debit == expected.total_debit == expected.total_credit


def test_saft_opens_each_account_at_what_was_posted_before_the_period(uow: UnitOfWork) -> None:
    company_id = posted(uow, COUNT)
    with uow:
        before = uow.postings.read(company_id, ORG_NO, day_to=date(YEAR, 6, 30))
        period = uow.postings.read(company_id, ORG_NO, **SECOND_HALF)
    data = export(uow, ledger_out.LedgerFormat.SAFT, **SECOND_HALF)

    schema = etree.XMLSchema(
        etree.parse(str(shared_fixture("saft/Norwegian_SAF-T_Financial_Schema_v_1.30.xsd")))
    )
    tree = etree.fromstring(data)
    schema.assertValid(tree)
    entries = tree.find(f"{SAFT_NS}GeneralLedgerEntries")
    assert entries is not None
    assert entries.findtext(f"{SAFT_NS}NumberOfEntries") == str(len(period))
    openings = {}
    for account in tree.iter(f"{SAFT_NS}Account"):
        side = "Debit" if account.find(f"{SAFT_NS}OpeningDebitBalance") is not None else "Credit"
        amount = Decimal(account.findtext(f"{SAFT_NS}Opening{side}Balance") or "0")
        openings[account.findtext(f"{SAFT_NS}AccountID")] = amount if side == "Debit" else -amount
    assert openings == {b.account: b.balance for b in account_balances(before)}
    assert openings["1920"] > 0 > openings["1500"]


def test_a_voucher_refused_half_way_leaves_the_unit_of_work_usable(uow: UnitOfWork) -> None:
    company_id = posted(uow, COUNT)
    with uow:
        number = uow.postings.take_numbers(company_id, YEAR, 1)
        bad = VoucherLine("1920", Decimal(1), Decimal(0), "NOK", Decimal(1), "Bell \x07")
        good = VoucherLine("1500", Decimal(0), Decimal(1), "NOK", Decimal(1), "Fine")
        late = NewVoucher(VoucherRef(YEAR, number), date(YEAR, 12, 31), "Late", (bad, good))
        uow.incoming.add_vouchers(company_id, [late], posted_by_id=None, posted_by="t", now=NOW)
        uow.commit()

    for kind in ledger_out.LedgerFormat:
        with pytest.raises(ValidationFailed, match="bell"):
            export(uow, kind)

    first_half = export(uow, ledger_out.LedgerFormat.JSON, day_to=date(YEAR, 6, 30))
    assert first_half.endswith(b"]}\n")
