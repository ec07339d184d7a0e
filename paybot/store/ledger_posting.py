"""Posting to the ledger: each company's GL accounts, its voucher number series, and the vouchers
with their lines and the payments they post.

Numbers are taken by updating the series' row inside the posting's own transaction: the update
locks the row (PostgreSQL) until commit, and SQLite's transactions hold the database's write
lock from their start (BEGIN IMMEDIATE). A rolled-back posting gives its numbers back, and two
postings never take the same one.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Select,
    Table,
    bindparam,
    delete,
    insert,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from paybot.core.money import STORAGE_SCALE, currency_exponent
from paybot.core.posting import VoucherDraft, VoucherRef
from paybot.core.sends import SendState
from paybot.core.states import PaymentStatus
from paybot.core.vouchers import CENT, STANDARD_ACCOUNTS, AccountRole, Party
from paybot.core.vouchers import Voucher as PostedVoucher
from paybot.core.vouchers import VoucherLine as PostedLine
from paybot.store.bulk import id_chunks, insert_rows
from paybot.store.models import (
    Batch,
    BatchPayment,
    CompanyBankAccount,
    ExchangeRate,
    GlAccount,
    OpenItem,
    Payment,
    Supplier,
    Voucher,
    VoucherLine,
    VoucherPayment,
    VoucherSeries,
)

_PAYMENTS = cast(Table, Payment.__table__)
_OPEN_ITEMS = cast(Table, OpenItem.__table__)
_VOUCHERS = cast(Table, Voucher.__table__)
_LINES = cast(Table, VoucherLine.__table__)
_VOUCHER_PAYMENTS = cast(Table, VoucherPayment.__table__)
_SERIES = cast(Table, VoucherSeries.__table__)
# The columns a voucher line is written with (the incoming payments write theirs alike).
LINE_KEYS = (
    "voucher_id", "position", "account", "debit", "credit", "currency", "amount_currency", "text",
    "party_kind", "party_name", "party_org_no", "party_key", "supplier_id", "payment_id",
)  # fmt: skip


@dataclass(frozen=True)
class PaymentToPost:
    """A payment as posting reads it (locked): its state, and what its voucher needs."""

    id: int
    status: PaymentStatus
    version: int
    amount: Decimal
    currency: str
    paid_at: datetime | None
    open_item_id: int
    invoice_no: str | None
    invoice_date: date | None
    supplier_id: int
    supplier_name: str
    supplier_org_no: str | None
    # The batch the money left in (the send the bank booked, else the newest) and the GL
    # account of its bank account; what the bank booked for it, if it said.
    batch: int | None
    bank_gl_account: str | None
    booked_amount: Decimal | None
    booked_currency: str | None
    # That bank account is the company's tax-withholding account (core.banks.bank_gl_account).
    bank_tax_withholding: bool = False


class PostingRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    # --- GL accounts --------------------------------------------------------------------------

    def accounts(self, company_id: int) -> dict[AccountRole, str]:
        """Every role's account: the company's own where it set one, else the standard one."""
        chosen = dict(STANDARD_ACCOUNTS)
        query = select(GlAccount.role, GlAccount.account).where(GlAccount.company_id == company_id)
        for role, account in self._session.execute(query):
            chosen[AccountRole(role)] = account
        return chosen

    def set_accounts(
        self, company_id: int, accounts: Mapping[AccountRole, str], now: datetime
    ) -> None:
        """Sets these roles' accounts (a role set to its standard account keeps no row)."""
        roles = [role.value for role in accounts]
        self._session.execute(
            delete(GlAccount).where(GlAccount.company_id == company_id, GlAccount.role.in_(roles))
        )
        rows = [
            {"company_id": company_id, "role": role.value, "account": account, "set_at": now}
            for role, account in accounts.items()
            if account != STANDARD_ACCOUNTS[role]
        ]
        if rows:
            self._session.execute(insert(GlAccount), rows)

    def set_bank_gl_account(
        self,
        company_id: int,
        gl_account: str,
        *,
        account: str | None = None,
        was: str | None = None,
    ) -> int:
        """Sets the GL account of the company's bank account `account`, or of every one of its
        bank accounts whose GL account is `was`; returns how many changed."""
        statement = update(CompanyBankAccount).where(CompanyBankAccount.company_id == company_id)
        if account is not None:
            statement = statement.where(CompanyBankAccount.account == account)
        if was is not None:
            statement = statement.where(CompanyBankAccount.gl_account == was)
        result = self._session.execute(statement.values(gl_account=gl_account))
        return int(result.rowcount)  # type: ignore[attr-defined]

    # --- payments to post ---------------------------------------------------------------------

    def batch_id(self, company_id: int, number: int) -> int | None:
        query = select(Batch.id).where(Batch.company_id == company_id, Batch.number == number)
        return self._session.scalar(query)

    def lock_payments(
        self,
        company_id: int,
        *,
        payment_ids: Sequence[int] | None = None,
        batch_id: int | None = None,
    ) -> list[PaymentToPost]:
        """The company's payments with these ids, or of this batch (its current send's), or
        else every Paid one, in id order, locked until commit (PostgreSQL; in id order, so no
        two postings wait for each other in a ring): a second posting of one waits, then reads
        it Posted."""
        base = (
            select(
                Payment.id,
                Payment.status,
                Payment.version,
                Payment.amount,
                Payment.currency,
                Payment.paid_at,
                Payment.open_item_id,
                OpenItem.invoice_no,
                OpenItem.invoice_date,
                Supplier.id.label("supplier_id"),
                Supplier.name,
                Supplier.org_no,
                Batch.number,
                CompanyBankAccount.gl_account,
                CompanyBankAccount.tax_withholding,
            )
            .join(OpenItem, OpenItem.id == Payment.open_item_id)
            .join(Supplier, Supplier.id == Payment.supplier_id)
            .outerjoin(Batch, Batch.id == Payment.batch_id)
            .outerjoin(CompanyBankAccount, CompanyBankAccount.id == Batch.bank_account_id)
            .where(Payment.company_id == company_id)
            .order_by(Payment.id)
            # NO KEY UPDATE, as the UPDATE takes: an audit event naming the payment (a foreign
            # key check) does not wait for it.
            .with_for_update(of=Payment, key_share=True)
        )
        if payment_ids is not None:
            rows = [
                row
                for chunk in id_chunks(sorted(set(payment_ids)))
                for row in self._session.execute(base.where(Payment.id.in_(chunk)))
            ]
        elif batch_id is not None:
            rows = list(self._session.execute(base.where(Payment.batch_id == batch_id)))
        else:
            paid = PaymentStatus.PAID.value
            rows = list(self._session.execute(base.where(Payment.status == paid)))
        booked = self._bookings([row.id for row in rows])
        found = []
        for row in rows:
            said = booked.get(row.id)
            found.append(
                PaymentToPost(
                    id=row.id,
                    status=PaymentStatus(row.status),
                    version=row.version,
                    amount=row.amount,
                    currency=row.currency,
                    paid_at=row.paid_at,
                    open_item_id=row.open_item_id,
                    invoice_no=row.invoice_no,
                    invoice_date=row.invoice_date,
                    supplier_id=row.supplier_id,
                    supplier_name=row.name,
                    supplier_org_no=row.org_no,
                    batch=row.number if said is None else said[0],
                    bank_gl_account=row.gl_account if said is None else said[1],
                    booked_amount=None if said is None else said[2],
                    booked_currency=None if said is None else said[3],
                    bank_tax_withholding=bool(row.tax_withholding if said is None else said[4]),
                )
            )
        return found

    def _bookings(
        self, payment_ids: Sequence[int]
    ) -> dict[int, tuple[int, str, Decimal | None, str | None, bool]]:
        """Per payment, its newest send the bank booked: (batch number, the GL account of the
        batch's bank account, the amount and currency the bank booked, where it said, whether
        that bank account is the tax-withholding account)."""
        found: dict[int, tuple[int, str, Decimal | None, str | None, bool]] = {}
        query = (
            select(
                BatchPayment.payment_id,
                Batch.number,
                CompanyBankAccount.gl_account,
                BatchPayment.booked_amount,
                BatchPayment.booked_currency,
                CompanyBankAccount.tax_withholding,
            )
            .join(Batch, Batch.id == BatchPayment.batch_id)
            .join(CompanyBankAccount, CompanyBankAccount.id == Batch.bank_account_id)
            .where(BatchPayment.status == SendState.BOOKED.value)
            .order_by(BatchPayment.id)
        )
        for chunk in id_chunks(list(payment_ids)):
            for payment_id, number, gl, amount, currency, tax in self._session.execute(
                query.where(BatchPayment.payment_id.in_(chunk))
            ):
                found[payment_id] = (number, gl, amount, currency, tax)  # the newest wins
        return found

    def vouchers_of(self, payment_ids: Iterable[int]) -> dict[int, VoucherRef]:
        """The voucher that posted each of these payments (those posted)."""
        found: dict[int, VoucherRef] = {}
        query = select(VoucherPayment.payment_id, Voucher.year, Voucher.number).join(
            Voucher, Voucher.id == VoucherPayment.voucher_id
        )
        for chunk in id_chunks(sorted(set(payment_ids))):
            rows = self._session.execute(query.where(VoucherPayment.payment_id.in_(chunk)))
            found.update({pid: VoucherRef(year, number) for pid, year, number in rows})
        return found

    def rate_history(
        self, currencies: Iterable[str], quote_currency: str
    ) -> dict[str, list[tuple[date, Decimal]]]:
        """Every rate set for these currencies to `quote_currency`, oldest first."""
        wanted = sorted(set(currencies))
        history: dict[str, list[tuple[date, Decimal]]] = {currency: [] for currency in wanted}
        if not wanted:
            return history
        query = (
            select(ExchangeRate.currency, ExchangeRate.valid_from, ExchangeRate.rate)
            .where(ExchangeRate.currency.in_(wanted), ExchangeRate.quote_currency == quote_currency)
            .order_by(ExchangeRate.currency, ExchangeRate.valid_from)
        )
        for currency, valid_from, rate in self._session.execute(query):
            history[currency].append((valid_from, rate))
        return history

    # --- writing a posting --------------------------------------------------------------------

    def take_numbers(self, company_id: int, year: int, count: int) -> int:
        """The first of `count` consecutive numbers of the company's series for `year`, taken
        in this transaction (the series' row stays locked until it ends)."""
        params = {"series_company": company_id, "series_year": year, "count": count}
        taken = self._session.execute(_TAKE, params).scalar()
        if taken is None:  # the year's first posting: start its series, unless one just did
            self._start(company_id, year)
            taken = self._session.execute(_TAKE, params).scalar_one()
        return int(taken) - count

    def _start(self, company_id: int, year: int) -> None:
        """The series' row, unless another posting made it meanwhile (PostgreSQL: the insert
        waits for that one's commit, then does nothing)."""
        values = {"company_id": company_id, "year": year, "next_number": 1}
        dialect = self._session.get_bind().dialect.name
        insert_into = postgresql_insert if dialect == "postgresql" else sqlite_insert
        self._session.execute(insert_into(_SERIES).values(values).on_conflict_do_nothing())

    def add_vouchers(
        self,
        company_id: int,
        drafts: Sequence[tuple[VoucherRef, VoucherDraft]],
        *,
        posted_by_id: int | None,
        posted_by: str,
        now: datetime,
        supplier_ids: Mapping[int, int],
    ) -> None:
        """Writes numbered vouchers, their lines and the payments they post (`supplier_ids`:
        payment id -> its supplier, for the lines posted with the supplier)."""
        if not drafts:
            return
        rows = [
            {
                "company_id": company_id,
                "year": ref.year,
                "number": ref.number,
                "day": draft.day,
                "text": draft.text,
                "posted_at": now,
                "posted_by_id": posted_by_id,
                "posted_by": posted_by[:200],
            }
            for ref, draft in drafts
        ]
        ids: list[int] = []
        for start in range(0, len(rows), _CHUNK):
            result = self._session.execute(_ADD_VOUCHERS, rows[start : start + _CHUNK])
            ids.extend(result.scalars())
        lines: list[dict[str, Any]] = []
        posts: list[dict[str, Any]] = []
        for voucher_id, (_, draft) in zip(ids, drafts, strict=True):
            posts += [{"voucher_id": voucher_id, "payment_id": p} for p in draft.payment_ids]
            lines += _line_rows(voucher_id, draft, supplier_ids)
        insert_rows(self._session, _LINES, LINE_KEYS, lines)
        insert_rows(self._session, _VOUCHER_PAYMENTS, ("voucher_id", "payment_id"), posts)

    def mark_posted(self, payment_ids: Sequence[int], now: datetime) -> int:
        """Paid → Posted (a compare-and-set on the state); returns how many it moved."""
        moved = 0
        for chunk in id_chunks(sorted(payment_ids)):
            result = self._session.execute(_MARK_POSTED, {"ids": chunk, "now": now})
            moved += int(result.rowcount)  # type: ignore[attr-defined]
        return moved

    def close_items(self, open_item_ids: Sequence[int]) -> None:
        """The supplier's open items the payments settled are open no more."""
        for chunk in id_chunks(sorted(open_item_ids)):
            self._session.execute(_CLOSE_ITEMS, {"ids": chunk})

    # --- reading vouchers ---------------------------------------------------------------------

    def read(
        self,
        company_id: int,
        company_org_no: str,
        *,
        refs: Iterable[VoucherRef] | None = None,
        day_from: date | None = None,
        day_to: date | None = None,
    ) -> list[PostedVoucher]:
        """The company's vouchers (these, or those dated within the days given), by year and
        number, with their lines and payments."""
        wanted = None if refs is None else set(refs)
        heads = [
            row
            for row in self._session.execute(_heads(company_id, day_from, day_to))
            if wanted is None or VoucherRef(row.year, row.number) in wanted
        ]
        return [
            voucher
            for start in range(0, len(heads), _READ_CHUNK)
            for voucher in self._with_lines(company_org_no, heads[start : start + _READ_CHUNK])
        ]

    def stream(
        self,
        company_id: int,
        company_org_no: str,
        *,
        day_from: date | None = None,
        day_to: date | None = None,
    ) -> Iterator[PostedVoucher]:
        """The company's vouchers dated within the days given, by year and number, with their
        lines and payments, read a chunk at a time as they are taken (the vouchers through a
        server-side cursor on PostgreSQL): memory stays flat however many there are. Take them
        inside the unit of work that gave the repository."""
        query = _heads(company_id, day_from, day_to).execution_options(yield_per=_READ_CHUNK)
        result = self._session.execute(query)
        try:
            for heads in result.partitions():
                yield from self._with_lines(company_org_no, heads)
        finally:
            result.close()

    def _with_lines(self, company_org_no: str, heads: Sequence[Any]) -> list[PostedVoucher]:
        """The vouchers of these rows (id, year, number, day, text), with their lines and
        payments: two queries for them all."""
        ids = [row.id for row in heads]
        lines: dict[int, list[PostedLine]] = {voucher_id: [] for voucher_id in ids}
        payments: dict[int, list[int]] = {voucher_id: [] for voucher_id in ids}
        for voucher_id, *line in self._session.execute(_LINES_OF, {"ids": ids}):
            lines[voucher_id].append(_line(*line))
        for voucher_id, payment_id in self._session.execute(_PAYMENTS_OF, {"ids": ids}):
            payments[voucher_id].append(payment_id)
        return [
            PostedVoucher(
                company_org_no=company_org_no,
                number=row.number,
                day=row.day,
                text=row.text,
                lines=tuple(lines[row.id]),
                payment_ids=tuple(payments[row.id]),
            )
            for row in heads
        ]


def _heads(
    company_id: int, day_from: date | None, day_to: date | None
) -> Select[int, int, int, date, str]:
    """The company's vouchers dated within the days given (id, year, number, day, text), by year
    and number."""
    query = select(Voucher.id, Voucher.year, Voucher.number, Voucher.day, Voucher.text).where(
        Voucher.company_id == company_id
    )
    if day_from is not None:
        query = query.where(Voucher.day >= day_from)
    if day_to is not None:
        query = query.where(Voucher.day <= day_to)
    return query.order_by(Voucher.year, Voucher.number)


def _line_rows(
    voucher_id: int, draft: VoucherDraft, supplier_ids: Mapping[int, int]
) -> list[dict[str, Any]]:
    rows = []
    for position, (line, payment_id) in enumerate(
        zip(draft.lines, draft.line_payments, strict=True), start=1
    ):
        party = line.party
        rows.append(
            {
                "voucher_id": voucher_id,
                "position": position,
                "account": line.account,
                "debit": line.debit,
                "credit": line.credit,
                "currency": line.currency,
                "amount_currency": line.amount_currency,
                "text": line.text,
                "party_kind": None if party is None else party.kind,
                "party_name": None if party is None else party.name,
                "party_org_no": None if party is None else party.org_no,
                "party_key": None if party is None else party.key,
                "supplier_id": None if party is None else supplier_ids.get(payment_id),
                "payment_id": payment_id,
            }
        )
    return rows


def _line(
    account: str,
    debit: int,
    credit: int,
    currency: str,
    amount_currency: int,
    text: str,
    party_kind: str | None,
    party_name: str | None,
    party_org_no: str | None,
    party_key: str | None,
) -> PostedLine:
    """A line of `_LINES_OF` (after its voucher id): its amounts are the stored integer units
    (four decimals), read back to the cent, and the amount in currency to its currency's own
    decimals."""
    party = None
    if party_kind is not None:  # a party's line has its name
        party = Party(party_kind, cast(str, party_name), party_org_no, party_key)
    return PostedLine(
        account=account,
        debit=_amount(debit, CENT),
        credit=_amount(credit, CENT),
        currency=currency,
        amount_currency=_amount(amount_currency, _unit(currency)),
        text=text,
        party=party,
    )


def _amount(units: int, unit: Decimal) -> Decimal:
    """Stored units as types.Money reads them back (from_storage_units), quantized to `unit`:
    the same Decimal, in one step instead of three (an export reads a million of them)."""
    return Decimal(units).scaleb(-STORAGE_SCALE).quantize(unit)


@functools.cache
def _unit(currency: str) -> Decimal:
    return Decimal(1).scaleb(-currency_exponent(currency))


_CHUNK = 1000
_READ_CHUNK = 1000  # vouchers read at a time, and the ids of an IN list for their lines
_TAKE = (
    update(_SERIES)
    .where(
        _SERIES.c.company_id == bindparam("series_company"),
        _SERIES.c.year == bindparam("series_year"),
    )
    .values(next_number=_SERIES.c.next_number + bindparam("count"))
    .returning(_SERIES.c.next_number)
)
_ADD_VOUCHERS = insert(_VOUCHERS).returning(_VOUCHERS.c.id, sort_by_parameter_order=True)
_MARK_POSTED = (
    update(_PAYMENTS)
    .where(
        _PAYMENTS.c.id.in_(bindparam("ids", expanding=True)),
        _PAYMENTS.c.status == PaymentStatus.PAID.value,
    )
    .values(
        status=PaymentStatus.POSTED.value,
        version=_PAYMENTS.c.version + 1,
        updated_at=bindparam("now", type_=_PAYMENTS.c.updated_at.type),
    )
)
_CLOSE_ITEMS = (
    update(_OPEN_ITEMS)
    .where(_OPEN_ITEMS.c.id.in_(bindparam("ids", expanding=True)))
    .values(is_open=False)
)
# A voucher's lines, each as `_line` takes it (after its voucher id); the money columns as stored
# (integer units): `_line` makes each Decimal in one step.
_LINES_OF = (
    select(
        _LINES.c.voucher_id,
        _LINES.c.account,
        *(type_coerce(_LINES.c[name], BigInteger) for name in ("debit", "credit")),
        _LINES.c.currency,
        type_coerce(_LINES.c.amount_currency, BigInteger),
        _LINES.c.text,
        _LINES.c.party_kind,
        _LINES.c.party_name,
        _LINES.c.party_org_no,
        _LINES.c.party_key,
    )
    .where(_LINES.c.voucher_id.in_(bindparam("ids", expanding=True)))
    .order_by(_LINES.c.voucher_id, _LINES.c.position)
)
_PAYMENTS_OF = (
    select(_VOUCHER_PAYMENTS.c.voucher_id, _VOUCHER_PAYMENTS.c.payment_id)
    .where(_VOUCHER_PAYMENTS.c.voucher_id.in_(bindparam("ids", expanding=True)))
    .order_by(_VOUCHER_PAYMENTS.c.payment_id)
)
