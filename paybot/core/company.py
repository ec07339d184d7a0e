"""A company using paybot, its settings and its bank accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from decimal import Decimal
from enum import StrEnum

# The amount (in NOK, or its equivalent) above which a payment abroad needs its purpose reported
# to the Currency Register (Valutaregisteret): the default of the company setting.
REPORTING_THRESHOLD_NOK = Decimal("100000")


class DispatchTiming(StrEnum):
    """When signed (Due) payments are sent to the bank."""

    IMMEDIATE = "immediate"
    ONE_DAY = "1d"
    TWO_DAYS = "2d"
    THREE_DAYS = "3d"
    DUE = "due"


class PostingMode(StrEnum):
    PER_PAYMENT = "per_payment"
    PER_BATCH = "per_batch"


class Language(StrEnum):
    EN = "en"
    NB = "nb"


@dataclass(frozen=True)
class BankAccount:
    account: str
    scheme: str
    bank: str | None
    bic: str | None
    incoming: bool
    outgoing: bool
    gl_account: str
    tax_withholding: bool


@dataclass(frozen=True)
class CompanyInfo:
    id: int
    org_no: str
    name: str
    currency: str
    dispatch_timing: DispatchTiming
    approval_required: bool
    dual_control_threshold: Decimal | None
    posting_mode: PostingMode
    language: Language
    accounts: tuple[BankAccount, ...] = ()
    proposals_channel: str | None = None
    alerts_channel: str | None = None
    post_at: time = time(8, 0)  # the daily proposals post, business time zone
    # The largest difference that still closes an invoice an incoming payment pays
    # (øreavrunding), in the company's currency.
    rounding_tolerance: Decimal = Decimal(0)
    # Payments abroad above this many NOK carry their purpose (the Currency Register).
    reporting_threshold: Decimal = REPORTING_THRESHOLD_NOK
