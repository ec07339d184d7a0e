"""Exchange rates: what a payment in another currency is worth in the company's currency."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from paybot.core.errors import ValidationFailed
from paybot.core.money import RATE_SCALE, is_iso_currency
from paybot.core.policy import Actor
from paybot.services.common import SYSTEM, audit
from paybot.services.proposals import REFLAGGED, reflag
from paybot.store.uow import UnitOfWork


def set_rate(
    uow: UnitOfWork,
    *,
    currency: str,
    rate: Decimal,
    valid_from: date,
    quote_currency: str = "NOK",
    now: datetime,
    actor: Actor = SYSTEM,
) -> None:
    """`rate` units of `quote_currency` buy one unit of `currency`, from `valid_from` on.

    A rate to NOK may take a payment abroad above the company's reporting threshold, or below
    it: every company's payments in `currency` whose flags still matter are flagged again, in
    the same transaction.
    """
    currency, quote_currency = currency.upper(), quote_currency.upper()
    errors = {}
    for field, code in (("currency", currency), ("quote_currency", quote_currency)):
        if not is_iso_currency(code):
            errors[field] = f"{code!r} is not an ISO 4217 currency"
    if currency == quote_currency:
        errors["currency"] = "a currency's rate to itself is always 1"
    if rate <= 0:
        errors["rate"] = f"a rate must be above zero, not {rate}"
    elif rate != rate.quantize(Decimal(1).scaleb(-RATE_SCALE)):
        errors["rate"] = f"at most {RATE_SCALE} decimals"
    if errors:
        raise ValidationFailed(errors)
    with uow:
        before = uow.rates.set(currency, quote_currency, valid_from, rate, now)
        reflagged = 0
        if quote_currency == "NOK":  # the purpose rule reads rates to NOK only
            paying = uow.payments.suppliers_paying_in(currency, REFLAGGED)
            for company_id, supplier_ids in sorted(paying.items()):
                reflagged += reflag(uow, company_id, supplier_ids)
        audit(
            uow,
            actor=actor,
            action="rate.set",
            now=now,
            before=None if before is None else {"rate": str(before)},
            after={"rate": str(rate)},
            details={
                "currency": currency,
                "quote_currency": quote_currency,
                "valid_from": valid_from.isoformat(),
                "reflagged": reflagged,
            },
        )
        uow.commit()


def list_rates(uow: UnitOfWork) -> list[tuple[str, str, date, Decimal]]:
    with uow:
        return uow.rates.all()
