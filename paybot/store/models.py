"""Typed SQLAlchemy models. Rows become domain objects in the repositories, never in core."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from paybot.store.base import Base
from paybot.store.types import Money, Rate, UtcDateTime


class Company(Base):
    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_no: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3), default="NOK")
    dispatch_timing: Mapped[str] = mapped_column(String(16), default="due")
    approval_required: Mapped[bool] = mapped_column(Boolean, default=False)
    dual_control_threshold: Mapped[Decimal | None] = mapped_column(Money)
    posting_mode: Mapped[str] = mapped_column(String(16), default="per_payment")
    language: Mapped[str] = mapped_column(String(5), default="en")
    # Slack: where the daily proposals and the alerts go, and when (HH:MM, business time zone).
    proposals_channel: Mapped[str | None] = mapped_column(String(40))
    alerts_channel: Mapped[str | None] = mapped_column(String(40))
    post_at: Mapped[str] = mapped_column(String(5), default="08:00")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The largest difference an incoming payment may have from its invoice and still close it
    # (øreavrunding), in the company's currency; the difference goes to the rounding account.
    rounding_tolerance: Mapped[Decimal] = mapped_column(Money, default=0, server_default="0")


# Indexes the migrations make that the models do not declare (see CompanyBankAccount).
MIGRATION_ONLY_INDEXES = frozenset({"ix_company_bank_accounts_one_tax_withholding"})


class CompanyBankAccount(Base):
    __tablename__ = "company_bank_accounts"
    # At most one tax-withholding account (skattetrekkskonto) per company: a partial unique
    # index (company_id WHERE tax_withholding), made by migration 0008 and not declared here —
    # its dialect-specific WHERE would load both SQL dialects whenever the models are imported
    # (60 ms of every command's start). env.py leaves it out of the models' comparison.
    __table_args__ = (UniqueConstraint("company_id", "account"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    account: Mapped[str] = mapped_column(String(40))
    scheme: Mapped[str] = mapped_column(String(8))  # bban | iban
    bank: Mapped[str | None] = mapped_column(String(100))
    bic: Mapped[str | None] = mapped_column(String(11))
    incoming: Mapped[bool] = mapped_column(Boolean, default=True)
    outgoing: Mapped[bool] = mapped_column(Boolean, default=True)
    gl_account: Mapped[str] = mapped_column(String(10), default="1920")
    tax_withholding: Mapped[bool] = mapped_column(Boolean, default=False)
    # How files reach the bank: directory, sftp or sandbox, and in which pain.001 version.
    gateway: Mapped[str] = mapped_column(
        String(16), default="directory", server_default="directory"
    )
    file_format: Mapped[str] = mapped_column(
        String(20), default="pain.001.001.03", server_default="pain.001.001.03"
    )
    outbox: Mapped[str | None] = mapped_column(Text)
    inbox: Mapped[str | None] = mapped_column(Text)
    sftp_host: Mapped[str | None] = mapped_column(String(200))
    sftp_port: Mapped[int | None] = mapped_column(Integer)
    sftp_user: Mapped[str | None] = mapped_column(String(100))
    sftp_key_path: Mapped[str | None] = mapped_column(Text)
    sftp_host_key: Mapped[str | None] = mapped_column(Text)
    # The simulated bank's behaviour: KID-only payee accounts, balance, payments it ignores.
    sandbox: Mapped[dict[str, object] | None] = mapped_column(JSON)


class Supplier(Base):
    __tablename__ = "suppliers"
    __table_args__ = (UniqueConstraint("company_id", "match_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    # org no when known, else the lower-cased name: how ledger rows find their supplier.
    match_key: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    org_no: Mapped[str | None] = mapped_column(String(40))
    registered_account: Mapped[str | None] = mapped_column(String(40))


class OpenItem(Base):
    """An item of the supplier ledger: an invoice, or (negative) a credit note or payment."""

    __tablename__ = "open_items"
    __table_args__ = (UniqueConstraint("company_id", "voucher_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    voucher_no: Mapped[str] = mapped_column(String(40))
    invoice_no: Mapped[str | None] = mapped_column(String(60))
    account: Mapped[str | None] = mapped_column(String(40))
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    invoice_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    reference_type: Mapped[str] = mapped_column(String(10))
    reference: Mapped[str | None] = mapped_column(String(140))
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Batch(Base):
    """Payments sent together in one file (a 'bunt')."""

    __tablename__ = "batches"
    __table_args__ = (UniqueConstraint("company_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    bank_account_id: Mapped[int] = mapped_column(ForeignKey("company_bank_accounts.id"))
    number: Mapped[int] = mapped_column(Integer)
    # prepared → uploading → sent; uploading → prepared again when the upload certainly did not
    # happen (retried after next_attempt_at); uploading → unknown when it may have happened;
    # invalid (the file failed its schema and nothing left) or cancelled (no payment left in it).
    status: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str] = mapped_column(String(35), unique=True)
    file_format: Mapped[str] = mapped_column(String(20))
    file_name: Mapped[str | None] = mapped_column(String(200))
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Uploads that certainly did not reach the bank: how many, the last error, when to try again.
    upload_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    upload_error: Mapped[str | None] = mapped_column(Text)
    # When the current upload began: an "uploading" batch older than a timeout was interrupted.
    uploading_since: Mapped[datetime | None] = mapped_column(UtcDateTime)


class BatchPayment(Base):
    """One send of a payment: the payment as it stands in one batch, and what the bank said of
    it. A payment sent again gets a new row (and EndToEndId); only the newest is current."""

    __tablename__ = "batch_payments"
    __table_args__ = (Index("ix_batch_payments_batch", "batch_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"))
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    end_to_end_id: Mapped[str] = mapped_column(String(35), unique=True)
    payment_info_id: Mapped[str] = mapped_column(String(35), index=True)
    execution_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    # core.sends.SendState: prepared, sent, accepted, rejected, booked, returned, cancelled,
    # not_left (a person saw in the netbank it did not leave), stopped (stopped in the netbank).
    status: Mapped[str] = mapped_column(String(16))
    bank_status: Mapped[str | None] = mapped_column(String(8))
    reason_codes: Mapped[list[str] | None] = mapped_column(JSON)
    bank_text: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # What the bank booked for it (camt.054), where it said: held if it differs from the send.
    booked_amount: Mapped[Decimal | None] = mapped_column(Money)
    booked_currency: Mapped[str | None] = mapped_column(String(3))


class ReturnFile(Base):
    """A file from the bank, applied once: its hash is the key."""

    __tablename__ = "return_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    summary: Mapped[dict[str, object]] = mapped_column(JSON)


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        Index("ix_payments_company_status", "company_id", "status"),
        Index("ix_payments_supplier", "supplier_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    # One payment per ledger item: deleting and restoring moves this row, never makes a second.
    open_item_id: Mapped[int] = mapped_column(ForeignKey("open_items.id"), unique=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"))
    status: Mapped[str] = mapped_column(String(16))
    flag: Mapped[str] = mapped_column(String(8))
    reasons: Mapped[list[str]] = mapped_column(JSON)
    payee: Mapped[str] = mapped_column(String(200))
    account: Mapped[str | None] = mapped_column(String(40))
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    due_date: Mapped[date] = mapped_column(Date)
    reference_type: Mapped[str] = mapped_column(String(10))
    reference: Mapped[str | None] = mapped_column(String(140))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    restored_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    restored_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Bumped when a change voids the signatures collected so far: the version of the details
    # (account, reference, amount) that a signature belongs to.
    signature_round: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # Who changed the account or reference since the last approval by someone else (user ids):
    # none of them signs alone.
    editors: Mapped[list[int]] = mapped_column(JSON, default=list, server_default="[]")
    # What the bank said last (ACSP, RJCT, ...); for Failed, why: in words and as the bank put it.
    bank_status: Mapped[str | None] = mapped_column(String(8))
    # Failed: rejected | no_return | checked_not_left | returned; On hold: twice | amount.
    failure_kind: Mapped[str | None] = mapped_column(String(16))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    bank_text: Mapped[str | None] = mapped_column(Text)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("slack_team_id", "slack_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slack_team_id: Mapped[str] = mapped_column(String(20), default="")
    slack_user_id: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))


class UserRole(Base):
    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "company_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))


class AuditEvent(Base):
    """Append-only: who did what, when, and what changed."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    before: Mapped[dict[str, object] | None] = mapped_column(JSON)
    after: Mapped[dict[str, object] | None] = mapped_column(JSON)
    details: Mapped[dict[str, object] | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    # Each event holds the hash of the one before it: `paybot audit verify` recomputes the chain.
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class SignerLimit(Base):
    """How much a signer may sign in a company, per payment and per day (company currency)."""

    __tablename__ = "signer_limits"
    __table_args__ = (UniqueConstraint("user_id", "company_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    max_per_payment: Mapped[Decimal | None] = mapped_column(Money)
    max_per_day: Mapped[Decimal | None] = mapped_column(Money)


class ExchangeRate(Base):
    """Units of `quote_currency` for one unit of `currency`, valid from a date."""

    __tablename__ = "exchange_rates"
    __table_args__ = (UniqueConstraint("currency", "quote_currency", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    quote_currency: Mapped[str] = mapped_column(String(3))
    valid_from: Mapped[date] = mapped_column(Date)
    rate: Mapped[Decimal] = mapped_column(Rate)
    set_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OtpDevice(Base):
    """A user's authenticator: the TOTP secret (encrypted), replay and lockout state."""

    __tablename__ = "otp_devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_used_step: Mapped[int | None] = mapped_column(BigInteger)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Signature(Base):
    """One signer's signature on one payment, in one signature round."""

    __tablename__ = "signatures"
    __table_args__ = (
        UniqueConstraint("payment_id", "round", "user_id"),
        Index("ix_signatures_user_day", "user_id", "company_id", "signed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    round: Mapped[int] = mapped_column(Integer)
    signed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The amount in the company's currency at the time of signing: what daily limits add up.
    amount_company: Mapped[Decimal] = mapped_column(Money)
    voided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Alarm(Base):
    """Something a person must look at now (money may have left twice, money came back, an
    amount the bank booked differs, uploads failing): raised once per key, announced once."""

    __tablename__ = "alarms"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"))
    kind: Mapped[str] = mapped_column(String(24))
    message: Mapped[str] = mapped_column(Text)  # in English, for the log and the command line
    details: Mapped[dict[str, object]] = mapped_column(JSON)
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SlackMessage(Base):
    """A message paybot posted that shows payments, so an action anywhere can update it in place."""

    __tablename__ = "slack_messages"
    __table_args__ = (UniqueConstraint("channel", "ts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(40))
    ts: Mapped[str] = mapped_column(String(40))
    thread_ts: Mapped[str | None] = mapped_column(String(40))
    # The blocks above the payments (header, counts, totals), kept as they were posted.
    intro: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SlackMessagePayment(Base):
    __tablename__ = "slack_message_payments"
    __table_args__ = (UniqueConstraint("message_id", "payment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("slack_messages.id"), index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)


class SlackClaim(Base):
    """Work done once across all paybot processes: a day's post, an alert, a Slack event."""

    __tablename__ = "slack_claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    result: Mapped[dict[str, object] | None] = mapped_column(JSON)


class SchedulerLease(Base):
    """Which process runs the scheduled jobs of this database (one at a time): the holder
    renews `renewed_at` while it holds the lease; another takes over once it has gone quiet."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))  # host, pid and a random part
    acquired_at: Mapped[datetime] = mapped_column(UtcDateTime)
    renewed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class BankPoll(Base):
    """The last time each bank account's inbox was read, and the last time reading it failed."""

    __tablename__ = "bank_polls"

    bank_account_id: Mapped[int] = mapped_column(
        ForeignKey("company_bank_accounts.id"), primary_key=True
    )
    succeeded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    error: Mapped[str | None] = mapped_column(Text)


class GlAccount(Base):
    """A company's own general-ledger account for a role (core.vouchers.AccountRole); a role
    with no row here uses the standard account (core.vouchers.STANDARD_ACCOUNTS)."""

    __tablename__ = "gl_accounts"
    __table_args__ = (UniqueConstraint("company_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    role: Mapped[str] = mapped_column(String(20))
    account: Mapped[str] = mapped_column(String(10))
    set_at: Mapped[datetime] = mapped_column(UtcDateTime)


class VoucherSeries(Base):
    """The next voucher number of a company's series for a year. A posting takes its numbers by
    updating this row in its own transaction (which locks it): a rollback gives them back."""

    __tablename__ = "voucher_series"

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    next_number: Mapped[int] = mapped_column(Integer)


class Voucher(Base):
    """A posted voucher (bilag): number `number` of its company's series for `year`."""

    __tablename__ = "vouchers"
    __table_args__ = (
        UniqueConstraint("company_id", "year", "number"),
        Index("ix_vouchers_company_day", "company_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(String(200))
    posted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    posted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    posted_by: Mapped[str] = mapped_column(String(200))  # the actor's label


class VoucherLine(Base):
    """One line of a voucher: a debit or a credit in the company's currency (exact, as Money),
    the amount in the currency paid, and the party (supplier or customer) it is posted with."""

    __tablename__ = "voucher_lines"
    __table_args__ = (Index("ix_voucher_lines_voucher", "voucher_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("vouchers.id"))
    position: Mapped[int] = mapped_column(Integer)
    account: Mapped[str] = mapped_column(String(10))
    debit: Mapped[Decimal] = mapped_column(Money)
    credit: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    amount_currency: Mapped[Decimal] = mapped_column(Money)
    text: Mapped[str] = mapped_column(String(200))
    party_kind: Mapped[str | None] = mapped_column(String(10))  # supplier | customer
    party_name: Mapped[str | None] = mapped_column(String(200))
    party_org_no: Mapped[str | None] = mapped_column(String(40))
    party_key: Mapped[str | None] = mapped_column(String(200))
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id"))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))


class VoucherPayment(Base):
    """The payments a voucher posts: each payment at most once (its unique constraint)."""

    __tablename__ = "voucher_payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("vouchers.id"), index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), unique=True)


class CustomerItem(Base):
    """An open item of the customer ledger: an invoice the company sent, and what is left of it
    (`open_amount`); closed once nothing is."""

    __tablename__ = "customer_items"
    __table_args__ = (
        UniqueConstraint("company_id", "invoice_no"),
        Index("ix_customer_items_company_kid", "company_id", "kid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    invoice_no: Mapped[str] = mapped_column(String(60))
    customer_name: Mapped[str] = mapped_column(String(200))
    customer_org_no: Mapped[str | None] = mapped_column(String(40))
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    invoice_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    kid: Mapped[str | None] = mapped_column(String(25))
    open_amount: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(8))  # open | closed
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime)


class IncomingFile(Base):
    """A file of incoming payments (OCR Giro, camt.054), taken once per company: its hash."""

    __tablename__ = "incoming_files"
    __table_args__ = (UniqueConstraint("company_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    name: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))  # ocr_giro | camt.054
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    summary: Mapped[dict[str, object] | None] = mapped_column(JSON)


class IncomingPaymentRow(Base):
    """One incoming payment (or, negative, a reversal) and what became of it: matched, settled,
    partial or overpaid (posted against an invoice), unmatched (for a person), posted by hand,
    deleted (with the reason), or reversed (with the reversal that took it back)."""

    __tablename__ = "incoming_payments"
    __table_args__ = (
        UniqueConstraint("company_id", "account", "key"),
        Index("ix_incoming_payments_company_status", "company_id", "status"),
        Index("ix_incoming_payments_company_kid", "company_id", "account", "kid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    file_id: Mapped[int] = mapped_column(ForeignKey("incoming_files.id"), index=True)
    line: Mapped[int | None] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(120))
    account: Mapped[str] = mapped_column(String(40))  # the company's account paid to
    amount: Mapped[Decimal] = mapped_column(Money)  # negative: a reversal
    currency: Mapped[str] = mapped_column(String(3))
    kid: Mapped[str | None] = mapped_column(String(40))
    payer_name: Mapped[str | None] = mapped_column(String(200))
    payer_account: Mapped[str | None] = mapped_column(String(40))
    message: Mapped[str | None] = mapped_column(Text)
    bank_reference: Mapped[str | None] = mapped_column(String(60))
    bank_code: Mapped[str | None] = mapped_column(String(8))
    payment_date: Mapped[date] = mapped_column(Date)
    reversal: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(10))
    # Why it matched nothing (core.incoming_match.Unmatched), in words too.
    reason: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text)
    # The invoice it paid and how: cleared off it, held as credit, to the rounding account.
    customer_item_id: Mapped[int | None] = mapped_column(ForeignKey("customer_items.id"))
    cleared: Mapped[Decimal] = mapped_column(Money, default=0)
    excess: Mapped[Decimal] = mapped_column(Money, default=0)
    rounding: Mapped[Decimal] = mapped_column(Money, default=0)
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("vouchers.id"))
    # A reversal and the payment it took back name each other.
    paired_with_id: Mapped[int | None] = mapped_column(ForeignKey("incoming_payments.id"))
    delete_reason: Mapped[str | None] = mapped_column(Text)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    handled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
