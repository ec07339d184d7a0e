"""Repositories: SQL in, domain objects out. Services never see a SQLAlchemy row."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import time
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from paybot.core.audit_chain import GENESIS, HASHED_FIELDS, event_hash, plain
from paybot.core.company import (
    BankAccount,
    CompanyInfo,
    DispatchTiming,
    Language,
    PostingMode,
)
from paybot.core.flags import PaymentFacts, SupplierFacts
from paybot.core.identifiers import compact_account
from paybot.core.payments import Flag, PaymentView, Reason, ReferenceType
from paybot.core.search_query import SearchQuery
from paybot.core.states import PaymentStatus
from paybot.store.models import (
    AuditEvent,
    Company,
    CompanyBankAccount,
    OpenItem,
    Payment,
    Supplier,
    User,
    UserRole,
)

# Core tables for bulk statements: the ORM's bulk paths cost several times more per row.
_PAYMENTS = cast(Table, Payment.__table__)
_OPEN_ITEMS = cast(Table, OpenItem.__table__)
_AUDIT_EVENTS = cast(Table, AuditEvent.__table__)

# Key of the PostgreSQL advisory lock that serializes appends to the audit chain.
AUDIT_CHAIN_LOCK = 0x70617962  # 'payb'

# Executemany in chunks keeps memory flat and stays under drivers' parameter limits.
CHUNK = 2000


def _chunks(rows: Sequence[dict[str, Any]]) -> Iterable[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


class CompanyRepository:
    """Companies; each is read once per unit of work (a use case asks for it several times)."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._read: dict[str, CompanyInfo] = {}

    def add(self, values: Mapping[str, Any], account: Mapping[str, Any]) -> int:
        self._read.clear()
        company = Company(**values)
        self._session.add(company)
        self._session.flush()
        self._session.add(CompanyBankAccount(company_id=company.id, **account))
        self._session.flush()
        return company.id

    def update(self, company_id: int, values: Mapping[str, Any]) -> None:
        self._read.clear()
        self._session.execute(update(Company).where(Company.id == company_id).values(**values))

    def exists(self, org_no: str) -> bool:
        query = select(Company.id).where(Company.org_no == org_no)
        return self._session.scalar(query) is not None

    def get(self, org_no: str) -> CompanyInfo | None:
        found = self.many(org_nos=[org_no])
        return found[0] if found else None

    def get_by_id(self, company_id: int) -> CompanyInfo:
        found = self.many(ids=[company_id])
        if not found:
            raise LookupError(f"no company with id {company_id}")
        return found[0]

    def all(self) -> list[CompanyInfo]:
        return self.many()

    def many(
        self, *, ids: Iterable[int] | None = None, org_nos: Iterable[str] | None = None
    ) -> list[CompanyInfo]:
        """The companies with these ids or organisation numbers (all if neither), by name; two
        statements however many, none for those read before in this unit of work."""
        wanted_ids = None if ids is None else set(ids)
        wanted_org_nos = None if org_nos is None else set(org_nos)
        by_id = {c.id: c for c in self._read.values()}
        if wanted_org_nos is not None and wanted_org_nos <= self._read.keys():
            return sorted((self._read[o] for o in wanted_org_nos), key=_by_name)
        if wanted_ids is not None and wanted_ids <= by_id.keys():
            return sorted((by_id[i] for i in wanted_ids), key=_by_name)
        if wanted_ids is not None:
            rows = self._session.execute(_COMPANIES_BY_ID, {"ids": list(wanted_ids)})
        elif wanted_org_nos is not None:
            rows = self._session.execute(_COMPANIES_BY_ORG_NO, {"org_nos": list(wanted_org_nos)})
        else:
            rows = self._session.execute(_ALL_COMPANIES)
        companies: dict[int, Company] = {}
        accounts: dict[int, list[BankAccount]] = {}
        for company, account in rows:  # a row per account, in order
            companies.setdefault(company.id, company)
            listed = accounts.setdefault(company.id, [])
            if account is not None:
                listed.append(_bank_account(account))
        found = [_company(row, tuple(accounts[key])) for key, row in companies.items()]
        self._read.update((c.org_no, c) for c in found)
        return found


def _by_name(company: CompanyInfo) -> tuple[str, int]:
    return company.name, company.id


def _company(row: Company, accounts: tuple[BankAccount, ...]) -> CompanyInfo:
    return CompanyInfo(
        id=row.id,
        org_no=row.org_no,
        name=row.name,
        currency=row.currency,
        dispatch_timing=DispatchTiming(row.dispatch_timing),
        approval_required=row.approval_required,
        dual_control_threshold=row.dual_control_threshold,
        posting_mode=PostingMode(row.posting_mode),
        language=Language(row.language),
        proposals_channel=row.proposals_channel,
        alerts_channel=row.alerts_channel,
        post_at=time.fromisoformat(row.post_at),
        accounts=accounts,
    )


def _bank_account(row: CompanyBankAccount) -> BankAccount:
    return BankAccount(
        account=row.account,
        scheme=row.scheme,
        bank=row.bank,
        bic=row.bic,
        incoming=row.incoming,
        outgoing=row.outgoing,
        gl_account=row.gl_account,
        tax_withholding=row.tax_withholding,
    )


class UserRepository:
    """Users and their roles; a user found by Slack id comes with their roles, kept for the
    rest of the unit of work (almost every use case asks for them next)."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._roles: dict[int, dict[int, set[str]]] = {}  # user id -> company id -> roles

    def find(self, slack_user_id: str, slack_team_id: str | None = None) -> list[tuple[int, str]]:
        """(id, name) of users with this Slack user id (in this team, when given). A user added
        without a team (a one-workspace install, from the CLI) is found from any team."""
        if slack_team_id:
            rows = self._session.execute(
                _USER_IN_TEAM, {"slack_user_id": slack_user_id, "slack_team_id": slack_team_id}
            )
        else:
            rows = self._session.execute(_USER, {"slack_user_id": slack_user_id})
        names: dict[int, str] = {}
        for row in rows:
            names[row.id] = row.name
            roles = self._roles.setdefault(row.id, {})
            if row.role is not None:
                roles.setdefault(row.company_id, set()).add(row.role)
        return list(names.items())

    def upsert(self, slack_team_id: str, slack_user_id: str, name: str) -> int:
        user = self._session.scalar(
            select(User).where(
                User.slack_team_id == slack_team_id, User.slack_user_id == slack_user_id
            )
        )
        if user is None:
            user = User(slack_team_id=slack_team_id, slack_user_id=slack_user_id, name=name)
            self._session.add(user)
        else:
            user.name = name
        self._session.flush()
        return user.id

    def rename(self, user_id: int, name: str) -> None:
        self._session.execute(update(User).where(User.id == user_id).values(name=name))

    def roles(self, user_id: int, company_id: int) -> set[str]:
        return set(self.roles_by_company(user_id).get(company_id, ()))

    def roles_by_company(self, user_id: int) -> dict[int, set[str]]:
        """Company id -> the user's roles there, for every company where they have one."""
        if user_id not in self._roles:
            found: dict[int, set[str]] = {}
            for company_id, role in self._session.execute(_ROLES, {"user_id": user_id}):
                found.setdefault(company_id, set()).add(role)
            self._roles[user_id] = found
        return {company: set(roles) for company, roles in self._roles[user_id].items()}

    def set_roles(self, user_id: int, company_id: int, roles: Iterable[str]) -> set[str]:
        """Gives the user exactly these roles; returns the roles taken away."""
        wanted = set(roles)
        removed = self.roles(user_id, company_id) - wanted
        if removed:
            self._session.execute(
                delete(UserRole).where(
                    UserRole.user_id == user_id,
                    UserRole.company_id == company_id,
                    UserRole.role.in_(removed),
                )
            )
            self._roles.pop(user_id, None)
        self.add_roles(user_id, company_id, wanted)
        return removed

    def members(self, company_id: int) -> list[tuple[int, str, str, str]]:
        """(user id, team, Slack user id, name) of everyone with a role in the company."""
        query = (
            select(User.id, User.slack_team_id, User.slack_user_id, User.name)
            .where(User.id.in_(select(UserRole.user_id).where(UserRole.company_id == company_id)))
            .order_by(User.name, User.id)
        )
        return [(row[0], row[1], row[2], row[3]) for row in self._session.execute(query)]

    def add_roles(self, user_id: int, company_id: int, roles: Iterable[str]) -> set[str]:
        """Adds the roles the user lacks; returns the ones that were new."""
        new = set(roles) - self.roles(user_id, company_id)
        for role in sorted(new):
            self._session.add(UserRole(user_id=user_id, company_id=company_id, role=role))
        self._session.flush()
        self._roles.pop(user_id, None)
        return new


class LedgerRepository:
    """Suppliers and their open items."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def suppliers(self, company_id: int) -> dict[str, tuple[int, str, str | None, str | None]]:
        """match_key -> (id, name, org_no, registered_account)."""
        query = select(
            Supplier.match_key,
            Supplier.id,
            Supplier.name,
            Supplier.org_no,
            Supplier.registered_account,
        ).where(Supplier.company_id == company_id)
        return {row[0]: (row[1], row[2], row[3], row[4]) for row in self._session.execute(query)}

    def add_suppliers(self, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
        """Inserts suppliers; returns match_key -> new id."""
        ids: dict[str, int] = {}
        for chunk in _chunks(rows):
            result = self._session.execute(
                insert(Supplier).returning(
                    Supplier.match_key, Supplier.id, sort_by_parameter_order=True
                ),
                list(chunk),
            )
            ids.update({key: supplier_id for key, supplier_id in result})
        return ids

    def update_supplier(self, supplier_id: int, values: Mapping[str, Any]) -> None:
        self._session.execute(update(Supplier).where(Supplier.id == supplier_id).values(**values))

    def items_by_voucher(self, company_id: int) -> dict[str, dict[str, Any]]:
        columns = (
            OpenItem.voucher_no,
            OpenItem.invoice_no,
            OpenItem.supplier_id,
            OpenItem.account,
            OpenItem.amount,
            OpenItem.currency,
            OpenItem.invoice_date,
            OpenItem.due_date,
            OpenItem.reference_type,
            OpenItem.reference,
        )
        query = select(*columns).where(OpenItem.company_id == company_id)
        return {row.voucher_no: row._asdict() for row in self._session.execute(query)}

    def add_items(self, rows: Sequence[dict[str, Any]]) -> None:
        for chunk in _chunks(rows):
            self._session.execute(insert(_OPEN_ITEMS), list(chunk))

    def items_without_payment(self, company_id: int) -> list[dict[str, Any]]:
        """Open items not yet in the bank module, as the values of a new payment."""
        query = (
            select(
                OpenItem.id.label("open_item_id"),
                OpenItem.supplier_id,
                Supplier.name.label("payee"),
                OpenItem.account,
                OpenItem.amount,
                OpenItem.currency,
                OpenItem.due_date,
                OpenItem.reference_type,
                OpenItem.reference,
                OpenItem.invoice_no,
            )
            .join(Supplier, Supplier.id == OpenItem.supplier_id)
            .outerjoin(Payment, Payment.open_item_id == OpenItem.id)
            .where(OpenItem.company_id == company_id, OpenItem.is_open, Payment.id.is_(None))
            .order_by(OpenItem.id)
        )
        return [row._asdict() for row in self._session.execute(query)]

    def open_credit_items(self, supplier_id: int) -> list[dict[str, Any]]:
        """The supplier's open credit notes and earlier payments (negative open items)."""
        query = (
            select(
                OpenItem.voucher_no,
                OpenItem.invoice_no,
                OpenItem.amount,
                OpenItem.currency,
                OpenItem.invoice_date,
            )
            .where(OpenItem.supplier_id == supplier_id, OpenItem.is_open, OpenItem.amount < 0)
            .order_by(OpenItem.invoice_date, OpenItem.voucher_no)
        )
        return [row._asdict() for row in self._session.execute(query)]

    def supplier_facts(
        self, company_id: int, supplier_ids: Iterable[int] | None = None
    ) -> dict[int, SupplierFacts]:
        """Registered account, last paid-to account and open credit items per supplier."""
        only = None if supplier_ids is None else set(supplier_ids)
        facts: dict[int, dict[str, Any]] = {}
        query = select(Supplier.id, Supplier.registered_account).where(
            Supplier.company_id == company_id
        )
        if only is not None:
            query = query.where(Supplier.id.in_(only))
        for supplier_id, registered in self._session.execute(query):
            facts[supplier_id] = {"registered_account": registered, "open_credit_keys": set()}
        credits = select(OpenItem.supplier_id, OpenItem.id).where(
            OpenItem.company_id == company_id, OpenItem.is_open, OpenItem.amount < 0
        )
        if only is not None:
            credits = credits.where(OpenItem.supplier_id.in_(only))
        for supplier_id, item_id in self._session.execute(credits):
            if supplier_id in facts:
                facts[supplier_id]["open_credit_keys"].add(item_id)
        paid = (
            select(Payment.supplier_id, Payment.account)
            .where(
                Payment.company_id == company_id,
                Payment.status.in_([PaymentStatus.PAID.value, PaymentStatus.POSTED.value]),
            )
            .order_by(Payment.paid_at, Payment.id)
        )
        if only is not None:
            paid = paid.where(Payment.supplier_id.in_(only))
        for supplier_id, account in self._session.execute(paid):
            if supplier_id in facts:
                facts[supplier_id]["last_paid_account"] = account  # the latest wins
        return {
            supplier_id: SupplierFacts(
                registered_account=values["registered_account"],
                last_paid_account=values.get("last_paid_account"),
                open_credit_keys=frozenset(values["open_credit_keys"]),
            )
            for supplier_id, values in facts.items()
        }

    def known_accounts(self, company_id: int, supplier_id: int) -> tuple[str | None, str | None]:
        """The supplier's registered account and the account it was last paid to, in one read."""
        row = self._session.execute(
            _KNOWN_ACCOUNTS, {"company_id": company_id, "supplier_id": supplier_id}
        ).first()
        return (None, None) if row is None else (row[0], row[1])


_STATUS_BY_VALUE = {status.value: status for status in PaymentStatus}
_REFERENCE_TYPE_BY_VALUE = {kind.value: kind for kind in ReferenceType}

# Columns, not the mapped Payment: a view is read-only, and plain rows cost a fraction of
# ORM instances to load (every Slack click reads a few).
_VIEW_COLUMNS = (
    Payment.id,
    Payment.status,
    Payment.flag,
    Payment.reasons,
    Payment.payee,
    Payment.account,
    Payment.amount,
    Payment.currency,
    Payment.due_date,
    Payment.reference_type,
    Payment.reference,
    Payment.version,
    Payment.supplier_id,
    Payment.signature_round,
    Payment.changed_by_id,
    Payment.approved_by_id,
    Payment.batch_id,
    Payment.bank_status,
    Payment.failure_kind,
    Payment.failure_reason,
    Payment.bank_text,
    Payment.updated_at,
    Payment.editors,
    Company.org_no,
    OpenItem.voucher_no,
    OpenItem.invoice_no,
)


class PaymentRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add_many(self, company_id: int, rows: Sequence[dict[str, Any]]) -> dict[int, int]:
        """Inserts payments; returns open_item_id -> payment id of the new ones."""
        # A plain executemany: RETURNING per row would make the drivers insert one by one.
        for chunk in _chunks(rows):
            self._session.execute(insert(_PAYMENTS), list(chunk))
        new = {row["open_item_id"] for row in rows}
        query = select(Payment.open_item_id, Payment.id).where(Payment.company_id == company_id)
        return {item: payment for item, payment in self._session.execute(query) if item in new}

    def facts(
        self, company_id: int, supplier_ids: Iterable[int] | None = None
    ) -> list[tuple[int, PaymentStatus, str, list[str], PaymentFacts]]:
        """(payment id, status, flag, reasons, facts keyed by open item) for the company."""
        query = (
            select(
                Payment.id,
                Payment.status,
                Payment.flag,
                Payment.reasons,
                Payment.open_item_id,
                Payment.supplier_id,
                Payment.account,
                Payment.amount,
                Payment.currency,
                Payment.reference_type,
                Payment.reference,
                OpenItem.invoice_no,
            )
            .join(OpenItem, OpenItem.id == Payment.open_item_id)
            .where(Payment.company_id == company_id)
        )
        if supplier_ids is not None:
            query = query.where(Payment.supplier_id.in_(set(supplier_ids)))
        statuses, references = _STATUS_BY_VALUE, _REFERENCE_TYPE_BY_VALUE
        result = []
        for row in self._session.execute(query):
            status = statuses[row.status]
            facts = PaymentFacts(
                key=row.open_item_id,
                supplier_key=row.supplier_id,
                account=row.account,
                amount=row.amount,
                currency=row.currency,
                reference_type=references[row.reference_type],
                reference=row.reference,
                invoice_no=row.invoice_no,
                counts_for_duplicates=status is not PaymentStatus.DELETED,
            )
            result.append((row.id, status, row.flag, list(row.reasons), facts))
        return result

    def set_flags(self, flags: Sequence[dict[str, Any]]) -> None:
        """Bulk update of derived flags (rows: id, flag, reasons); the version is not bumped."""
        statement = (
            update(_PAYMENTS)
            .where(_PAYMENTS.c.id == bindparam("payment_id"))
            .values(flag=bindparam("new_flag"), reasons=bindparam("new_reasons"))
        )
        for chunk in _chunks(flags):
            self._session.execute(
                statement,
                [
                    {"payment_id": r["id"], "new_flag": r["flag"], "new_reasons": r["reasons"]}
                    for r in chunk
                ],
            )

    def get(self, payment_id: int, *, lock: bool = False) -> PaymentView | None:
        """One payment; `lock` holds its row until the transaction ends (PostgreSQL), so no one
        changes it meanwhile."""
        query = _LOCKED_VIEW if lock else _ONE_VIEW
        row = self._session.execute(query, {"payment_id": payment_id}).first()
        return None if row is None else self._to_view(row)

    def compare_and_set(self, payment_id: int, version: int, values: Mapping[str, Any]) -> bool:
        """Writes `values` only if nobody changed the payment since `version`; bumps the version."""
        statement = (
            update(Payment)
            .where(Payment.id == payment_id, Payment.version == version)
            .values(version=Payment.version + 1, **values)
            .execution_options(synchronize_session=False)
        )
        return self._session.execute(statement).rowcount == 1  # type: ignore[attr-defined, no-any-return]

    def list(
        self,
        *,
        company_id: int | None = None,
        statuses: Iterable[PaymentStatus] | None = None,
        query: SearchQuery | None = None,
        payment_ids: Iterable[int] | None = None,
        limit: int | None = None,
    ) -> list[PaymentView]:
        statement = self._view_query().where(*_list_conditions(company_id, None, statuses, query))
        if payment_ids is not None:
            statement = statement.where(Payment.id.in_(list(payment_ids)))
        statement = statement.order_by(Payment.due_date, Payment.id)
        if limit is not None:
            statement = statement.limit(limit)
        return [self._to_view(row) for row in self._session.execute(statement)]

    def page(
        self, *, company_ids: Sequence[int], query: SearchQuery, offset: int, limit: int
    ) -> tuple[int, Sequence[PaymentView]]:
        """How many payments match, and one page of them, by due date: one scan of the matches
        (ids and a window count; a second statement only for a page past the end), then the
        page's payments by id (a statement built once: each new query shape costs little)."""
        statement = (
            select(Payment.id, func.count().over().label("matches"))
            .join(OpenItem, OpenItem.id == Payment.open_item_id)  # the search reads its fields
            .where(*_list_conditions(None, company_ids, None, query))
            .order_by(Payment.due_date, Payment.id)
            .offset(offset)
            .limit(limit)
        )
        rows = self._session.execute(statement).all()
        if not rows:
            return (self.count(company_ids=company_ids, query=query) if offset else 0), []
        ids = [row.id for row in rows]
        found = {
            view.id: view
            for view in map(self._to_view, self._session.execute(_VIEWS_BY_ID, {"ids": ids}))
        }
        return int(rows[0].matches), [found[i] for i in ids]

    def count(self, *, company_ids: Sequence[int], query: SearchQuery | None = None) -> int:
        conditions = _list_conditions(None, company_ids, None, query)
        statement = (
            select(func.count())
            .select_from(Payment)
            .join(OpenItem, OpenItem.id == Payment.open_item_id)  # the search reads its fields
            .where(*conditions)
        )
        return int(self._session.scalar(statement) or 0)

    def counts_by_status(self, company_id: int) -> dict[PaymentStatus, int]:
        query = (
            select(Payment.status, func.count())
            .where(Payment.company_id == company_id)
            .group_by(Payment.status)
        )
        counts = dict.fromkeys(PaymentStatus, 0)
        counts.update({PaymentStatus(s): n for s, n in self._session.execute(query)})
        return counts

    def flag_counts(self, company_id: int, status: PaymentStatus) -> dict[Flag, int]:
        query = (
            select(Payment.flag, func.count())
            .where(Payment.company_id == company_id, Payment.status == status.value)
            .group_by(Payment.flag)
        )
        counts = dict.fromkeys(Flag, 0)
        counts.update({Flag(flag): count for flag, count in self._session.execute(query)})
        return counts

    @staticmethod
    def _view_query() -> Any:
        return (
            select(*_VIEW_COLUMNS)
            .join(Company, Company.id == Payment.company_id)
            .join(OpenItem, OpenItem.id == Payment.open_item_id)
        )

    @staticmethod
    def _to_view(row: Any) -> PaymentView:
        """A row of `_view_query` (further columns are ignored)."""
        return PaymentView(
            id=row.id,
            company_org_no=row.org_no,
            status=_STATUS_BY_VALUE[row.status],
            flag=Flag(row.flag),
            reasons=tuple(Reason(code) for code in row.reasons),
            payee=row.payee,
            account=row.account,
            amount=row.amount,
            currency=row.currency,
            due_date=row.due_date,
            reference_type=_REFERENCE_TYPE_BY_VALUE[row.reference_type],
            reference=row.reference,
            voucher_no=row.voucher_no,
            invoice_no=row.invoice_no,
            version=row.version,
            supplier_id=row.supplier_id,
            signature_round=row.signature_round,
            changed_by_id=row.changed_by_id,
            approved_by_id=row.approved_by_id,
            batch_id=row.batch_id,
            bank_status=row.bank_status,
            failure_kind=row.failure_kind,
            failure_reason=row.failure_reason,
            bank_text=row.bank_text,
            updated_at=row.updated_at,
            editors=tuple(row.editors or ()),
        )


# Built once: composing a statement costs more than running it (a click reads several).
_ONE_VIEW = PaymentRepository._view_query().where(Payment.id == bindparam("payment_id"))
# NO KEY UPDATE, as an UPDATE of the row takes: an audit event naming the payment (a foreign
# key check) must not wait for it, or a refusal holding the audit lock would wait in a ring.
_LOCKED_VIEW = _ONE_VIEW.with_for_update(of=Payment, key_share=True)
_VIEWS_BY_ID = PaymentRepository._view_query().where(
    Payment.id.in_(bindparam("ids", expanding=True))
)


def _list_conditions(
    company_id: int | None,
    company_ids: Sequence[int] | None,
    statuses: Iterable[PaymentStatus] | None,
    query: SearchQuery | None,
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if company_id is not None:
        conditions.append(Payment.company_id == company_id)
    if company_ids is not None:
        conditions.append(Payment.company_id.in_(list(company_ids)))
    if statuses is not None:
        conditions.append(Payment.status.in_([s.value for s in statuses]))
    if query is not None:
        conditions += _search_conditions(query)
    return conditions


def _search_conditions(query: SearchQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    for account in query.to_accounts:
        conditions.append(Payment.account == compact_account(account))
    for text in query.company_texts:
        conditions.append(func.lower(Payment.payee).contains(text.lower(), autoescape=True))
    for amounts in query.amount_ranges:
        conditions.extend(_range(Payment.amount, amounts.low, amounts.high, amounts))
    for days in query.due_ranges:
        if days.start is not None:
            conditions.append(Payment.due_date >= days.start)
        if days.end is not None:
            conditions.append(Payment.due_date <= days.end)
    if query.statuses is not None:
        conditions.append(Payment.status.in_([s.value for s in query.statuses]))
    if query.currencies is not None:
        conditions.append(Payment.currency.in_(sorted(query.currencies)))
    for word in query.words:
        needle = word.lower()
        conditions.append(
            or_(
                func.lower(Payment.payee).contains(needle, autoescape=True),
                func.lower(OpenItem.invoice_no).contains(needle, autoescape=True),
                func.lower(Payment.reference).contains(needle, autoescape=True),
            )
        )
    return conditions


def _range(column: Any, low: Decimal | None, high: Decimal | None, spec: Any) -> list[Any]:
    # Bounds bind through the column's Money type, so they compare as exact integers too.
    out = []
    if low is not None:
        out.append(column >= low if spec.low_inclusive else column > low)
    if high is not None:
        out.append(column <= high if spec.high_inclusive else column < high)
    return [and_(*out)] if out else []


class AuditRepository:
    """Append-only: events are added, read and verified; no method changes or removes one.

    Added events are appended to the chain when the unit of work commits, so the chain's lock
    is held for the insert and the commit only, not for the whole use case.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._pending: list[dict[str, Any]] = []

    def add(self, **values: Any) -> None:
        self.add_many([values])

    def add_many(self, rows: Sequence[dict[str, Any]]) -> None:
        self._pending.extend(rows)

    def flush(self) -> None:
        """Appends the added events to the chain, each holding the hash of the one before it."""
        rows, self._pending = self._pending, []
        if not rows:
            return
        previous = self._last_hash()
        chained = []
        for row in rows:
            event = {**row, **{key: plain(row.get(key)) for key in ("before", "after", "details")}}
            event["prev_hash"] = previous
            event["hash"] = previous = event_hash(previous, event)
            chained.append(event)
        for chunk in _chunks(chained):
            self._session.execute(insert(_AUDIT_EVENTS), list(chunk))

    def _last_hash(self) -> str:
        # One writer at a time appends to the chain; on SQLite the write lock already ensures it.
        if self._session.get_bind().dialect.name == "postgresql":
            self._session.execute(_LOCK_CHAIN)
        return self._session.scalar(_LAST_HASH) or GENESIS

    def for_payment(self, payment_id: int) -> list[dict[str, Any]]:
        return self._events(AuditEvent.payment_id == payment_id)

    def latest(self, limit: int, action_prefix: str | None = None) -> list[dict[str, Any]]:
        """The newest events (oldest first), optionally of actions starting with a prefix."""
        newest = select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(limit)
        if action_prefix:
            newest = newest.where(AuditEvent.action.startswith(action_prefix, autoescape=True))
        return self._events(AuditEvent.id.in_(newest.scalar_subquery()))

    def _events(self, condition: ColumnElement[bool]) -> list[dict[str, Any]]:
        query = select(AuditEvent).where(condition).order_by(AuditEvent.id)
        return [
            {
                "id": event.id,
                "at": event.at,
                "actor": event.actor_label,
                "action": event.action,
                "before": event.before,
                "after": event.after,
                "details": event.details,
                "payment_id": event.payment_id,
            }
            for event in self._session.scalars(query)
        ]

    def first_broken_link(self) -> tuple[int, str] | None:
        """(event id, what is wrong) for the first event whose hash does not hold, or None."""
        ids = list(self._session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))
        previous = GENESIS
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            rows = self._readable(chunk)
            if isinstance(rows, int):
                return rows, "its stored content cannot even be read (it was changed)"
            for event in rows:
                if event["prev_hash"] != previous:
                    return event["id"], (
                        "it does not follow the event before it (one was removed or changed)"
                    )
                if event_hash(previous, event) != event["hash"]:
                    return event["id"], "its content does not match its hash (it was changed)"
                previous = event["hash"]
        return None

    def head(self) -> str:
        """The newest event's hash: kept elsewhere, it also reveals events removed at the end."""
        query = select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
        return self._session.scalar(query) or GENESIS

    def _readable(self, ids: list[int]) -> list[dict[str, Any]] | int:
        """The events with these ids, or the id of the first one whose stored data is garbled."""
        columns = [getattr(AuditEvent, name) for name in HASHED_FIELDS]
        query = select(AuditEvent.id, AuditEvent.prev_hash, AuditEvent.hash, *columns)
        try:
            rows = self._session.execute(
                query.where(AuditEvent.id.in_(ids)).order_by(AuditEvent.id)
            )
            return [row._asdict() for row in rows]
        except (ValueError, TypeError, LookupError):
            for one in ids:
                try:
                    self._session.execute(query.where(AuditEvent.id == one)).all()
                except (ValueError, TypeError, LookupError):
                    return one
            raise

    def count(self) -> int:
        return int(self._session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


# Statements every click runs, built once: composing one costs more than running it.
_USER = (
    select(User.id, User.name, UserRole.company_id, UserRole.role)
    .outerjoin(UserRole, UserRole.user_id == User.id)
    .where(User.slack_user_id == bindparam("slack_user_id"))
)
_USER_IN_TEAM = _USER.where(
    or_(User.slack_team_id == bindparam("slack_team_id"), User.slack_team_id == "")
)
_ROLES = select(UserRole.company_id, UserRole.role).where(UserRole.user_id == bindparam("user_id"))
_LAST_PAID_ACCOUNT = (
    select(Payment.account)
    .where(
        Payment.company_id == bindparam("company_id"),
        Payment.supplier_id == bindparam("supplier_id"),
        Payment.status.in_([PaymentStatus.PAID.value, PaymentStatus.POSTED.value]),
    )
    .order_by(Payment.paid_at.desc(), Payment.id.desc())
    .limit(1)
    .scalar_subquery()
)
_KNOWN_ACCOUNTS = select(Supplier.registered_account, _LAST_PAID_ACCOUNT).where(
    Supplier.company_id == bindparam("company_id"), Supplier.id == bindparam("supplier_id")
)
_LOCK_CHAIN = select(func.pg_advisory_xact_lock(AUDIT_CHAIN_LOCK))
_LAST_HASH = select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
# A company and its bank accounts in one statement: a row per account.
_ALL_COMPANIES = (
    select(Company, CompanyBankAccount)
    .outerjoin(CompanyBankAccount, CompanyBankAccount.company_id == Company.id)
    .order_by(Company.name, Company.id, CompanyBankAccount.id)
)
_COMPANIES_BY_ID = _ALL_COMPANIES.where(Company.id.in_(bindparam("ids", expanding=True)))
_COMPANIES_BY_ORG_NO = _ALL_COMPANIES.where(
    Company.org_no.in_(bindparam("org_nos", expanding=True))
)
