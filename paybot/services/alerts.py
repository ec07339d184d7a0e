"""What each company's alerts channel should hear now: alarms (money may leave twice, money came
back, another amount booked, uploads failing or broken off), payments the bank rejected, payments
with no return, payments with no answer for a while, and batches paid.

Every alert has a key; posting it is claimed under that key (`slack_records.claim`), so it is
announced once however many paybot processes run, and never read here again once claimed.
Payment keys end with the number of times the payment was sent: a payment fixed while Failed is
the same failure, one signed, sent and failing again is a new alert.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from paybot.core.banking_days import banking_time_between
from paybot.core.company import CompanyInfo, Language
from paybot.core.payments import LastStep, PaymentView
from paybot.services.slack_records import STALE_CLAIM
from paybot.store.alarms import AlarmRecord
from paybot.store.alert_queries import SentPayment
from paybot.store.uow import UnitOfWork

# No answer at all from the bank for this long (banking time) is worth saying.
STUCK_AFTER = timedelta(hours=4)
# Never flood a channel: per company and run, the rest is one summary message.
MAX_PAYMENT_ALERTS = 20
MAX_ALARMS = 20
MAX_BATCH_ALERTS = 20


class AlertKind(StrEnum):
    ALARM = "alarm"  # something a person must look at now (core.sends.AlarmKind says what)
    FAILED = "failed"  # the bank rejected it
    NO_RETURN = "no_return"  # no answer in time: did the money leave?
    STUCK = "stuck"  # in Processing with no answer from the bank yet
    PAID = "paid"  # every payment of a batch paid
    MORE = "more"  # the ones left out, counted


@dataclass(frozen=True)
class PaidBatch:
    id: int
    number: int
    payments: int
    totals: tuple[tuple[str, Decimal], ...]  # (currency, total), by currency


@dataclass(frozen=True)
class Alert:
    key: str
    kind: AlertKind
    company_org_no: str
    channel: str
    language: Language
    payment: PaymentView | None = None
    step: LastStep | None = None  # the payment's last step, for its card
    sent_at: datetime | None = None
    waited: timedelta | None = None  # STUCK: banking time since it was sent
    batch: PaidBatch | None = None
    covers: tuple[tuple[AlertKind, str], ...] = ()  # MORE: (kind, key) of each left out
    alarm: AlarmRecord | None = None


_PREFIXES = {
    AlertKind.ALARM: "alert:alarm",
    AlertKind.FAILED: "alert:failed",
    AlertKind.NO_RETURN: "alert:no_return",
    AlertKind.STUCK: "alert:stuck",
    AlertKind.PAID: "alert:paid",
    AlertKind.MORE: "alert:more",
}


def pending(
    uow: UnitOfWork,
    *,
    now: datetime,
    zone: ZoneInfo,
    stuck_after: timedelta = STUCK_AFTER,
) -> list[Alert]:
    """The alerts not announced yet, per company with an alerts channel, most urgent first."""
    with uow:
        return [
            alert
            for company in uow.companies.all()
            if company.alerts_channel
            for alert in _company_alerts(uow, company, now, zone, stuck_after)
        ]


def _company_alerts(
    uow: UnitOfWork, company: CompanyInfo, now: datetime, zone: ZoneInfo, stuck_after: timedelta
) -> list[Alert]:
    # A claim younger than this may still be posting; an older unfinished one died.
    fresh_after = now - STALE_CLAIM
    found: list[tuple[AlertKind, SentPayment]] = []
    for kind, failure_kind in ((AlertKind.FAILED, "rejected"), (AlertKind.NO_RETURN, "no_return")):
        failed = uow.alerts.failed(
            company.id,
            failure_kind=failure_kind,
            key_prefix=_PREFIXES[kind],
            fresh_after=fresh_after,
        )
        found += [(kind, payment) for payment in failed]
    # Banking time never runs faster than the clock: sent before now - stuck_after pre-filters.
    waiting = uow.alerts.unanswered(
        company.id,
        sent_before=now - stuck_after,
        key_prefix=_PREFIXES[AlertKind.STUCK],
        fresh_after=fresh_after,
    )
    found += [
        (AlertKind.STUCK, payment)
        for payment in waiting
        if payment.sent_at and banking_time_between(payment.sent_at, now, zone) >= stuck_after
    ]
    shown, left_out = found[:MAX_PAYMENT_ALERTS], found[MAX_PAYMENT_ALERTS:]
    raised = uow.alerts.alarms(
        company.id, key_prefix=_PREFIXES[AlertKind.ALARM], fresh_after=fresh_after
    )
    alarms, alarms_left_out = raised[:MAX_ALARMS], raised[MAX_ALARMS:]
    records = {record.id: record for record in uow.alarms.by_ids([i for i, _ in alarms])}
    steps = uow.slack.last_steps(
        [sent.payment_id for _, sent in shown]
        + [r.payment_id for r in records.values() if r.payment_id is not None]
    )
    channel = str(company.alerts_channel)
    alerts: list[Alert] = []
    # Alarms first: each says what a person must do now.
    for alarm_id, key in alarms:
        record = records[alarm_id]
        payment = None if record.payment_id is None else uow.payments.get(record.payment_id)
        alerts.append(
            Alert(
                key=key,
                kind=AlertKind.ALARM,
                company_org_no=company.org_no,
                channel=channel,
                language=company.language,
                payment=payment,
                step=None if payment is None else steps.get(payment.id),
                alarm=record,
            )
        )
    for kind, sent in shown:
        payment = uow.payments.get(sent.payment_id)
        if payment is None:
            continue
        waited = None
        if kind is AlertKind.STUCK and sent.sent_at is not None:
            waited = banking_time_between(sent.sent_at, now, zone)
        alerts.append(
            Alert(
                key=sent.key,
                kind=kind,
                company_org_no=company.org_no,
                channel=channel,
                language=company.language,
                payment=payment,
                step=steps.get(payment.id),
                sent_at=sent.sent_at,
                waited=waited,
            )
        )
    batches = uow.alerts.paid_batches(
        company.id, key_prefix=_PREFIXES[AlertKind.PAID], fresh_after=fresh_after
    )
    for batch in uow.alerts.batch_totals(batches[:MAX_BATCH_ALERTS]):
        alerts.append(
            Alert(
                key=batch.key,
                kind=AlertKind.PAID,
                company_org_no=company.org_no,
                channel=channel,
                language=company.language,
                batch=PaidBatch(batch.batch_id, batch.number, batch.payments, batch.totals),
            )
        )
    covers = tuple(
        [(AlertKind.ALARM, key) for _, key in alarms_left_out]
        + [(kind, sent.key) for kind, sent in left_out]
        + [(AlertKind.PAID, batch.key) for batch in batches[MAX_BATCH_ALERTS:]]
    )
    if covers:
        alerts.append(
            Alert(
                key=_summary_key(company.org_no, covers),
                kind=AlertKind.MORE,
                company_org_no=company.org_no,
                channel=channel,
                language=company.language,
                covers=covers,
            )
        )
    return alerts


def _summary_key(org_no: str, covers: tuple[tuple[AlertKind, str], ...]) -> str:
    """One key for one set of left-out alerts: two processes that see the same set post one
    summary between them."""
    digest = hashlib.sha256("\n".join(sorted(key for _, key in covers)).encode()).hexdigest()
    return f"{_PREFIXES[AlertKind.MORE]}:{org_no}:{digest[:20]}"
