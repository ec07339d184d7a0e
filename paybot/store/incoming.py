"""The customer ledger's open items, and the incoming payments matched to them: the files they
came in (each taken once per company), the payments (each once per account: its key), and the
vouchers that post them (in the company's voucher series and tables, as posting's).

Bulk paths (an ingest of 100,000 payments) use Core statements in chunks, so memory stays flat.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    BigInteger,
    Integer,
    Select,
    String,
    Table,
    and_,
    bindparam,
    func,
    insert,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.types import ARRAY

from paybot.core.incoming import CustomerItem, IncomingPayment
from paybot.core.incoming_match import LineValues, MatchStatus
from paybot.core.money import STORAGE_SCALE, currency_exponent
from paybot.core.posting import VoucherRef
from paybot.core.vouchers import CENT, Party, VoucherLine
from paybot.store.bulk import chunks, execute_tuples, id_chunks, insert_rows, insert_tuples
from paybot.store.ledger_posting import LINE_KEYS
from paybot.store.models import CustomerItem as CustomerItemRow
from paybot.store.models import IncomingFile, IncomingPaymentRow, User, Voucher
from paybot.store.models import VoucherLine as VoucherLineRow

_ITEMS = cast(Table, CustomerItemRow.__table__)
_FILES = cast(Table, IncomingFile.__table__)
_PAYMENTS = cast(Table, IncomingPaymentRow.__table__)
_VOUCHERS = cast(Table, Voucher.__table__)
_LINES = cast(Table, VoucherLineRow.__table__)
_VOUCHER_KEYS = (
    "company_id", "year", "number", "day", "text", "posted_at", "posted_by_id", "posted_by",
)  # fmt: skip
PAYMENT_KEYS = (
    "company_id", "file_id", "line", "key", "account", "amount", "currency", "kid", "payer_name",
    "payer_account", "message", "bank_reference", "bank_code", "payment_date", "reversal",
    "status", "reason", "detail", "customer_item_id", "cleared", "excess", "rounding",
    "voucher_id", "paired_with_id", "version", "created_at", "updated_at",
)  # fmt: skip
OPEN, CLOSED = "open", "closed"


VoucherValues = tuple[int, int, date, str, Sequence[LineValues]]
"""A numbered voucher to write, as values: year, number, day, text, lines."""


@dataclass(frozen=True)
class NewVoucher:
    """A numbered voucher to write."""

    ref: VoucherRef
    day: date
    text: str
    lines: tuple[VoucherLine, ...]


@dataclass(frozen=True)
class IncomingRecord:
    """An incoming payment as stored: the payment, and what became of it."""

    id: int
    company_id: int
    status: str
    version: int
    payment: IncomingPayment
    reason: str | None
    detail: str | None
    customer_item_id: int | None
    invoice_no: str | None
    cleared: Decimal
    excess: Decimal
    rounding: Decimal
    voucher_id: int | None
    voucher: VoucherRef | None
    paired_with_id: int | None
    delete_reason: str | None
    file_name: str
    handled_by_id: int | None = None  # the person who last handled it by hand; None: paybot


class ItemStanding(NamedTuple):
    """A customer invoice as the ledger has it now: its open amount as stored, and what the
    incoming payments posted against it (matched, settled, partial or overpaid; not one the bank
    took back or a person's match undone) cleared off it and held as its customer's credit.

    A named tuple, not a frozen dataclass: a company's 100,000 are made six times faster."""

    id: int
    invoice_no: str
    customer_name: str
    customer_org_no: str | None
    kid: str | None
    invoice_date: date | None
    due_date: date | None
    currency: str
    amount: Decimal
    open_amount: Decimal
    cleared: Decimal
    excess: Decimal
    payment_ids: tuple[int, ...]  # the payments posted against it, oldest first


@dataclass(slots=True)
class _Sums:
    """What the payments posted against one item add up to, in stored units."""

    cleared: int = 0
    excess: int = 0
    ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Handled:
    """Who handled a payment by hand, and where a hand posting went."""

    slack_user_id: str | None
    name: str
    account: str | None  # the GL account of a payment posted by hand


class IncomingRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    # --- customer items -----------------------------------------------------------------------

    def items_by_invoice(self, company_id: int) -> dict[str, dict[str, Any]]:
        """invoice_no -> the columns an import compares."""
        query = select(
            _ITEMS.c.invoice_no,
            _ITEMS.c.customer_name,
            _ITEMS.c.customer_org_no,
            _ITEMS.c.amount,
            _ITEMS.c.currency,
            _ITEMS.c.invoice_date,
            _ITEMS.c.due_date,
            _ITEMS.c.kid,
        ).where(_ITEMS.c.company_id == company_id)
        return {row.invoice_no: row._asdict() for row in self._session.execute(query)}

    def add_items(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            insert_rows(self._session, _ITEMS, list(rows[0]), rows)

    def items_with_kids(
        self, company_id: int, kids: Iterable[str]
    ) -> dict[str, list[tuple[int, CustomerItem]]]:
        """kid -> the company's items with that KID (open or not), with their ids."""
        found: dict[str, list[tuple[int, CustomerItem]]] = {}
        postgresql = self._session.get_bind().dialect.name == "postgresql"
        query = _ITEMS_BY_KID_POSTGRESQL if postgresql else _ITEMS_BY_KID
        for chunk in chunks(sorted(set(kids))):  # type: ignore[arg-type]
            params = {"company": company_id, "kids": list(chunk)}
            rows = self._session.execute(query, params).all()
            for item_id, kid, no, name, org_no, amount, currency, due, left in rows:
                unit = _unit(currency)
                item = CustomerItem(
                    invoice_no=no,
                    customer_name=name,
                    customer_org_no=org_no,
                    amount=_from_units(amount, unit),
                    currency=currency,
                    due_date=due,
                    kid=kid,
                    open_amount=_from_units(left, unit),
                )
                found.setdefault(kid, []).append((item_id, item))
        return found

    def item_by_invoice(self, company_id: int, invoice_no: str) -> tuple[int, CustomerItem] | None:
        query = _ITEM_COLUMNS.where(
            _ITEMS.c.company_id == company_id, _ITEMS.c.invoice_no == invoice_no
        ).with_for_update()
        row = self._session.execute(query).first()
        return None if row is None else (row.id, _item(row))

    def set_open_amounts(self, changes: Mapping[int, Decimal]) -> None:
        """Each item's new open amount; one with nothing left open is closed."""
        rows = [
            (amount, OPEN if amount > 0 else CLOSED, item_id) for item_id, amount in changes.items()
        ]
        self._session.flush()  # as the session's own statements see what it holds
        if self._session.get_bind().dialect.name != "postgresql":
            execute_tuples(self._session, _SET_OPEN, ("open", "status", "item_id"), rows)
            return
        # PostgreSQL: a statement per chunk, its rows as three arrays, not a statement per row.
        dialect = self._session.get_bind().dialect
        bind = _ITEMS.c.open_amount.type.bind_processor(dialect)
        assert bind is not None
        for chunk in chunks(rows):  # type: ignore[arg-type]
            opens, statuses, ids = zip(*chunk, strict=True)
            params = {
                "opens": [bind(v) for v in opens],
                "statuses": list(statuses),
                "ids": list(ids),
            }
            self._session.execute(_SET_OPEN_POSTGRESQL, params)

    def item_standings(self, company_id: int) -> list[ItemStanding]:
        """The company's customer invoices, each with the payments posted against it (see
        `ItemStanding`), by id. Two statements whatever the number of invoices: the company's
        payments posted against any invoice, then its invoices, joined here."""
        params = {"company": company_id}
        paid: dict[int, _Sums] = {}
        for chunk in self._session.execute(_POSTED_TO_ITEMS, params).partitions(_READ_ROWS):
            for payment_id, item_id, cleared, excess in chunk:
                sums = paid.get(item_id)
                if sums is None:
                    sums = paid[item_id] = _Sums()
                sums.cleared += cleared
                sums.excess += excess
                sums.ids.append(payment_id)
        found: list[ItemStanding] = []
        nothing = _Sums()
        for chunk in self._session.execute(_ITEMS_OF_COMPANY, params).partitions(_READ_ROWS):
            found += [_standing(row, paid.get(row[0], nothing)) for row in chunk]
        return found

    def add_to_open_amount(self, item_id: int, amount: Decimal) -> None:
        """Opens an item again by `amount` (a reversed payment's)."""
        current = self._session.execute(
            select(_ITEMS.c.open_amount).where(_ITEMS.c.id == item_id).with_for_update()
        ).scalar_one()
        self.set_open_amounts({item_id: current + amount})

    # --- files --------------------------------------------------------------------------------

    def claim_file(
        self, company_id: int, *, sha256: str, name: str, kind: str, now: datetime
    ) -> int | None:
        """Records the file as taken; None if it was (or is being) taken already. The unique
        hash makes a second taker of the same file wait here for the first, then back off."""
        values = {
            "company_id": company_id,
            "sha256": sha256,
            "name": name[:300],
            "kind": kind,
            "received_at": now,
        }
        dialect = self._session.get_bind().dialect.name
        insert_into = postgresql_insert if dialect == "postgresql" else sqlite_insert
        statement = insert_into(_FILES).values(values).on_conflict_do_nothing()
        return self._session.execute(statement.returning(_FILES.c.id)).scalar()

    def set_file_summary(self, file_id: int, summary: dict[str, Any]) -> None:
        self._session.execute(update(_FILES).where(_FILES.c.id == file_id).values(summary=summary))

    # --- payments -----------------------------------------------------------------------------

    def known_keys(self, company_id: int, account: str, keys: Sequence[str]) -> set[str]:
        """Which of these payment keys the account has had before."""
        postgresql = self._session.get_bind().dialect.name == "postgresql"
        found: set[str] = set()
        for chunk in chunks(list(keys)):  # type: ignore[arg-type]
            params = {"company": company_id, "account": account, "keys": list(chunk)}
            if postgresql:
                found.update(self._unprepared(_KNOWN_KEYS_POSTGRESQL, params))
            else:
                found.update(self._session.execute(_KNOWN_KEYS, params).scalars())
        return found

    def _unprepared(self, query: Select[Any], params: dict[str, Any]) -> list[Any]:
        """The first column of `query`'s rows, run by psycopg without preparing it: planned
        for these values each time, never a generic plan (see _KNOWN_KEYS_POSTGRESQL)."""
        self._session.flush()  # as the session's own statements see what it holds
        connection = self._session.connection()
        sql = str(query.compile(dialect=connection.dialect))
        with connection.connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
            cursor.execute(sql, params, prepare=False)
            return [row[0] for row in cursor]

    def add_payments(self, rows: Sequence[Sequence[Any]]) -> None:
        """Inserts payments (each the values of PAYMENT_KEYS, in that order)."""
        insert_tuples(self._session, _PAYMENTS, PAYMENT_KEYS, rows)

    def add_payment(self, row: Mapping[str, Any]) -> int:
        return int(
            self._session.execute(insert(_PAYMENTS).returning(_PAYMENTS.c.id), row).scalar_one()
        )

    def get(self, payment_id: int, *, lock: bool = False) -> IncomingRecord | None:
        query = _RECORDS.where(_PAYMENTS.c.id == payment_id)
        if lock:
            query = query.with_for_update(of=_PAYMENTS, key_share=True)
        row = self._session.execute(query).first()
        return None if row is None else _record(row)

    def reversible(
        self, company_id: int, account: str, kid: str | None, amount: Decimal
    ) -> list[IncomingRecord]:
        """The account's payments of `amount` with this KID (or none) that no reversal took
        back yet: what a reversal of `amount` may take back."""
        query = _RECORDS.where(
            _PAYMENTS.c.company_id == company_id,
            _PAYMENTS.c.account == account,
            _PAYMENTS.c.kid.is_(None) if kid is None else _PAYMENTS.c.kid == kid,
            _PAYMENTS.c.amount == amount,
            _PAYMENTS.c.reversal.is_(False),
            _PAYMENTS.c.paired_with_id.is_(None),
        ).with_for_update(of=_PAYMENTS, key_share=True)
        return [_record(row) for row in self._session.execute(query)]

    def compare_and_set(self, payment_id: int, version: int, values: Mapping[str, Any]) -> bool:
        """Writes `values` only if nobody changed the payment since `version`; bumps it."""
        statement = (
            update(_PAYMENTS)
            .where(_PAYMENTS.c.id == payment_id, _PAYMENTS.c.version == version)
            .values(**values, version=_PAYMENTS.c.version + 1)
        )
        result = self._session.execute(statement)
        return int(result.rowcount) == 1  # type: ignore[attr-defined]

    def listed(
        self, company_id: int, statuses: Iterable[str] | None = None
    ) -> list[IncomingRecord]:
        query = _RECORDS.where(_PAYMENTS.c.company_id == company_id)
        if statuses is not None:
            query = query.where(_PAYMENTS.c.status.in_(list(statuses)))
        query = query.order_by(_PAYMENTS.c.payment_date, _PAYMENTS.c.id)
        return [_record(row) for row in self._session.execute(query)]

    def arrived(self, company_id: int, since: datetime, until: datetime) -> list[IncomingRecord]:
        """The company's payments that came in files taken from `since` until before `until`."""
        query = _RECORDS.where(
            _PAYMENTS.c.company_id == company_id,
            _PAYMENTS.c.created_at >= since,
            _PAYMENTS.c.created_at < until,
        ).order_by(_PAYMENTS.c.payment_date, _PAYMENTS.c.id)
        return [_record(row) for row in self._session.execute(query)]

    def of_ids(self, company_id: int, payment_ids: Iterable[int]) -> list[IncomingRecord]:
        found: list[IncomingRecord] = []
        for chunk in id_chunks(sorted(set(payment_ids))):
            query = _RECORDS.where(_PAYMENTS.c.company_id == company_id, _PAYMENTS.c.id.in_(chunk))
            found += [_record(row) for row in self._session.execute(query)]
        return found

    def handled(self, payment_ids: Iterable[int]) -> dict[int, Handled]:
        """Who handled each payment by hand (their Slack id and name), and for one posted by
        hand the GL account it went to (its voucher's second line)."""
        query = (
            select(_PAYMENTS.c.id, User.slack_user_id, User.name, _LINES.c.account)
            .join(User, User.id == _PAYMENTS.c.handled_by_id)
            .outerjoin(
                _LINES,
                and_(_LINES.c.voucher_id == _PAYMENTS.c.voucher_id, _LINES.c.position == 2),
            )
        )
        found: dict[int, Handled] = {}
        for chunk in id_chunks(sorted(set(payment_ids))):
            for pid, slack_user_id, name, account in self._session.execute(
                query.where(_PAYMENTS.c.id.in_(chunk))
            ):
                found[pid] = Handled(slack_user_id or None, name, account)
        return found

    # --- vouchers -----------------------------------------------------------------------------

    def add_vouchers(
        self,
        company_id: int,
        vouchers: Sequence[NewVoucher],
        *,
        posted_by_id: int | None,
        posted_by: str,
        now: datetime,
    ) -> list[int]:
        """Writes numbered vouchers and their lines; their ids, in order."""
        values = [
            (
                voucher.ref.year,
                voucher.ref.number,
                voucher.day,
                voucher.text,
                [_line_values(line) for line in voucher.lines],
            )
            for voucher in vouchers
        ]
        return self.add_voucher_values(
            company_id, values, posted_by_id=posted_by_id, posted_by=posted_by, now=now
        )

    def add_voucher_values(
        self,
        company_id: int,
        vouchers: Sequence[VoucherValues],
        *,
        posted_by_id: int | None,
        posted_by: str,
        now: datetime,
    ) -> list[int]:
        """`add_vouchers` of vouchers given as values (a file's thousands, without an object
        for each voucher and line); their ids, in order."""
        who = posted_by[:200]
        rows = [
            (company_id, year, number, day, text, now, posted_by_id, who)
            for year, number, day, text, _ in vouchers
        ]
        insert_tuples(self._session, _VOUCHERS, _VOUCHER_KEYS, rows)
        ids = self._voucher_ids(company_id, [(year, number) for year, number, *_ in vouchers])
        lines = [
            (
                voucher_id,
                position,
                account,
                debit,
                credit,
                currency,
                in_currency,
                text[:200],
                *_party_values(party),
                None,
                None,
            )
            for voucher_id, voucher in zip(ids, vouchers, strict=True)
            for position, (account, debit, credit, currency, in_currency, text, party) in enumerate(
                voucher[4], start=1
            )
        ]
        insert_tuples(self._session, _LINES, LINE_KEYS, lines)
        return ids

    def _voucher_ids(self, company_id: int, refs: Sequence[tuple[int, int]]) -> list[int]:
        """The ids of the company's vouchers with these (year, number)s (read back by number, a
        range per year: cheaper than an INSERT ... RETURNING of many rows)."""
        found: dict[tuple[int, int], int] = {}
        for year in sorted({year for year, _ in refs}):
            numbers = [number for y, number in refs if y == year]
            query = select(_VOUCHERS.c.id, _VOUCHERS.c.number).where(
                _VOUCHERS.c.company_id == company_id,
                _VOUCHERS.c.year == year,
                _VOUCHERS.c.number.between(min(numbers), max(numbers)),
            )
            found.update({(year, n): vid for vid, n in self._session.execute(query)})
        return [found[ref] for ref in refs]

    def voucher_lines(self, voucher_id: int) -> tuple[VoucherLine, ...]:
        query = select(_LINES).where(_LINES.c.voucher_id == voucher_id).order_by(_LINES.c.position)
        return tuple(_line(row) for row in self._session.execute(query))

    def voucher_refs(self, voucher_ids: Iterable[int]) -> dict[int, VoucherRef]:
        found: dict[int, VoucherRef] = {}
        query = select(_VOUCHERS.c.id, _VOUCHERS.c.year, _VOUCHERS.c.number)
        for chunk in id_chunks(sorted(set(voucher_ids))):
            rows = self._session.execute(query.where(_VOUCHERS.c.id.in_(chunk)))
            found.update({vid: VoucherRef(year, number) for vid, year, number in rows})
        return found


def _item(row: Any) -> CustomerItem:
    return CustomerItem(
        invoice_no=row.invoice_no,
        customer_name=row.customer_name,
        customer_org_no=row.customer_org_no,
        amount=_money(row.amount, row.currency),
        currency=row.currency,
        due_date=row.due_date,
        kid=row.kid,
        open_amount=_money(row.open_amount, row.currency),
    )


def _standing(row: Any, sums: _Sums) -> ItemStanding:
    """An _ITEMS_OF_COMPANY row and what its payments add up to (amounts in stored units)."""
    item_id, invoice_no, name, org_no, kid, invoiced, due, currency, amount, left = row
    unit = _unit(currency)
    zero = _zero(currency)
    return ItemStanding(
        item_id,
        invoice_no,
        name,
        org_no,
        kid,
        invoiced,
        due,
        currency,
        _from_units(amount, unit),
        _from_units(left, unit) if left else zero,
        _from_units(sums.cleared, unit) if sums.cleared else zero,
        _from_units(sums.excess, unit) if sums.excess else zero,
        tuple(sums.ids),
    )


def _record(row: Any) -> IncomingRecord:
    payment = IncomingPayment(
        key=row.key,
        amount=_money(row.amount, row.currency),
        currency=row.currency,
        kid=row.kid,
        account=row.account,
        payment_date=row.payment_date,
        reversal=row.reversal,
        source=row.file_name,
        line=row.line,
        bank_reference=row.bank_reference,
        payer_name=row.payer_name,
        payer_account=row.payer_account,
        message=row.message,
        bank_code=row.bank_code,
    )
    voucher = (
        None if row.voucher_number is None else VoucherRef(row.voucher_year, row.voucher_number)
    )
    return IncomingRecord(
        id=row.id,
        company_id=row.company_id,
        status=row.status,
        version=row.version,
        payment=payment,
        reason=row.reason,
        detail=row.detail,
        customer_item_id=row.customer_item_id,
        invoice_no=row.invoice_no,
        cleared=_money(row.cleared, row.currency),
        excess=_money(row.excess, row.currency),
        rounding=_money(row.rounding, row.currency),
        voucher_id=row.voucher_id,
        voucher=voucher,
        paired_with_id=row.paired_with_id,
        delete_reason=row.delete_reason,
        file_name=row.file_name,
        handled_by_id=row.handled_by_id,
    )


def _money(amount: Decimal, currency: str) -> Decimal:
    """Stored to four decimals: read back to the currency's own."""
    return amount.quantize(_unit(currency))


def _from_units(units: int, unit: Decimal) -> Decimal:
    """Stored units as types.Money reads them back (from_storage_units), quantized to `unit`
    as `_money` does: the same Decimal, in one step."""
    return Decimal(units).scaleb(-STORAGE_SCALE).quantize(unit)


@functools.cache
def _unit(currency: str) -> Decimal:
    return Decimal(1).scaleb(-currency_exponent(currency))


@functools.cache
def _zero(currency: str) -> Decimal:
    """Nothing, in the currency's decimals (most sums of an unpaid invoice's payments)."""
    return _from_units(0, _unit(currency))


def _line_values(line: VoucherLine) -> LineValues:
    return (
        line.account,
        line.debit,
        line.credit,
        line.currency,
        line.amount_currency,
        line.text,
        line.party,
    )


def _party_values(party: Party | None) -> tuple[str | None, str | None, str | None, str | None]:
    """A line's party_kind, party_name, party_org_no and party_key."""
    if party is None:
        return (None, None, None, None)
    return (party.kind, party.name, party.org_no, party.key)


def _line(row: Any) -> VoucherLine:
    party = None
    if row.party_kind is not None:
        party = Party(row.party_kind, row.party_name, row.party_org_no, row.party_key)
    return VoucherLine(
        account=row.account,
        debit=row.debit.quantize(CENT),
        credit=row.credit.quantize(CENT),
        currency=row.currency,
        amount_currency=_money(row.amount_currency, row.currency),
        text=row.text,
        party=party,
    )


_ITEM_COLUMNS = select(
    _ITEMS.c.id,
    _ITEMS.c.invoice_no,
    _ITEMS.c.customer_name,
    _ITEMS.c.customer_org_no,
    _ITEMS.c.amount,
    _ITEMS.c.currency,
    _ITEMS.c.due_date,
    _ITEMS.c.kid,
    _ITEMS.c.open_amount,
)
# The items of a chunk of payments, with their amounts as stored (integer units): each Decimal
# is made in one step (`_from_units`), for 100,000 items of a file.
_ITEMS_OF_KIDS = select(
    _ITEMS.c.id,
    _ITEMS.c.kid,
    _ITEMS.c.invoice_no,
    _ITEMS.c.customer_name,
    _ITEMS.c.customer_org_no,
    type_coerce(_ITEMS.c.amount, BigInteger),
    _ITEMS.c.currency,
    _ITEMS.c.due_date,
    type_coerce(_ITEMS.c.open_amount, BigInteger),
).order_by(_ITEMS.c.id)
_ITEMS_BY_KID = _ITEMS_OF_KIDS.where(
    _ITEMS.c.company_id == bindparam("company"),
    _ITEMS.c.kid.in_(bindparam("kids", expanding=True)),
)
# PostgreSQL: the KIDs as one array (`kid = ANY(...)`), not a parameter each to parse and plan.
_ITEMS_BY_KID_POSTGRESQL = _ITEMS_OF_KIDS.where(
    _ITEMS.c.company_id == bindparam("company"),
    _ITEMS.c.kid == func.any(bindparam("kids", type_=ARRAY(String))),
)
# A company's customer items and the payments posted against them (`item_standings`), amounts
# as stored (integer units): a payment's are added up as integers, each sum made a Decimal once.
_READ_ROWS = 5000  # rows fetched at a time (one fetchmany, not a fetch per row)
_ITEMS_OF_COMPANY = (
    select(
        _ITEMS.c.id,
        _ITEMS.c.invoice_no,
        _ITEMS.c.customer_name,
        _ITEMS.c.customer_org_no,
        _ITEMS.c.kid,
        _ITEMS.c.invoice_date,
        _ITEMS.c.due_date,
        _ITEMS.c.currency,
        type_coerce(_ITEMS.c.amount, BigInteger),
        type_coerce(_ITEMS.c.open_amount, BigInteger),
    )
    .where(_ITEMS.c.company_id == bindparam("company"))
    .order_by(_ITEMS.c.id)
)
# Posted against an invoice and standing: a reversed payment (and the reversal that took it
# back) and a hand match undone (unmatched again, its item cleared) are not.
_POSTED_AGAINST_ITEMS = [status.value for status in MatchStatus if status.posted]
_POSTED_TO_ITEMS = (
    select(
        _PAYMENTS.c.id,
        _PAYMENTS.c.customer_item_id,
        type_coerce(_PAYMENTS.c.cleared, BigInteger),
        type_coerce(_PAYMENTS.c.excess, BigInteger),
    )
    .where(
        _PAYMENTS.c.company_id == bindparam("company"),
        _PAYMENTS.c.status.in_(_POSTED_AGAINST_ITEMS),
        _PAYMENTS.c.customer_item_id.is_not(None),
    )
    .order_by(_PAYMENTS.c.id)
)
_SET_OPEN = (
    update(_ITEMS)
    .where(_ITEMS.c.id == bindparam("item_id"))
    .values(open_amount=bindparam("open"), status=bindparam("status"))
)
_CHANGED = (
    func.unnest(
        bindparam("opens", type_=ARRAY(BigInteger)),
        bindparam("statuses", type_=ARRAY(String)),
        bindparam("ids", type_=ARRAY(Integer)),
    )
    .table_valued("open", "status", "id")
    .render_derived(name="changed")
)
_SET_OPEN_POSTGRESQL = (
    update(_ITEMS)
    .where(_ITEMS.c.id == _CHANGED.c.id)
    .values(open_amount=_CHANGED.c.open, status=_CHANGED.c.status)
)
_KNOWN_KEYS = select(_PAYMENTS.c.key).where(
    _PAYMENTS.c.company_id == bindparam("company"),
    _PAYMENTS.c.account == bindparam("account"),
    _PAYMENTS.c.key.in_(bindparam("keys", expanding=True)),
)
# PostgreSQL: one array of keys, `key = ANY(...)`. Run as a prepared statement, an IN list of
# parameters gets a generic plan that compares every row of the account with each key of the
# list in turn, and with no statistics on the table (a first file, or the payments this
# transaction wrote) the planner reads the account's rows by the (company, account, kid) index
# rather than probe the unique key: minutes for a file of 100,000 payments. With the keys as a
# constant the comparison is a hash lookup whichever index it takes.
_KNOWN_KEYS_POSTGRESQL = select(_PAYMENTS.c.key).where(
    _PAYMENTS.c.company_id == bindparam("company"),
    _PAYMENTS.c.account == bindparam("account"),
    _PAYMENTS.c.key == func.any(bindparam("keys", type_=ARRAY(String))),
)
_RECORDS = (
    select(
        _PAYMENTS,
        _ITEMS.c.invoice_no,
        _FILES.c.name.label("file_name"),
        _VOUCHERS.c.year.label("voucher_year"),
        _VOUCHERS.c.number.label("voucher_number"),
    )
    .join(_FILES, _FILES.c.id == _PAYMENTS.c.file_id)
    .outerjoin(_ITEMS, _ITEMS.c.id == _PAYMENTS.c.customer_item_id)
    .outerjoin(_VOUCHERS, _VOUCHERS.c.id == _PAYMENTS.c.voucher_id)
)
