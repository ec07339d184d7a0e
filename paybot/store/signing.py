"""Repositories for signing: limits, exchange rates, one-time-code devices, signatures."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import cast

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from paybot.core.otp import OtpState
from paybot.core.signing import SignerLimits
from paybot.store.models import ExchangeRate, OtpDevice, Signature, SignerLimit, User


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
        return self._session.scalar(
            select(ExchangeRate.rate)
            .where(
                ExchangeRate.currency == currency,
                ExchangeRate.quote_currency == quote_currency,
                ExchangeRate.valid_from <= day,
            )
            .order_by(ExchangeRate.valid_from.desc())
            .limit(1)
        )

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
            "active": state.active,
            "last_used_step": state.last_used_step,
            "failures": state.failures,
            "locked_until": state.locked_until,
        }
        if confirmed_at is not None:
            values["confirmed_at"] = confirmed_at
        self._session.execute(update(OtpDevice).where(OtpDevice.user_id == user_id).values(values))

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


class SignatureRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

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
_SIGNERS = select(Signature.user_id).where(
    Signature.payment_id == bindparam("payment_id"),
    Signature.round == bindparam("round_no"),
    Signature.voided_at.is_(None),
)
_SIGNED_BETWEEN = select(func.coalesce(func.sum(Signature.amount_company), 0)).where(
    Signature.user_id == bindparam("user_id"),
    Signature.company_id == bindparam("company_id"),
    Signature.signed_at >= bindparam("start"),
    Signature.signed_at < bindparam("end"),
    Signature.voided_at.is_(None),
)
_INSERT_SIGNATURE = insert(cast(Table, Signature.__table__))
