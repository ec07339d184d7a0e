"""Repositories for signing: limits, exchange rates, one-time-code devices, signatures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    ColumnExpressionArgument,
    Select,
    Table,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session, aliased

from paybot.core.flags import Reporting
from paybot.core.otp import OtpState
from paybot.core.signing import SignerLimits
from paybot.store.ledger import last_paid_account
from paybot.store.models import (
    Company,
    ExchangeRate,
    OtpDevice,
    Payment,
    Signature,
    SignerLimit,
    Supplier,
    User,
)


class LimitRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, user_id: int, company_id: int) -> SignerLimits:
        row = self._row(user_id, company_id)
        if row is None:
            return SignerLimits()
        return SignerLimits(per_payment=row.max_per_payment, per_day=row.max_per_day)

    def set(self, user_id: int, company_id: int, limits: SignerLimits) -> None:
        row = self._row(user_id, company_id)
        if row is None:
            row = SignerLimit(user_id=user_id, company_id=company_id)
            self._session.add(row)
        row.max_per_payment, row.max_per_day = limits.per_payment, limits.per_day
        self._session.flush()

    def remove(self, user_id: int, company_id: int) -> None:
        self._session.execute(
            delete(SignerLimit).where(
                SignerLimit.user_id == user_id, SignerLimit.company_id == company_id
            )
        )

    def lock(self, user_id: int, company_id: int) -> SignerLimits:
        """The signer's limits, locked: one signer's signatures in a company are serialized, so a
        daily limit holds under races."""
        row = self._session.execute(
            _LOCKED_LIMITS, {"user_id": user_id, "company_id": company_id}
        ).first()
        return SignerLimits() if row is None else SignerLimits(per_payment=row[0], per_day=row[1])

    def _row(self, user_id: int, company_id: int) -> SignerLimit | None:
        return self._session.scalar(
            select(SignerLimit).where(
                SignerLimit.user_id == user_id, SignerLimit.company_id == company_id
            )
        )


class RateRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def set(
        self, currency: str, quote_currency: str, valid_from: date, rate: Decimal, now: datetime
    ) -> Decimal | None:
        """Sets the rate from a date; returns the rate it replaced on that date, if any."""
        row = self._session.scalar(
            select(ExchangeRate).where(
                ExchangeRate.currency == currency,
                ExchangeRate.quote_currency == quote_currency,
                ExchangeRate.valid_from == valid_from,
            )
        )
        before = None if row is None else row.rate
        if row is None:
            row = ExchangeRate(
                currency=currency, quote_currency=quote_currency, valid_from=valid_from
            )
            self._session.add(row)
        row.rate, row.set_at = rate, now
        self._session.flush()
        return before

    def on(self, currency: str, quote_currency: str, day: date) -> Decimal | None:
        """The rate in force on `day`: the newest set from that day or before."""
        found = self.dated_on(currency, quote_currency, day)
        return None if found is None else found[0]

    def dated_on(
        self, currency: str, quote_currency: str, day: date
    ) -> tuple[Decimal, date] | None:
        """The rate in force on `day` (see `on`) and the day it was set from."""
        row = self._session.execute(
            select(ExchangeRate.rate, ExchangeRate.valid_from)
            .where(
                ExchangeRate.currency == currency,
                ExchangeRate.quote_currency == quote_currency,
                ExchangeRate.valid_from <= day,
            )
            .order_by(ExchangeRate.valid_from.desc())
            .limit(1)
        ).first()
        return None if row is None else (row.rate, row.valid_from)

    def reporting(self, company_id: int) -> Reporting:
        """What the Currency Register's purpose rule needs besides the payments: the newest rate
        of every currency to NOK (one statement, however many currencies) and the company's
        reporting threshold."""
        newest = (
            select(ExchangeRate.currency, func.max(ExchangeRate.valid_from).label("valid_from"))
            .where(ExchangeRate.quote_currency == "NOK")
            .group_by(ExchangeRate.currency)
            .subquery()
        )
        rates = select(ExchangeRate.currency, ExchangeRate.rate).join(
            newest,
            and_(
                ExchangeRate.quote_currency == "NOK",
                ExchangeRate.currency == newest.c.currency,
                ExchangeRate.valid_from == newest.c.valid_from,
            ),
        )
        threshold = self._session.scalar(
            select(Company.reporting_threshold).where(Company.id == company_id)
        )
        nok_rates = {currency: rate for currency, rate in self._session.execute(rates)}
        if threshold is None:
            return Reporting(nok_rates)
        return Reporting(nok_rates, threshold)

    def all(self) -> list[tuple[str, str, date, Decimal]]:
        query = select(
            ExchangeRate.currency,
            ExchangeRate.quote_currency,
            ExchangeRate.valid_from,
            ExchangeRate.rate,
        ).order_by(ExchangeRate.currency, ExchangeRate.valid_from)
        return [(row[0], row[1], row[2], row[3]) for row in self._session.execute(query)]


class OtpRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, user_id: int, *, lock: bool = False) -> tuple[str, OtpState] | None:
        """(encrypted secret, state) of the user's device; `lock` holds it until commit."""
        query = _LOCKED_DEVICE if lock else _DEVICE
        row = self._session.execute(query, {"user_id": user_id}).first()
        if row is None:
            return None
        state = OtpState(
            active=row.active,
            last_used_step=row.last_used_step,
            failures=row.failures,
            locked_until=row.locked_until,
        )
        return row.secret_encrypted, state

    def enroll(self, user_id: int, secret_encrypted: str, now: datetime) -> None:
        """A new, not yet confirmed device; replaces any earlier one."""
        self._session.execute(delete(OtpDevice).where(OtpDevice.user_id == user_id))
        self._session.add(
            OtpDevice(
                user_id=user_id,
                secret_encrypted=secret_encrypted,
                active=False,
                created_at=now,
                failures=0,
            )
        )
        self._session.flush()

    def save(self, user_id: int, state: OtpState, *, confirmed_at: datetime | None = None) -> None:
        values: dict[str, object] = {
            "device_user": user_id,
            "new_active": state.active,
            "new_last_used_step": state.last_used_step,
            "new_failures": state.failures,
            "new_locked_until": state.locked_until,
        }
        if confirmed_at is None:
            self._session.execute(_SAVE_DEVICE, values)
        else:
            self._session.execute(_CONFIRM_DEVICE, {**values, "new_confirmed_at": confirmed_at})

    def remove(self, user_id: int) -> bool:
        result = self._session.execute(delete(OtpDevice).where(OtpDevice.user_id == user_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def all_secrets(self) -> list[tuple[int, str]]:
        query = select(OtpDevice.id, OtpDevice.secret_encrypted).order_by(OtpDevice.id)
        return [(row[0], row[1]) for row in self._session.execute(query)]

    def replace_secret(self, device_id: int, secret_encrypted: str) -> None:
        self._session.execute(
            update(OtpDevice)
            .where(OtpDevice.id == device_id)
            .values(secret_encrypted=secret_encrypted)
        )


@dataclass(frozen=True)
class SigningFacts:
    """What a signature on one payment depends on besides the payment and the signer's limits."""

    signature_round: int  # the payment's round these were read for
    registered_account: str | None  # the supplier's
    last_paid_account: str | None  # the account the supplier was last paid to
    signers: frozenset[int]  # who signed the round so far (standing signatures)
    # What the signer signed in the payment's company in the period asked about.
    signed_in_period: Decimal


def signed_between(
    user_id: ColumnExpressionArgument[int], company_id: ColumnExpressionArgument[int]
) -> Select[Any]:
    """What a signer signed in a company from :start to before :end, standing signatures only:
    what a daily limit counts."""
    signed = aliased(Signature)
    return select(func.coalesce(func.sum(signed.amount_company), 0)).where(
        signed.user_id == user_id,
        signed.company_id == company_id,
        signed.signed_at >= bindparam("start"),
        signed.signed_at < bindparam("end"),
        signed.voided_at.is_(None),
    )


class SignatureRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def facts(
        self, user_id: int, payment_ids: Sequence[int], start: datetime, end: datetime
    ) -> dict[int, SigningFacts]:
        """Per payment, for `user_id` signing it: its supplier's known accounts (as
        LedgerRepository.known_accounts reads them), who signed its current round, and what the
        user signed in its company between `start` and `end`; one statement for all of them.

        Read once the payments and the user's limits are locked: the statement's snapshot must
        see every signature that was committed before those locks were granted."""
        # Through the connection: no ORM object is loaded, so the session's ORM step is skipped.
        rows = (
            self._session.connection()
            .execute(
                _FACTS, {"ids": list(payment_ids), "user_id": user_id, "start": start, "end": end}
            )
            .all()
        )
        signers: dict[int, set[int]] = {row.id: set() for row in rows}
        for row in rows:
            if row.signer is not None:
                signers[row.id].add(row.signer)
        return {
            row.id: SigningFacts(
                signature_round=row.signature_round,
                registered_account=row.registered_account,
                last_paid_account=row.last_paid_account,
                signers=frozenset(signers[row.id]),
                signed_in_period=(
                    row.signed_in_period
                    if isinstance(row.signed_in_period, Decimal)
                    else Decimal(0)
                ),
            )
            for row in rows
        }

    def signers(self, payment_id: int, round_no: int) -> frozenset[int]:
        return frozenset(
            self._session.scalars(_SIGNERS, {"payment_id": payment_id, "round_no": round_no})
        )

    def names(self, payment_id: int, round_no: int) -> list[str]:
        """Who has signed the payment in its current round, in the order they signed."""
        query = (
            select(User.name)
            .join(Signature, Signature.user_id == User.id)
            .where(
                Signature.payment_id == payment_id,
                Signature.round == round_no,
                Signature.voided_at.is_(None),
            )
            .order_by(Signature.signed_at, Signature.id)
        )
        return list(self._session.scalars(query))

    def add(
        self,
        *,
        payment_id: int,
        user_id: int,
        company_id: int,
        round_no: int,
        signed_at: datetime,
        amount_company: Decimal,
    ) -> None:
        self._session.execute(
            _INSERT_SIGNATURE,
            {
                "payment_id": payment_id,
                "user_id": user_id,
                "company_id": company_id,
                "round": round_no,
                "signed_at": signed_at,
                "amount_company": amount_company,
            },
        )

    def void(self, payment_id: int, now: datetime) -> int:
        """Voids the payment's standing signatures; returns how many there were."""
        result = self._session.execute(
            update(Signature)
            .where(Signature.payment_id == payment_id, Signature.voided_at.is_(None))
            .values(voided_at=now)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def total_since(self, user_id: int, company_id: int, start: datetime, end: datetime) -> Decimal:
        """What a signer signed in a company between two instants (standing signatures only)."""
        total = self._session.scalar(
            _SIGNED_BETWEEN,
            {"user_id": user_id, "company_id": company_id, "start": start, "end": end},
        )
        return total if isinstance(total, Decimal) else Decimal(0)


# Statements of every signature, built once: composing one costs more than running it.
_LOCKED_LIMITS = (
    select(SignerLimit.max_per_payment, SignerLimit.max_per_day)
    .where(
        SignerLimit.user_id == bindparam("user_id"),
        SignerLimit.company_id == bindparam("company_id"),
    )
    .with_for_update()
)
_DEVICE = select(
    OtpDevice.secret_encrypted,
    OtpDevice.active,
    OtpDevice.last_used_step,
    OtpDevice.failures,
    OtpDevice.locked_until,
).where(OtpDevice.user_id == bindparam("user_id"))
_LOCKED_DEVICE = _DEVICE.with_for_update()
_DEVICES = cast(Table, OtpDevice.__table__)
_SAVE_DEVICE = (
    update(_DEVICES)
    .where(_DEVICES.c.user_id == bindparam("device_user"))
    .values(
        active=bindparam("new_active"),
        last_used_step=bindparam("new_last_used_step"),
        failures=bindparam("new_failures"),
        locked_until=bindparam("new_locked_until"),
    )
)
_CONFIRM_DEVICE = _SAVE_DEVICE.values(confirmed_at=bindparam("new_confirmed_at"))
_SIGNERS = select(Signature.user_id).where(
    Signature.payment_id == bindparam("payment_id"),
    Signature.round == bindparam("round_no"),
    Signature.voided_at.is_(None),
)
_SIGNED_BETWEEN = signed_between(bindparam("user_id"), bindparam("company_id"))
_INSERT_SIGNATURE = insert(cast(Table, Signature.__table__))

_SIGNER = aliased(Signature)
# Per payment, the rules of LedgerRepository.known_accounts and total_since, in one statement
# (tests/store/test_signing_facts.py holds them to the same answers).
_LAST_PAID_TO = last_paid_account(Payment.company_id, Payment.supplier_id).correlate(Payment)
_SIGNED_IN_PERIOD = (
    signed_between(bindparam("user_id"), Payment.company_id).scalar_subquery().correlate(Payment)
)
# A row per standing signature of the payment's current round (one with no signer if none).
_FACTS = (
    select(
        Payment.id,
        Payment.signature_round,
        Supplier.registered_account,
        case((Supplier.id.is_not(None), _LAST_PAID_TO)).label("last_paid_account"),
        _SIGNED_IN_PERIOD.label("signed_in_period"),
        _SIGNER.user_id.label("signer"),
    )
    .select_from(Payment)
    .outerjoin(
        Supplier,
        and_(Supplier.id == Payment.supplier_id, Supplier.company_id == Payment.company_id),
    )
    .outerjoin(
        _SIGNER,
        and_(
            _SIGNER.payment_id == Payment.id,
            _SIGNER.round == Payment.signature_round,
            _SIGNER.voided_at.is_(None),
        ),
    )
    .where(Payment.id.in_(bindparam("ids", expanding=True)))
)
