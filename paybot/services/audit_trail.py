"""The audit trail: a payment's history, and a check that no event was changed or removed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from paybot.services.payments import load_payment
from paybot.store.uow import UnitOfWork


@dataclass(frozen=True)
class Verification:
    events: int
    broken_at: int | None
    problem: str | None
    head: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify(uow: UnitOfWork) -> Verification:
    """Recomputes the hash chain from the first event; names the first that does not match."""
    with uow:
        broken = uow.audit.first_broken_link()
        count = uow.audit.count()
        head = uow.audit.head()
    if broken is None:
        return Verification(events=count, broken_at=None, problem=None, head=head)
    return Verification(events=count, broken_at=broken[0], problem=broken[1])


def history(uow: UnitOfWork, *, payment_id: int) -> list[dict[str, Any]]:
    with uow:
        load_payment(uow, payment_id)  # a clear error for an unknown payment
        return uow.audit.for_payment(payment_id)


def latest(uow: UnitOfWork, *, limit: int = 50, action: str | None = None) -> list[dict[str, Any]]:
    """The newest events of the whole trail: codes, locks, roles, limits, rates, payments."""
    with uow:
        return uow.audit.latest(limit, action)
