"""What bank files carry, as plain objects: the order paybot sends and what the bank answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from paybot.core.errors import PaybotError
from paybot.core.payments import ReferenceType


class BankFileRejected(PaybotError):
    """A bank file that cannot be taken, whole: says which file and where."""

    code = "bank_file_rejected"

    def __init__(
        self,
        source: str,
        problem: str,
        line: int | None = None,
        *,
        end_to_end_id: str | None = None,
    ) -> None:
        self.source, self.problem, self.line = source, problem, line
        # The payment at fault, where the problem is the payment's own (not the file's, the
        # block's or the company's): it alone could not go in any file.
        self.end_to_end_id = end_to_end_id
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {problem}")


class Pain001Version(StrEnum):
    V03 = "pain.001.001.03"
    V09 = "pain.001.001.09"


# --- pain.001: what paybot sends ----------------------------------------------------------------


@dataclass(frozen=True)
class PostalAddress:
    """A postal address as ISO 20022 structures it (PstlAdr)."""

    street: str | None = None  # StrtNm, at most 70
    building_no: str | None = None  # BldgNb, at most 16
    post_code: str | None = None  # PstCd, at most 16
    town: str | None = None  # TwnNm, at most 35
    country: str | None = None  # Ctry, ISO 3166 alpha-2


@dataclass(frozen=True)
class Party:
    name: str
    org_no: str | None = None
    address: PostalAddress | None = None


@dataclass(frozen=True)
class RegulatoryReport:
    """The purpose of a payment abroad, for the Currency Register (RgltryRptg): a code of
    Norges Bank's list and a short text."""

    code: str
    text: str


@dataclass(frozen=True)
class CreditTransfer:
    """One payment (CdtTrfTxInf)."""

    end_to_end_id: str  # 1-35 characters, unique for ever
    instruction_id: str  # 1-35 characters
    amount: Decimal
    currency: str
    creditor: Party
    creditor_account: str  # compact: an 11-digit BBAN, an IBAN, or a foreign account number
    reference_type: ReferenceType  # kid, message or invoice
    reference: str
    # CdtrAgt: optional at home and in SEPA, required abroad where the account is not an IBAN.
    creditor_bic: str | None = None
    regulatory_report: RegulatoryReport | None = None  # written for payments abroad only
    uetr: str | None = None  # a lower-case UUID v4; written in pain.001.001.09 only


@dataclass(frozen=True)
class PaymentBlock:
    """One PmtInf: payments from one account, on one execution date, of one payment type
    (core.payment_types; the payee's country is its address's), with one charge bearer and
    service level. The writer refuses a block that mixes payment types."""

    payment_info_id: str  # 1-35 characters, unique for ever
    debtor_account: str  # compact BBAN or IBAN
    execution_date: date
    transfers: Sequence[CreditTransfer]
    # The company's bank (core.bank_profiles.debtor_bic). None: `Othr/Id` NOTPROVIDED, which only
    # a domestic block takes, and only where the bank profile allows it.
    debtor_bic: str | None = None
    # None: the payment type's default (core.bank_profiles.BankProfile.charge_bearer). SEPA takes
    # SLEV alone; the others DEBT, CRED or SHAR.
    charge_bearer: str | None = None
    urgent: bool = False  # SvcLvl URGP: cross-border blocks only


@dataclass(frozen=True)
class PaymentOrder:
    """A whole pain.001 file."""

    message_id: str  # 1-35 characters, unique for ever
    created_at: datetime
    initiator: Party
    debtor: Party
    blocks: Sequence[PaymentBlock]


# --- pain.002: what the bank says about an order ------------------------------------------------


class StatusLevel(StrEnum):
    GROUP = "group"
    PAYMENT_INFO = "payment_info"
    TRANSACTION = "transaction"


@dataclass(frozen=True)
class StatusReport:
    """One status in a pain.002, at group, payment-info or transaction level."""

    level: StatusLevel
    original_message_id: str
    status: str | None  # ACTC, ACCP, ACSP, ACSC, RJCT, PART, PDNG, ... kept even when unknown
    original_payment_info_id: str | None = None
    original_end_to_end_id: str | None = None
    reason_codes: tuple[str, ...] = ()
    additional_info: tuple[str, ...] = ()


@dataclass(frozen=True)
class StatusFile:
    message_id: str
    created_at: datetime | None
    version: str  # e.g. pain.002.001.03
    reports: tuple[StatusReport, ...]


# --- camt.054: what was booked on an account ----------------------------------------------------


@dataclass(frozen=True)
class EntryTransaction:
    """A TxDtls of an entry: one payment inside a booking."""

    end_to_end_id: str | None = None
    instruction_id: str | None = None
    payment_info_id: str | None = None
    message_id: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    kid: str | None = None
    message: str | None = None
    debtor_name: str | None = None
    debtor_account: str | None = None
    return_reason: str | None = None
    # The amount as ordered (AmtDtls/InstdAmt), where the bank names it: for a payment in another
    # currency than the account's, `amount` is what the account was debited, this what was sent.
    instructed_amount: Decimal | None = None
    instructed_currency: str | None = None
    # Where in the file it stands (its TxDtls), not what it says: left out of ==.
    line: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Entry:
    """An Ntry: one booking (or pending/info line) on the account."""

    account: str | None
    amount: Decimal
    currency: str
    direction: str  # DBIT or CRDT
    status: str  # BOOK, PDNG, INFO (v02) or the Sts/Cd (v08)
    booking_date: date | None
    value_date: date | None
    bank_reference: str | None
    reversal: bool = False
    batch_message_id: str | None = None
    batch_payment_info_id: str | None = None
    transactions: tuple[EntryTransaction, ...] = field(default_factory=tuple)
    # Where in the file it stands (its Ntry), not what it says: left out of ==.
    line: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Notification:
    """A camt.054 file's header; its entries are read one by one."""

    message_id: str
    created_at: datetime | None
    version: str  # e.g. camt.054.001.02
