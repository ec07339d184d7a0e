"""paybot's tables in SQLAlchemy Core: the schema the migrations make, on one MetaData.

This is where the schema is written down. Reads that need no ORM name these tables directly (the
company and payment lists of everyday commands, in store/companies.py and
store/payment_search.py), and so load neither sqlalchemy.orm nor the mapped classes, which cost
a command more than its query. models.py maps a class onto each table for the repositories that
work with the ORM; migrations/env.py compares `metadata` with the database (`alembic check`,
tests/store/test_schema.py).

Columns are NOT NULL unless they say `nullable=True` (`column` below), as in a typed model where
only `Mapped[X | None]` may be null.

Each table is made when it is first imported (`from paybot.store.tables import payments`, or
`tables.payments`), by the function of its name below, and `metadata` holds every table once it
is asked for: making a table's columns, constraints and indexes costs about 40 µs a column, and a
command that reads two or three tables need not pay for thirty (15 ms of every command's start).

To add a column: a `column(...)` in its table here, the same column typed in its class in
models.py, in the same place (`name: Mapped[T]`, `Mapped[T | None]` where nullable), and a migration
(`alembic revision --autogenerate` writes most of it). To add a table: a function `_<name>` marked
`@_table` here that makes the `Table(...)` on `_metadata`, its name in the list for the type checker
at the end, a class in models.py with `__table__ = tables.<name>` typing its columns, and a
migration. tests/store/test_models.py holds every table and its class equal; test_schema.py holds
the tables equal to the migrations.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from paybot.store.types import Money, Rate, UtcDateTime

# Constraint and index names the migrations give them too, on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# The one MetaData of paybot's tables, `metadata` once every table is made (see `__getattr__`).
_metadata = MetaData(naming_convention=NAMING_CONVENTION)

# The function that makes each table, by the table's name, in the order they are written here.
_MAKERS: dict[str, Callable[[], Table]] = {}
# Tables may be asked for by several threads at once (a server's): each is made once.
_MAKING = threading.Lock()

# Indexes the migrations make that are not declared here (see company_bank_accounts); env.py
# leaves them out of the comparison with the database.
MIGRATION_ONLY_INDEXES = frozenset({"ix_company_bank_accounts_one_tax_withholding"})


def column(name: str, *args: Any, nullable: bool = False, **kwargs: Any) -> Column[Any]:
    """A column of a table: NOT NULL unless `nullable=True`."""
    return Column(name, *args, nullable=nullable, **kwargs)


def _table(make: Callable[[], Table]) -> Callable[[], Table]:
    """Marks `_<name>` as the function that makes the table `<name>` (made on first use)."""
    _MAKERS[make.__name__.removeprefix("_")] = make
    return make


def _made(name: str) -> Table:
    """The table `name`, made now unless it was before; a module attribute from then on."""
    with _MAKING:
        table = _metadata.tables.get(name)
        if table is None:
            table = _MAKERS[name]()
        globals()[name] = table
        return table


# A payee's master data for payments abroad, the same columns on a supplier (its defaults) and on
# a payment (what is signed and sent): postal address as ISO 20022 structures it, the payee's
# bank's BIC (a non-IBAN account abroad), who bears the charges (DEBT, CRED or SHAR; none: the
# payment type's default) and the purpose reported to the Currency Register (a code of Norges
# Bank's list and a short text).
PAYEE_DETAILS = (
    "street",
    "building_no",
    "post_code",
    "town",
    "country",
    "bic",
    "charge_bearer",
    "purpose_code",
    "purpose_text",
)


def payee_columns(table: Table) -> tuple[Column[Any], ...]:
    """The PAYEE_DETAILS columns of `table` (suppliers or payments), in PayeeDetails' order."""
    return tuple(table.c[name] for name in PAYEE_DETAILS)


# A row's (or a mapped object's) PAYEE_DETAILS values, in PayeeDetails' order.
payee_values = attrgetter(*PAYEE_DETAILS)


def _payee_details() -> list[Column[Any]]:
    return [
        column("street", String(70), nullable=True),
        column("building_no", String(16), nullable=True),
        column("post_code", String(16), nullable=True),
        column("town", String(35), nullable=True),
        column("country", String(2), nullable=True),
        column("bic", String(11), nullable=True),
        column("charge_bearer", String(4), nullable=True),
        column("purpose_code", String(10), nullable=True),
        column("purpose_text", String(35), nullable=True),
    ]


# The companies using paybot, with their settings.
@_table
def _companies() -> Table:
    return Table(
        "companies",
        _metadata,
        column("id", Integer, primary_key=True),
        column("org_no", String(20), unique=True),
        column("name", String(200)),
        column("currency", String(3), default="NOK"),
        column("dispatch_timing", String(16), default="due"),
        column("approval_required", Boolean, default=False),
        column("dual_control_threshold", Money, nullable=True),
        column("posting_mode", String(16), default="per_payment"),
        column("language", String(5), default="en"),
        # Slack: where the daily proposals and the alerts go, and when (HH:MM, business time zone).
        column("proposals_channel", String(40), nullable=True),
        column("alerts_channel", String(40), nullable=True),
        column("post_at", String(5), default="08:00"),
        column("created_at", UtcDateTime),
        # The largest difference an incoming payment may have from its invoice and still close it
        # (øreavrunding), in the company's currency; the difference goes to the rounding account.
        column("rounding_tolerance", Money, default=0, server_default="0"),
        # Payments abroad above this (in NOK, or its equivalent) carry their purpose
        # (Valutaregisteret); the server default is NOK 100,000 in storage units (types.Money).
        column("reporting_threshold", Money, default=100000, server_default="1000000000"),
    )


# A company's own bank accounts. At most one is a tax-withholding account (skattetrekkskonto):
# a partial unique index (company_id WHERE tax_withholding), made by migration 0008 and not
# declared here — its dialect-specific WHERE would load both SQL dialects whenever the tables are
# imported (60 ms of every command's start): MIGRATION_ONLY_INDEXES.
@_table
def _company_bank_accounts() -> Table:
    return Table(
        "company_bank_accounts",
        _metadata,
        column("id", Integer, primary_key=True),
        column("company_id", Integer, ForeignKey("companies.id"), index=True),
        column("account", String(40)),
        column("scheme", String(8)),  # bban | iban
        column("bank", String(100), nullable=True),
        column("bic", String(11), nullable=True),
        column("incoming", Boolean, default=True),
        column("outgoing", Boolean, default=True),
        column("gl_account", String(10), default="1920"),
        column("tax_withholding", Boolean, default=False),
        # How files reach the bank: directory, sftp or sandbox, and in which pain.001 version.
        column("gateway", String(16), default="directory", server_default="directory"),
        column(
            "file_format", String(20), default="pain.001.001.03", server_default="pain.001.001.03"
        ),
        column("outbox", Text, nullable=True),
        column("inbox", Text, nullable=True),
        column("sftp_host", String(200), nullable=True),
        column("sftp_port", Integer, nullable=True),
        column("sftp_user", String(100), nullable=True),
        column("sftp_key_path", Text, nullable=True),
        column("sftp_host_key", Text, nullable=True),
        # The simulated bank's behaviour: KID-only payee accounts, balance, payments it ignores.
        column("sandbox", JSON, nullable=True),
        # Whose pain.001 guide the files follow (core.bank_profiles); none: from the bank's name.
        column("profile", String(20), nullable=True),
        UniqueConstraint("company_id", "account"),
    )


# A company's suppliers, as its supplier ledger names them.
@_table
def _suppliers() -> Table:
    return Table(
        "suppliers",
        _metadata,
        column("id", Integer, primary_key=True),
        column("company_id", Integer, ForeignKey("companies.id"), index=True),
        # org no when known, else the lower-cased name: how ledger rows find their supplier.
        column("match_key", String(200)),
        column("name", String(200)),
        column("org_no", String(40), nullable=True),
        column("registered_account", String(40), nullable=True),
        *_payee_details(),
        UniqueConstraint("company_id", "match_key"),
    )


# An item of the supplier ledger: an invoice, or (negative) a credit note or payment.
@_table
def _open_items() -> Table:
    return Table(
        "open_items",
        _metadata,
        column("id", Integer, primary_key=True),
        column("company_id", Integer, ForeignKey("companies.id"), index=True),
        column("supplier_id", Integer, ForeignKey("suppliers.id"), index=True),
        column("voucher_no", String(40)),
        column("invoice_no", String(60), nullable=True),
        column("account", String(40), nullable=True),
        column("amount", Money),
        column("currency", String(3)),
        column("invoice_date", Date, nullable=True),
        column("due_date", Date),
        column("reference_type", String(10)),
        column("reference", String(140), nullable=True),
        column("is_open", Boolean, default=True),
        column("imported_at", UtcDateTime),
        # Whom the payment goes to when not the supplier (an EHF's PayeeParty: factoring).
        column("payee_name", String(200), nullable=True),
        UniqueConstraint("company_id", "voucher_no"),
    )


# Payments sent together in one file (a 'bunt').
@_table
def _batches() -> Table:
    return Table(
        "batches",
        _metadata,
        column("id", Integer, primary_key=True),
        column("company_id", Integer, ForeignKey("companies.id"), index=True),
        column("bank_account_id", Integer, ForeignKey("company_bank_accounts.id")),
        column("number", Integer),
        # prepared → uploading → sent; uploading → prepared again when the upload certainly did
        # not happen (retried after next_attempt_at); uploading → unknown when it may have
        # happened; invalid (the file failed its schema and nothing left) or cancelled (no payment
        # left in it).
        column("status", String(16)),
        column("message_id", String(35), unique=True),
        column("file_format", String(20)),
        column("file_name", String(200), nullable=True),
        column("file_sha256", String(64), nullable=True),
        column("error", Text, nullable=True),
        column("created_at", UtcDateTime),
        column("sent_at", UtcDateTime, nullable=True),
        # Uploads that certainly did not reach the bank: how many, the last error, when to try
        # again.
        column("upload_attempts", Integer, default=0, server_default="0"),
        column("next_attempt_at", UtcDateTime, nullable=True),
        column("upload_error", Text, nullable=True),
        # When the current upload began: an "uploading" batch older than a timeout was interrupted.
        column("uploading_since", UtcDateTime, nullable=True),
        UniqueConstraint("company_id", "number"),
    )


# One send of a payment: the payment as it stands in one batch, and what the bank said of it. A
# payment sent again gets a new row (and EndToEndId); only the newest is current.
@_table
def _batch_payments() -> Table:
    return Table(
        "batch_payments",
        _metadata,
        column("id", Integer, primary_key=True),
        column("batch_id", Integer, ForeignKey("batches.id")),
        column("payment_id", Integer, ForeignKey("payments.id"), index=True),
        column("end_to_end_id", String(35), unique=True),
        column("payment_info_id", String(35), index=True),
        column("execution_date", Date),
        column("amount", Money),
        column("currency", String(3)),
        # core.sends.SendState: prepared, sent, accepted, rejected, booked, returned, cancelled,
        # not_left (a person saw in the netbank it did not leave), stopped (stopped in the netbank).
        column("status", String(16)),
        column("bank_status", String(8), nullable=True),
        column("reason_codes", JSON, nullable=True),
        column("bank_text", Text, nullable=True),
        column("updated_at", UtcDateTime),
        # What the bank booked for it (camt.054), where it said: held if it differs from the send.
        column("booked_amount", Money, nullable=True),
        column("booked_currency", String(3), nullable=True),
        # The send's UETR (a UUID v4, written in pain.001.001.09): made once, so a file written
        # again is the same.
        column("uetr", String(36), nullable=True),
        Index("ix_batch_payments_batch", "batch_id"),
    )


# A file from the bank, applied once: its hash is the key.
@_table
def _return_files() -> Table:
    return Table(
        "return_files",
        _metadata,
        column("id", Integer, primary_key=True),
        column("sha256", String(64), unique=True),
        column("name", String(300)),
        column("kind", String(20)),
        column("received_at", UtcDateTime),
        column("summary", JSON),
    )


# A payment in the bank module, made of one open item (a proposal first); its status is
# core.states.PaymentStatus.
@_table
def _payments() -> Table:
    return Table(
        "payments",
        _metadata,
        column("id", Integer, primary_key=True),
        column("company_id", Integer, ForeignKey("companies.id")),
        # One payment per ledger item: deleting and restoring moves this row, never makes a second.
        column("open_item_id", Integer, ForeignKey("open_items.id"), unique=True),
        column("supplier_id", Integer, ForeignKey("suppliers.id")),
        column("batch_id", Integer, ForeignKey("batches.id"), nullable=True),
        column("status", String(16)),
        column("flag", String(8)),
        column("reasons", JSON),
        column("payee", String(200)),
        column("account", String(40), nullable=True),
        column("amount", Money),
        column("currency", String(3)),
        column("due_date", Date),
        column("reference_type", String(10)),
        column("reference", String(140), nullable=True),
        column("version", Integer, default=1),
        column("created_at", UtcDateTime),
        column("updated_at", UtcDateTime),
        column("approved_by_id", Integer, ForeignKey("users.id"), nullable=True),
        column("approved_at", UtcDateTime, nullable=True),
        column("signed_by_id", Integer, ForeignKey("users.id"), nullable=True),
        column("signed_at", UtcDateTime, nullable=True),
        column("deleted_by_id", Integer, ForeignKey("users.id"), nullable=True),
        column("deleted_at", UtcDateTime, nullable=True),
        column("restored_by_id", Integer, ForeignKey("users.id"), nullable=True),
        column("restored_at", UtcDateTime, nullable=True),
        column("changed_by_id", Integer, ForeignKey("users.id"), nullable=True),
        column("changed_at", UtcDateTime, nullable=True),
        column("sent_at", UtcDateTime, nullable=True),
        column("paid_at", UtcDateTime, nullable=True),
        # Bumped when a change voids the signatures collected so far: the version of the details
        # (account, reference, amount) that a signature belongs to.
        column("signature_round", Integer, default=1, server_default="1"),
        # Who changed the account or reference since the last approval by someone else (user ids):
        # none of them signs alone.
        column("editors", JSON, default=list, server_default="[]"),
        # What the bank said last (ACSP, RJCT, ...); for Failed, why: in words and as the bank
        # put it.
        column("bank_status", String(8), nullable=True),
        # Failed: rejected | no_return | checked_not_left | returned; On hold: twice | amount.
        column("failure_kind", String(16), nullable=True),
        column("failure_reason", Text, nullable=True),
        column("bank_text", Text, nullable=True),
        *_payee_details(),
        # Sent as an urgent payment (SvcLvl URGP) where the payment type allows it.
        column("urgent", Boolean, default=False, server_default=false()),
        Index("ix_payments_company_status", "company_id", "status"),
        Index("ix_payments_supplier", "supplier_id"),
    )


# People, as Slack knows them.
@_table
def _users() -> Table:
    return Table(
        "users",
        _metadata,
        column("id", Integer, primary_key=True),
        column("slack_team_id", String(20), default=""),
        column("slack_user_id", String(20)),
        column("name", String(200)),
        UniqueConstraint("slack_team_id", "slack_user_id"),
    )


# What a person may do in a company (core.policy.Role).
@_table
def _user_roles() -> Table:
    return Table(
        "user_roles",
        _metadata,
        column("id", Integer, primary_key=True),
        column("user_id", Integer, ForeignKey("users.id"), index=True),
        column("company_id", Integer, ForeignKey("companies.id"), index=True),
        column("role", String(16)),
        UniqueConstraint("user_id", "company_id", "role"),
    )


# Append-only: who did what, when, and what changed.
@_table
def _audit_events() -> Table:
    return Table(
        "audit_events",
        _metadata,
        column("id", Integer, primary_key=True),
        column("at", UtcDateTime),
        column("company_id", Integer, ForeignKey("companies.id"), index=True, nullable=True),
        column("payment_id", Integer, ForeignKey("payments.id"), index=True, nullable=True),
        column("actor_id", Integer, ForeignKey("users.id"), nullable=True),
        column("actor_label", String(200)),
        column("action", String(40)),
        column("before", JSON, nullable=True),
        column("after", JSON, nullable=True),
        column("details", JSON, nullable=True),
        column("note", Text, nullable=True),
        # Each event holds the hash of the one before it: `paybot audit verify` recomputes the
        # chain.
        column("prev_hash", String(64)),
        column("hash", String(64), unique=True),
    )


# How much a signer may sign in a company, per payment and per day (company currency).
@_table
def _signer_limits() -> Table:
    return Table(
        "signer_limits",
        _metadata,
        column("id", Integer, primary_key=True),
        column("user_id", Integer, ForeignKey("users.id")),
        column("company_id", Integer, ForeignKey("companies.id")),
        column("max_per_payment", Money, nullable=True),
        column("max_per_day", Money, nullable=True),
        UniqueConstraint("user_id", "company_id"),
    )


# Units of `quote_currency` for one unit of `currency`, valid from a date.
@_table
def _exchange_rates() -> Table:
    return Table(
        "exchange_rates",
        _metadata,
        column("id", Integer, primary_key=True),
        column("currency", String(3)),
        column("quote_currency", String(3)),
        column("valid_from", Date),
        column("rate", Rate),
        column("set_at", UtcDateTime),
        UniqueConstraint("currency", "quote_currency", "valid_from"),
    )


# A user's authenticator: the TOTP secret (encrypted), replay and lockout state.
@_table
def _otp_devices() -> Table:
    return Table(
        "otp_devices",
        _metadata,
        column("id", Integer, primary_key=True),
        column("user_id", Integer, ForeignKey("users.id"), unique=True),
        column("secret_encrypted", Text),
        column("active", Boolean, default=False),
        column("created_at", UtcDateTime),
        column("confirmed_at", UtcDateTime, nullable=True),
        column("last_used_step", BigInteger, nullable=True),
        column("failures", Integer, default=0),
        column("locked_until", UtcDateTime, nullable=True),
    )


# One signer's signature on one payment, in one signature round.
@_table
def _signatures() -> Table:
    return Table(
        "signatures",
        _metadata,
        column("id", Integer, primary_key=True),
        column("payment_id", Integer, ForeignKey("payments.id")),
        column("user_id", Integer, ForeignKey("users.id")),
        column("company_id", Integer, ForeignKey("companies.id")),
        column("round", Integer),
        column("signed_at", UtcDateTime),
        # The amount in the company's currency at the time of signing: what daily limits add up.
        column("amount_company", Money),
        column("voided_at", UtcDateTime, nullable=True),
        UniqueConstraint("payment_id", "round", "user_id"),
        Index("ix_signatures_user_day", "user_id", "company_id", "signed_at"),
    )


# Something a person must look at now (money may have left twice, money came back, an amount the
# bank booked differs, uploads failing): raised once per key, announced once.
@_table
def _alarms() -> Table:
    return Table(
        "alarms",
        _metadata,
        column("id", Integer, primary_key=True),
        column("key", String(200), unique=True),
        column("company_id", Integer, ForeignKey("companies.id"), index=True),
        column("payment_id", Integer, ForeignKey("payments.id"), index=True, nullable=True),
        column("batch_id", Integer, ForeignKey("batches.id"), nullable=True),
        column("kind", String(24)),
        column("message", Text),  # in English, for the log and the command line
        column("details", JSON),
        column("raised_at", UtcDateTime),
    )


# A message paybot posted that shows payments, so an action anywhere can update it in place.
@_table
def _slack_messages() -> Table:
    return Table(
        "slack_messages",
        _metadata,
        column("id", Integer, primary_key=True),
        column("company_id", Integer, ForeignKey("companies.id"), index=True),
        column("kind", String(20)),
        column("channel", String(40)),
        column("ts", String(40)),
        column("thread_ts", String(40), nullable=True),
        # The blocks above the payments (header, counts, totals), kept as they were posted.
        column("intro", JSON),
        column("created_at", UtcDateTime),
        UniqueConstraint("channel", "ts"),
    )


# The payments a Slack message shows, in their order.
@_table
def _slack_message_payments() -> Table:
    return Table(
        "slack_message_payments",
        _metadata,
        column("id", Integer, primary_key=True),
        column("message_id", Integer, ForeignKey("slack_messages.id"), index=True),
        column("payment_id", Integer, ForeignKey("payments.id"), index=True),
        column("position", Integer),
        UniqueConstraint("message_id", "payment_id"),
    )


# Work done once across all paybot processes: a day's post, an alert, a Slack event.
@_table
def _slack_claims() -> Table:
    return Table(
        "slack_claims",
        _metadata,
        column("id", Integer, primary_key=True),
        column("key", String(200), unique=True),
        column("company_id", Integer, ForeignKey("companies.id"), index=True, nullable=True),
        # Indexed for pruning: the claims of a kind last claimed before a moment.
        column("claimed_at", UtcDateTime, index=True),
        column("done_at", UtcDateTime, nullable=True),
        column("result", JSON, nullable=True),
    )


# Which process runs the scheduled jobs of this database (one at a time): the holder renews
# `renewed_at` while it holds the lease; another takes over once it has gone quiet.
@_table
def _scheduler_leases() -> Table:
    return Table(
        "scheduler_leases",
        _metadata,
        column("name", String(40), primary_key=True),
        column("holder", String(200)),  # host, pid and a random part
        column("acquired_at", UtcDateTime),
        column("renewed_at", UtcDateTime),
    )


# The last time each bank account's inbox was read, and the last time reading it failed.
@_table
def _bank_polls() -> Table:
    return Table(
        "bank_polls",
        _metadata,
        column(
            "bank_account_id", Integer, ForeignKey("company_bank_accounts.id"), primary_key=True
        ),
        column("succeeded_at", UtcDateTime, nullable=True),
        column("failed_at", UtcDateTime, nullable=True),
        column("error", Text, nullable=True),
    )


# A company's own general-ledger account for a role (core.vouchers.AccountRole); a role with no row
# here uses the standard account (core.vouchers.STANDARD_ACCOUNTS).
@_table
def _gl_accounts() -> Table:
    return Table(
        "gl_accounts",
        _metadata,
        column("id", Integer, primary_key=True),
        column("company_id", Integer, ForeignKey("companies.id")),
        column("role", String(20)),
        column("account", String(10)),
        column("set_at", UtcDateTime),
        UniqueConstraint("company_id", "role"),
    )


# The next voucher number of a company's series for a year. A posting takes its numbers by updating
# this row in its own transaction (which locks it): a rollback gives them back.
@_table
def _voucher_series() -> Table:
    return Table(
        "voucher_series",
        _metadata,
        column("company_id", Integer, ForeignKey("companies.id"), primary_key=True),
        column("year", Integer, primary_key=True, autoincrement=False),
        column("next_number", Integer),
    )


# A posted voucher (bilag): number `number` of its company's series for `year`.
@_table
def _vouchers() -> Table:
    return Table(
        "vouchers",
        _metadata,
        column("id", Integer, primary_key=True),
        column("company_id", Integer, ForeignKey("companies.id")),
        column("year", Integer),
        column("number", Integer),
        column("day", Date),
        column("text", String(200)),
        column("posted_at", UtcDateTime),
        column("posted_by_id", Integer, ForeignKey("users.id"), nullable=True),
        column("posted_by", String(200)),  # the actor's label
        UniqueConstraint("company_id", "year", "number"),
        Index("ix_vouchers_company_day", "company_id", "day"),
    )


# One line of a voucher: a debit or a credit in the company's currency (exact, as Money), the amount
# in the currency paid, and the party (supplier or customer) it is posted with.
@_table
def _voucher_lines() -> Table:
    return Table(
        "voucher_lines",
        _metadata,
        column("id", Integer, primary_key=True),
        column("voucher_id", Integer, ForeignKey("vouchers.id")),
        column("position", Integer),
        column("account", String(10)),
        column("debit", Money),
        column("credit", Money),
        column("currency", String(3)),
        column("amount_currency", Money),
        column("text", String(200)),
        column("party_kind", String(10), nullable=True),  # supplier | customer
        column("party_name", String(200), nullable=True),
        column("party_org_no", String(40), nullable=True),
        column("party_key", String(200), nullable=True),
        column("supplier_id", Integer, ForeignKey("suppliers.id"), nullable=True),
        column("payment_id", Integer, ForeignKey("payments.id"), nullable=True),
        Index("ix_voucher_lines_voucher", "voucher_id", "position"),
    )


# The payments a voucher posts: each payment at most once (its unique constraint).
@_table
def _voucher_payments() -> Table:
    return Table(
        "voucher_payments",
        _metadata,
        column("id", Integer, primary_key=True),
        column("voucher_id", Integer, ForeignKey("vouchers.id"), index=True),
        column("payment_id", Integer, ForeignKey("payments.id"), unique=True),
    )


# An open item of the customer ledger: an invoice the company sent, and what is left of it
# (`open_amount`); closed once nothing is.
@_table
def _customer_items() -> Table:
    return Table(
        "customer_items",
        _metadata,
        column("id", Integer, primary_key=True),
        column("company_id", Integer, ForeignKey("companies.id")),
        column("invoice_no", String(60)),
        column("customer_name", String(200)),
        column("customer_org_no", String(40), nullable=True),
        column("amount", Money),
        column("currency", String(3)),
        column("invoice_date", Date, nullable=True),
        column("due_date", Date, nullable=True),
        column("kid", String(25), nullable=True),
        column("open_amount", Money),
        column("status", String(8)),  # open | closed
        column("imported_at", UtcDateTime),
        UniqueConstraint("company_id", "invoice_no"),
        Index("ix_customer_items_company_kid", "company_id", "kid"),
    )


# A file of incoming payments (OCR Giro, camt.054), taken once per company: its hash.
@_table
def _incoming_files() -> Table:
    return Table(
        "incoming_files",
        _metadata,
        column("id", Integer, primary_key=True),
        column("company_id", Integer, ForeignKey("companies.id")),
        column("name", String(300)),
        column("sha256", String(64)),
        column("kind", String(20)),  # ocr_giro | camt.054
        column("received_at", UtcDateTime),
        column("summary", JSON, nullable=True),
        UniqueConstraint("company_id", "sha256"),
    )


# One incoming payment (or, negative, a reversal) and what became of it: matched, settled, partial
# or overpaid (posted against an invoice), unmatched (for a person), posted by hand, deleted (with
# the reason), or reversed (with the reversal that took it back).
@_table
def _incoming_payments() -> Table:
    return Table(
        "incoming_payments",
        _metadata,
        column("id", Integer, primary_key=True),
        column("company_id", Integer, ForeignKey("companies.id")),
        column("file_id", Integer, ForeignKey("incoming_files.id"), index=True),
        column("line", Integer, nullable=True),
        column("key", String(120)),
        column("account", String(40)),  # the company's account paid to
        column("amount", Money),  # negative: a reversal
        column("currency", String(3)),
        column("kid", String(40), nullable=True),
        column("payer_name", String(200), nullable=True),
        column("payer_account", String(40), nullable=True),
        column("message", Text, nullable=True),
        column("bank_reference", String(60), nullable=True),
        column("bank_code", String(8), nullable=True),
        column("payment_date", Date),
        column("reversal", Boolean, default=False),
        column("status", String(10)),
        # Why it matched nothing (core.incoming_match.Unmatched), in words too.
        column("reason", String(16), nullable=True),
        column("detail", Text, nullable=True),
        # The invoice it paid and how: cleared off it, held as credit, to the rounding account.
        column("customer_item_id", Integer, ForeignKey("customer_items.id"), nullable=True),
        column("cleared", Money, default=0),
        column("excess", Money, default=0),
        column("rounding", Money, default=0),
        column("voucher_id", Integer, ForeignKey("vouchers.id"), nullable=True),
        # A reversal and the payment it took back name each other.
        column("paired_with_id", Integer, ForeignKey("incoming_payments.id"), nullable=True),
        column("delete_reason", Text, nullable=True),
        column("handled_by_id", Integer, ForeignKey("users.id"), nullable=True),
        column("handled_at", UtcDateTime, nullable=True),
        column("version", Integer, default=1),
        column("created_at", UtcDateTime),
        column("updated_at", UtcDateTime),
        UniqueConstraint("company_id", "account", "key"),
        Index("ix_incoming_payments_company_status", "company_id", "status"),
        Index("ix_incoming_payments_company_kid", "company_id", "account", "kid"),
    )


# The EHF invoice or credit note an open item came from: kept as received (`document`), with
# what the details view shows (`summary`: lines, note; `warnings`: the rules' warnings).
@_table
def _ehf_documents() -> Table:
    return Table(
        "ehf_documents",
        _metadata,
        column("id", Integer, primary_key=True),
        column("company_id", Integer, ForeignKey("companies.id")),
        column("open_item_id", Integer, ForeignKey("open_items.id"), unique=True),
        column("file_name", String(300)),
        column("sha256", String(64)),
        column("profile", String(24)),
        column("customization_id", String(300)),
        column("kind", String(12)),
        column("type_code", String(4)),
        column("seller_name", String(200)),
        column("seller_org_no", String(40), nullable=True),
        column("payee_name", String(200), nullable=True),
        column("payee_org_no", String(40), nullable=True),
        column("bic", String(11), nullable=True),
        column("account_kind", String(5), nullable=True),
        column("summary", JSON),
        column("warnings", JSON),
        column("document", LargeBinary),
        column("imported_at", UtcDateTime),
    )


# A company's chart of accounts (kontoplan): the GL accounts its ledger has, by number, with their
# names, and whether a person may post an incoming payment to one by hand. A company without rows
# here has no chart: any GL account number may be posted to by hand. An account a later import
# no longer has is kept, closed for posting by hand (its name still names what was posted to it).
@_table
def _chart_accounts() -> Table:
    return Table(
        "chart_accounts",
        _metadata,
        column("id", Integer, primary_key=True),
        column("company_id", Integer, ForeignKey("companies.id")),
        column("number", String(10)),
        column("name", String(256)),  # core.chart_of_accounts.NAME_LENGTH
        column("by_hand", Boolean, default=True),
        column("updated_at", UtcDateTime),
        UniqueConstraint("company_id", "number"),
    )


if TYPE_CHECKING:
    # What the functions above make, as the type checker sees the module (every table, written
    # in their order; tests/cli/test_cli_startup.py holds the two lists equal).
    metadata: MetaData
    companies: Table
    company_bank_accounts: Table
    suppliers: Table
    open_items: Table
    batches: Table
    batch_payments: Table
    return_files: Table
    payments: Table
    users: Table
    user_roles: Table
    audit_events: Table
    signer_limits: Table
    exchange_rates: Table
    otp_devices: Table
    signatures: Table
    alarms: Table
    slack_messages: Table
    slack_message_payments: Table
    slack_claims: Table
    scheduler_leases: Table
    bank_polls: Table
    gl_accounts: Table
    voucher_series: Table
    vouchers: Table
    voucher_lines: Table
    voucher_payments: Table
    customer_items: Table
    incoming_files: Table
    incoming_payments: Table
    ehf_documents: Table
    chart_accounts: Table

else:

    def __getattr__(name: str) -> object:
        """A table, made when first asked for; `metadata`, with every table made."""
        if name == "metadata":
            for each in _MAKERS:
                _made(each)
            globals()["metadata"] = _metadata
            return _metadata
        if name in _MAKERS:
            return _made(name)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
