"""What a payment is, as the domain sees it: flags, reasons and plain value objects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from paybot.core.signing import WhySecond
from paybot.core.states import PaymentStatus


class Flag(StrEnum):
    BLUE = "blue"
    ORANGE = "orange"
    RED = "red"


class ReferenceType(StrEnum):
    KID = "kid"
    MESSAGE = "message"
    INVOICE = "invoice"
    EMPTY = "empty"


class Reason(StrEnum):
    MISSING_ACCOUNT = "missing_account"
    INVALID_ACCOUNT = "invalid_account"
    NON_POSITIVE_AMOUNT = "non_positive_amount"
    MISSING_REFERENCE = "missing_reference"
    INVALID_KID = "invalid_kid"
    UNSUPPORTED_CURRENCY = "unsupported_currency"
    TAX_ACCOUNT_UNSUPPORTED = "tax_account_unsupported"
    # The payee's name has nothing a payment file keeps (core.bankfiles.pain001.as_written).
    INVALID_NAME = "invalid_name"
    # Payments abroad (core.payment_types): what the bank and the Currency Register need.
    MISSING_ADDRESS = "missing_address"
    MISSING_BIC = "missing_bic"
    MISSING_PURPOSE = "missing_purpose"
    OPEN_CREDIT_ITEMS = "open_credit_items"
    ACCOUNT_CHANGED = "account_changed"
    POSSIBLE_DUPLICATE = "possible_duplicate"

    @property
    def is_blocking(self) -> bool:
        return self in RED_REASONS

    @property
    def description(self) -> str:
        return REASON_TEXTS[self]


RED_REASONS = frozenset(
    {
        Reason.MISSING_ACCOUNT,
        Reason.INVALID_ACCOUNT,
        Reason.NON_POSITIVE_AMOUNT,
        Reason.MISSING_REFERENCE,
        Reason.INVALID_KID,
        Reason.UNSUPPORTED_CURRENCY,
        Reason.TAX_ACCOUNT_UNSUPPORTED,
        Reason.INVALID_NAME,
        Reason.MISSING_ADDRESS,
        Reason.MISSING_BIC,
        Reason.MISSING_PURPOSE,
    }
)

REASON_TEXTS = {
    Reason.MISSING_ACCOUNT: "No payee account number",
    Reason.INVALID_ACCOUNT: "The payee account number is not valid",
    Reason.NON_POSITIVE_AMOUNT: "The amount is zero or negative (a credit note or earlier payment)",
    Reason.MISSING_REFERENCE: "No payment reference (KID or message)",
    Reason.INVALID_KID: "The KID has a wrong check digit or format",
    Reason.UNSUPPORTED_CURRENCY: "The currency is not an ISO 4217 currency",
    Reason.TAX_ACCOUNT_UNSUPPORTED: (
        "The payee account is the company's tax-withholding account, "
        "and its bank does not support tax-withholding accounts"
    ),
    Reason.INVALID_NAME: (
        "The payee's name has no letters a bank takes: write it in Latin letters"
    ),
    Reason.MISSING_ADDRESS: (
        "Payment abroad: the payee's town and country are needed (fill in the payee's address)"
    ),
    Reason.MISSING_BIC: (
        "Payment abroad: the payee's account is not an IBAN, so a valid BIC (SWIFT code) of "
        "the payee's bank is needed"
    ),
    Reason.MISSING_PURPOSE: (
        "Payment abroad above the reporting threshold (NOK 100,000 unless the company set "
        "another), or without an exchange rate to NOK: the Currency Register needs a purpose "
        "code from Norges Bank's list and a short text"
    ),
    Reason.OPEN_CREDIT_ITEMS: "The supplier has open credit notes or earlier payments",
    Reason.ACCOUNT_CHANGED: "The payee account differs from the supplier's known account",
    Reason.POSSIBLE_DUPLICATE: "Another invoice from this supplier looks the same",
}

# Order in which reasons are listed: blocking first, in a stable order.
REASON_ORDER = {reason: index for index, reason in enumerate(Reason)}


def flag_for(reasons: frozenset[Reason] | set[Reason]) -> Flag:
    if any(reason.is_blocking for reason in reasons):
        return Flag.RED
    return Flag.ORANGE if reasons else Flag.BLUE


def sorted_reasons(reasons: frozenset[Reason] | set[Reason]) -> tuple[Reason, ...]:
    return tuple(sorted(reasons, key=REASON_ORDER.__getitem__))


@dataclass(frozen=True)
class PayeeDetails:
    """What a payment abroad needs of its payee beyond name and account (store.tables'
    PAYEE_DETAILS): the postal address, the payee's bank's BIC, who bears the charges, and the
    purpose reported to the Currency Register. Every field may be missing."""

    street: str | None = None
    building_no: str | None = None
    post_code: str | None = None
    town: str | None = None
    country: str | None = None  # ISO 3166 alpha-2
    bic: str | None = None
    charge_bearer: str | None = None  # DEBT, CRED or SHAR; None: the payment type's default
    purpose_code: str | None = None
    purpose_text: str | None = None


NO_PAYEE_DETAILS = PayeeDetails()


def payee_details(values: Sequence[str | None]) -> PayeeDetails:
    """The details of these values, in PayeeDetails' order (a row's PAYEE_DETAILS columns); one
    shared empty object for a payee without any, as most domestic payments are."""
    return PayeeDetails(*values) if any(values) else NO_PAYEE_DETAILS


@dataclass(frozen=True)
class PaymentView:
    """A payment as services return it and the CLI, JSON and Slack render it."""

    id: int
    company_org_no: str
    status: PaymentStatus
    flag: Flag
    reasons: tuple[Reason, ...]
    payee: str
    account: str | None
    amount: Decimal
    currency: str
    due_date: date | None
    reference_type: ReferenceType
    reference: str | None
    voucher_no: str
    invoice_no: str | None
    version: int
    supplier_id: int
    signature_round: int = 1
    changed_by_id: int | None = None
    approved_by_id: int | None = None
    batch_id: int | None = None
    bank_status: str | None = None
    # Failed: rejected, no_return, checked_not_left (netbank checked) or returned (money came
    # back); On hold: twice (another send may leave too) or amount (the booking differs).
    failure_kind: str | None = None
    failure_reason: str | None = None
    bank_text: str | None = None
    updated_at: datetime | None = None
    steps: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    # Who changed account or reference since the last approval by someone else (user ids).
    editors: tuple[int, ...] = ()
    payee_details: PayeeDetails = NO_PAYEE_DETAILS
    urgent: bool = False


@dataclass(frozen=True)
class LastStep:
    """The newest step taken on a payment: what, by whom (a Slack id or a label), when."""

    action: str
    slack_user_id: str | None
    label: str
    at: datetime
    # A first signature: why it waits for a second signer (as the signature said it).
    why: WhySecond | None = None
