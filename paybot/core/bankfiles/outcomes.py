"""What a bank's answer means for a payment: paid, rejected, or only a status on the way."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from paybot.core.bankfiles.model import StatusReport

# Settled on our account: the money has left.
PAID_STATUSES = frozenset({"ACSC"})
REJECTED_STATUSES = frozenset({"RJCT"})


class Outcome(StrEnum):
    PAID = "paid"
    REJECTED = "rejected"
    STATUS = "status"  # accepted, pending, received: still Processing, with the status shown


@dataclass(frozen=True)
class LineOutcome:
    outcome: Outcome
    bank_status: str | None
    reason_codes: tuple[str, ...] = ()
    bank_text: str | None = None


def outcome_of(report: StatusReport) -> LineOutcome | None:
    """None for PART (only its transactions' own statuses say anything) or no status at all."""
    status = (report.status or "").upper() or None
    if status is None or status == "PART":
        return None
    if status in REJECTED_STATUSES:
        kind = Outcome.REJECTED
    elif status in PAID_STATUSES:
        kind = Outcome.PAID
    else:
        kind = Outcome.STATUS
    text = " / ".join(report.additional_info) or None
    return LineOutcome(kind, status, tuple(report.reason_codes), text)
