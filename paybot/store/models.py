"""The ORM's classes: one mapped onto each table of tables.py (`__table__`), for the repositories
that load, add and change rows as objects. Rows become domain objects in the repositories, never
in core.

The schema is in tables.py (columns, constraints, indexes and what they mean); a class here adds
only its columns' Python types, for the type checker (tests/store/test_models.py holds them equal
to the table's columns). They are declared under `TYPE_CHECKING`: the mapping takes the columns
from the table, and the annotations would cost every command that loads the ORM their evaluation.
Reads that need no ORM use the tables themselves, without this module (see tables.py).

`__table__` is typed as DeclarativeBase types it (a FromClause): repositories that take a class's
table (`cast(Table, Payment.__table__)`) can name `tables.payments` instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import FromClause

from paybot.store import tables
from paybot.store.base import Base

if TYPE_CHECKING:
    from datetime import date, datetime
    from decimal import Decimal
    from typing import Any

    from sqlalchemy.orm import Mapped

# Indexes the migrations make that the tables do not declare (see tables.company_bank_accounts).
MIGRATION_ONLY_INDEXES = tables.MIGRATION_ONLY_INDEXES


class Company(Base):
    __table__: ClassVar[FromClause] = tables.companies

    if TYPE_CHECKING:
        id: Mapped[int]
        org_no: Mapped[str]
        name: Mapped[str]
        currency: Mapped[str]
        dispatch_timing: Mapped[str]
        approval_required: Mapped[bool]
        dual_control_threshold: Mapped[Decimal | None]
        posting_mode: Mapped[str]
        language: Mapped[str]
        proposals_channel: Mapped[str | None]
        alerts_channel: Mapped[str | None]
        post_at: Mapped[str]
        created_at: Mapped[datetime]
        rounding_tolerance: Mapped[Decimal]
        reporting_threshold: Mapped[Decimal]


class CompanyBankAccount(Base):
    __table__: ClassVar[FromClause] = tables.company_bank_accounts

    if TYPE_CHECKING:
        id: Mapped[int]
        company_id: Mapped[int]
        account: Mapped[str]
        scheme: Mapped[str]
        bank: Mapped[str | None]
        bic: Mapped[str | None]
        incoming: Mapped[bool]
        outgoing: Mapped[bool]
        gl_account: Mapped[str]
        tax_withholding: Mapped[bool]
        gateway: Mapped[str]
        file_format: Mapped[str]
        outbox: Mapped[str | None]
        inbox: Mapped[str | None]
        sftp_host: Mapped[str | None]
        sftp_port: Mapped[int | None]
        sftp_user: Mapped[str | None]
        sftp_key_path: Mapped[str | None]
        sftp_host_key: Mapped[str | None]
        sandbox: Mapped[dict[str, object] | None]
        profile: Mapped[str | None]


class Supplier(Base):
    __table__: ClassVar[FromClause] = tables.suppliers

    if TYPE_CHECKING:
        id: Mapped[int]
        company_id: Mapped[int]
        match_key: Mapped[str]
        name: Mapped[str]
        org_no: Mapped[str | None]
        registered_account: Mapped[str | None]
        street: Mapped[str | None]
        building_no: Mapped[str | None]
        post_code: Mapped[str | None]
        town: Mapped[str | None]
        country: Mapped[str | None]
        bic: Mapped[str | None]
        charge_bearer: Mapped[str | None]
        purpose_code: Mapped[str | None]
        purpose_text: Mapped[str | None]


class OpenItem(Base):
    __table__: ClassVar[FromClause] = tables.open_items

    if TYPE_CHECKING:
        id: Mapped[int]
        company_id: Mapped[int]
        supplier_id: Mapped[int]
        voucher_no: Mapped[str]
        invoice_no: Mapped[str | None]
        account: Mapped[str | None]
        amount: Mapped[Decimal]
        currency: Mapped[str]
        invoice_date: Mapped[date | None]
        due_date: Mapped[date]
        reference_type: Mapped[str]
        reference: Mapped[str | None]
        is_open: Mapped[bool]
        imported_at: Mapped[datetime]
        payee_name: Mapped[str | None]


class Batch(Base):
    __table__: ClassVar[FromClause] = tables.batches

    if TYPE_CHECKING:
        id: Mapped[int]
        company_id: Mapped[int]
        bank_account_id: Mapped[int]
        number: Mapped[int]
        status: Mapped[str]
        message_id: Mapped[str]
        file_format: Mapped[str]
        file_name: Mapped[str | None]
        file_sha256: Mapped[str | None]
        error: Mapped[str | None]
        created_at: Mapped[datetime]
        sent_at: Mapped[datetime | None]
        upload_attempts: Mapped[int]
        next_attempt_at: Mapped[datetime | None]
        upload_error: Mapped[str | None]
        uploading_since: Mapped[datetime | None]


class BatchPayment(Base):
    __table__: ClassVar[FromClause] = tables.batch_payments

    if TYPE_CHECKING:
        id: Mapped[int]
        batch_id: Mapped[int]
        payment_id: Mapped[int]
        end_to_end_id: Mapped[str]
        payment_info_id: Mapped[str]
        execution_date: Mapped[date]
        amount: Mapped[Decimal]
        currency: Mapped[str]
        status: Mapped[str]
        bank_status: Mapped[str | None]
        reason_codes: Mapped[list[str] | None]
        bank_text: Mapped[str | None]
        updated_at: Mapped[datetime]
        booked_amount: Mapped[Decimal | None]
        booked_currency: Mapped[str | None]
        uetr: Mapped[str | None]


class ReturnFile(Base):
    __table__: ClassVar[FromClause] = tables.return_files

    if TYPE_CHECKING:
        id: Mapped[int]
        sha256: Mapped[str]
        name: Mapped[str]
        kind: Mapped[str]
        received_at: Mapped[datetime]
        summary: Mapped[dict[str, object]]


class Payment(Base):
    __table__: ClassVar[FromClause] = tables.payments

    if TYPE_CHECKING:
        id: Mapped[int]
        company_id: Mapped[int]
        open_item_id: Mapped[int]
        supplier_id: Mapped[int]
        batch_id: Mapped[int | None]
        status: Mapped[str]
        flag: Mapped[str]
        reasons: Mapped[list[str]]
        payee: Mapped[str]
        account: Mapped[str | None]
        amount: Mapped[Decimal]
        currency: Mapped[str]
        due_date: Mapped[date]
        reference_type: Mapped[str]
        reference: Mapped[str | None]
        version: Mapped[int]
        created_at: Mapped[datetime]
        updated_at: Mapped[datetime]
        approved_by_id: Mapped[int | None]
        approved_at: Mapped[datetime | None]
        signed_by_id: Mapped[int | None]
        signed_at: Mapped[datetime | None]
        deleted_by_id: Mapped[int | None]
        deleted_at: Mapped[datetime | None]
        restored_by_id: Mapped[int | None]
        restored_at: Mapped[datetime | None]
        changed_by_id: Mapped[int | None]
        changed_at: Mapped[datetime | None]
        sent_at: Mapped[datetime | None]
        paid_at: Mapped[datetime | None]
        signature_round: Mapped[int]
        editors: Mapped[list[int]]
        bank_status: Mapped[str | None]
        failure_kind: Mapped[str | None]
        failure_reason: Mapped[str | None]
        bank_text: Mapped[str | None]
        street: Mapped[str | None]
        building_no: Mapped[str | None]
        post_code: Mapped[str | None]
        town: Mapped[str | None]
        country: Mapped[str | None]
        bic: Mapped[str | None]
        charge_bearer: Mapped[str | None]
        purpose_code: Mapped[str | None]
        purpose_text: Mapped[str | None]
        urgent: Mapped[bool]


class User(Base):
    __table__: ClassVar[FromClause] = tables.users

    if TYPE_CHECKING:
        id: Mapped[int]
        slack_team_id: Mapped[str]
        slack_user_id: Mapped[str]
        name: Mapped[str]


class UserRole(Base):
    __table__: ClassVar[FromClause] = tables.user_roles

    if TYPE_CHECKING:
        id: Mapped[int]
        user_id: Mapped[int]
        company_id: Mapped[int]
        role: Mapped[str]


class AuditEvent(Base):
    __table__: ClassVar[FromClause] = tables.audit_events

    if TYPE_CHECKING:
        id: Mapped[int]
        at: Mapped[datetime]
        company_id: Mapped[int | None]
        payment_id: Mapped[int | None]
        actor_id: Mapped[int | None]
        actor_label: Mapped[str]
        action: Mapped[str]
        before: Mapped[dict[str, object] | None]
        after: Mapped[dict[str, object] | None]
        details: Mapped[dict[str, object] | None]
        note: Mapped[str | None]
        prev_hash: Mapped[str]
        hash: Mapped[str]


class SignerLimit(Base):
    __table__: ClassVar[FromClause] = tables.signer_limits

    if TYPE_CHECKING:
        id: Mapped[int]
        user_id: Mapped[int]
        company_id: Mapped[int]
        max_per_payment: Mapped[Decimal | None]
        max_per_day: Mapped[Decimal | None]


class ExchangeRate(Base):
    __table__: ClassVar[FromClause] = tables.exchange_rates

    if TYPE_CHECKING:
        id: Mapped[int]
        currency: Mapped[str]
        quote_currency: Mapped[str]
        valid_from: Mapped[date]
        rate: Mapped[Decimal]
        set_at: Mapped[datetime]


class OtpDevice(Base):
    __table__: ClassVar[FromClause] = tables.otp_devices

    if TYPE_CHECKING:
        id: Mapped[int]
        user_id: Mapped[int]
        secret_encrypted: Mapped[str]
        active: Mapped[bool]
        created_at: Mapped[datetime]
        confirmed_at: Mapped[datetime | None]
        last_used_step: Mapped[int | None]
        failures: Mapped[int]
        locked_until: Mapped[datetime | None]


class Signature(Base):
    __table__: ClassVar[FromClause] = tables.signatures

    if TYPE_CHECKING:
        id: Mapped[int]
        payment_id: Mapped[int]
        user_id: Mapped[int]
        company_id: Mapped[int]
        round: Mapped[int]
        signed_at: Mapped[datetime]
        amount_company: Mapped[Decimal]
        voided_at: Mapped[datetime | None]


class Alarm(Base):
    __table__: ClassVar[FromClause] = tables.alarms

    if TYPE_CHECKING:
        id: Mapped[int]
        key: Mapped[str]
        company_id: Mapped[int]
        payment_id: Mapped[int | None]
        batch_id: Mapped[int | None]
        kind: Mapped[str]
        message: Mapped[str]
        details: Mapped[dict[str, object]]
        raised_at: Mapped[datetime]


class SlackMessage(Base):
    __table__: ClassVar[FromClause] = tables.slack_messages

    if TYPE_CHECKING:
        id: Mapped[int]
        company_id: Mapped[int]
        kind: Mapped[str]
        channel: Mapped[str]
        ts: Mapped[str]
        thread_ts: Mapped[str | None]
        intro: Mapped[list[dict[str, object]]]
        created_at: Mapped[datetime]


class SlackMessagePayment(Base):
    __table__: ClassVar[FromClause] = tables.slack_message_payments

    if TYPE_CHECKING:
        id: Mapped[int]
        message_id: Mapped[int]
        payment_id: Mapped[int]
        position: Mapped[int]


class SlackClaim(Base):
    __table__: ClassVar[FromClause] = tables.slack_claims

    if TYPE_CHECKING:
        id: Mapped[int]
        key: Mapped[str]
        company_id: Mapped[int | None]
        claimed_at: Mapped[datetime]
        done_at: Mapped[datetime | None]
        result: Mapped[dict[str, object] | None]


class SchedulerLease(Base):
    __table__: ClassVar[FromClause] = tables.scheduler_leases

    if TYPE_CHECKING:
        name: Mapped[str]
        holder: Mapped[str]
        acquired_at: Mapped[datetime]
        renewed_at: Mapped[datetime]


class BankPoll(Base):
    __table__: ClassVar[FromClause] = tables.bank_polls

    if TYPE_CHECKING:
        bank_account_id: Mapped[int]
        succeeded_at: Mapped[datetime | None]
        failed_at: Mapped[datetime | None]
        error: Mapped[str | None]


class GlAccount(Base):
    __table__: ClassVar[FromClause] = tables.gl_accounts

    if TYPE_CHECKING:
        id: Mapped[int]
        company_id: Mapped[int]
        role: Mapped[str]
        account: Mapped[str]
        set_at: Mapped[datetime]


class VoucherSeries(Base):
    __table__: ClassVar[FromClause] = tables.voucher_series

    if TYPE_CHECKING:
        company_id: Mapped[int]
        year: Mapped[int]
        next_number: Mapped[int]


class Voucher(Base):
    __table__: ClassVar[FromClause] = tables.vouchers

    if TYPE_CHECKING:
        id: Mapped[int]
        company_id: Mapped[int]
        year: Mapped[int]
        number: Mapped[int]
        day: Mapped[date]
        text: Mapped[str]
        posted_at: Mapped[datetime]
        posted_by_id: Mapped[int | None]
        posted_by: Mapped[str]


class VoucherLine(Base):
    __table__: ClassVar[FromClause] = tables.voucher_lines

    if TYPE_CHECKING:
        id: Mapped[int]
        voucher_id: Mapped[int]
        position: Mapped[int]
        account: Mapped[str]
        debit: Mapped[Decimal]
        credit: Mapped[Decimal]
        currency: Mapped[str]
        amount_currency: Mapped[Decimal]
        text: Mapped[str]
        party_kind: Mapped[str | None]
        party_name: Mapped[str | None]
        party_org_no: Mapped[str | None]
        party_key: Mapped[str | None]
        supplier_id: Mapped[int | None]
        payment_id: Mapped[int | None]


class VoucherPayment(Base):
    __table__: ClassVar[FromClause] = tables.voucher_payments

    if TYPE_CHECKING:
        id: Mapped[int]
        voucher_id: Mapped[int]
        payment_id: Mapped[int]


class CustomerItem(Base):
    __table__: ClassVar[FromClause] = tables.customer_items

    if TYPE_CHECKING:
        id: Mapped[int]
        company_id: Mapped[int]
        invoice_no: Mapped[str]
        customer_name: Mapped[str]
        customer_org_no: Mapped[str | None]
        amount: Mapped[Decimal]
        currency: Mapped[str]
        invoice_date: Mapped[date | None]
        due_date: Mapped[date | None]
        kid: Mapped[str | None]
        open_amount: Mapped[Decimal]
        status: Mapped[str]
        imported_at: Mapped[datetime]


class IncomingFile(Base):
    __table__: ClassVar[FromClause] = tables.incoming_files

    if TYPE_CHECKING:
        id: Mapped[int]
        company_id: Mapped[int]
        name: Mapped[str]
        sha256: Mapped[str]
        kind: Mapped[str]
        received_at: Mapped[datetime]
        summary: Mapped[dict[str, object] | None]


class IncomingPaymentRow(Base):
    __table__: ClassVar[FromClause] = tables.incoming_payments

    if TYPE_CHECKING:
        id: Mapped[int]
        company_id: Mapped[int]
        file_id: Mapped[int]
        line: Mapped[int | None]
        key: Mapped[str]
        account: Mapped[str]
        amount: Mapped[Decimal]
        currency: Mapped[str]
        kid: Mapped[str | None]
        payer_name: Mapped[str | None]
        payer_account: Mapped[str | None]
        message: Mapped[str | None]
        bank_reference: Mapped[str | None]
        bank_code: Mapped[str | None]
        payment_date: Mapped[date]
        reversal: Mapped[bool]
        status: Mapped[str]
        reason: Mapped[str | None]
        detail: Mapped[str | None]
        customer_item_id: Mapped[int | None]
        cleared: Mapped[Decimal]
        excess: Mapped[Decimal]
        rounding: Mapped[Decimal]
        voucher_id: Mapped[int | None]
        paired_with_id: Mapped[int | None]
        delete_reason: Mapped[str | None]
        handled_by_id: Mapped[int | None]
        handled_at: Mapped[datetime | None]
        version: Mapped[int]
        created_at: Mapped[datetime]
        updated_at: Mapped[datetime]


class EhfDocumentRow(Base):
    __table__: ClassVar[FromClause] = tables.ehf_documents

    if TYPE_CHECKING:
        id: Mapped[int]
        company_id: Mapped[int]
        open_item_id: Mapped[int]
        file_name: Mapped[str]
        sha256: Mapped[str]
        profile: Mapped[str]
        customization_id: Mapped[str]
        kind: Mapped[str]
        type_code: Mapped[str]
        seller_name: Mapped[str]
        seller_org_no: Mapped[str | None]
        payee_name: Mapped[str | None]
        payee_org_no: Mapped[str | None]
        bic: Mapped[str | None]
        account_kind: Mapped[str | None]
        summary: Mapped[dict[str, Any]]
        warnings: Mapped[list[dict[str, Any]]]
        document: Mapped[bytes]
        imported_at: Mapped[datetime]


class ChartAccountRow(Base):
    __table__: ClassVar[FromClause] = tables.chart_accounts

    if TYPE_CHECKING:
        id: Mapped[int]
        company_id: Mapped[int]
        number: Mapped[str]
        name: Mapped[str]
        by_hand: Mapped[bool]
        updated_at: Mapped[datetime]
