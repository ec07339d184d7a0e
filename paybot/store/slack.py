"""What paybot remembers of Slack: the messages that show payments, and once-only claims."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from paybot.core.payments import LastStep
from paybot.core.signing import WhySecond
from paybot.store.models import (
    AuditEvent,
    SlackClaim,
    SlackMessage,
    SlackMessagePayment,
    User,
)


@dataclass(frozen=True)
class StoredMessage:
    id: int
    company_id: int
    kind: str
    channel: str
    ts: str
    thread_ts: str | None
    intro: list[dict[str, Any]]
    payment_ids: tuple[int, ...]


class SlackRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def claim(
        self,
        key: str,
        now: datetime,
        *,
        company_id: int | None = None,
        stale_before: datetime | None = None,
    ) -> bool:
        """True for the one caller that gets `key`; an unfinished claim older than `stale_before`
        may be taken over (its process died)."""
        try:
            with self._session.begin_nested():
                self._session.execute(
                    insert(SlackClaim).values(key=key, company_id=company_id, claimed_at=now)
                )
            return True
        except IntegrityError:
            pass
        if stale_before is None:
            return False
        taken = self._session.execute(
            update(SlackClaim)
            .where(
                SlackClaim.key == key,
                SlackClaim.done_at.is_(None),
                SlackClaim.claimed_at < stale_before,
            )
            .values(claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(taken, "rowcount", 0) == 1)

    def finish(self, key: str, now: datetime, result: dict[str, Any] | None = None) -> None:
        self._session.execute(
            update(SlackClaim)
            .where(SlackClaim.key == key)
            .values(done_at=now, result=result)
            .execution_options(synchronize_session=False)
        )

    def claimed(self, keys: Iterable[str]) -> set[str]:
        wanted = list(keys)
        if not wanted:
            return set()
        return set(self._session.scalars(select(SlackClaim.key).where(SlackClaim.key.in_(wanted))))

    def claim_result(self, key: str) -> dict[str, Any] | None:
        row = self._session.scalar(select(SlackClaim).where(SlackClaim.key == key))
        return None if row is None or row.result is None else dict(row.result)

    def prune_claims(self, prefix: str, claimed_before: datetime, *, limit: int) -> int:
        """Deletes up to `limit` claims whose key starts with `prefix` and that were last claimed
        (or taken over) before `claimed_before`; returns how many. A chunk at a time, so that a
        long backlog never holds its rows locked for long: found by ix_slack_claims_claimed_at,
        deleted by id (a DELETE ... IN (SELECT ... LIMIT) reads the whole table on PostgreSQL),
        each still under the rule as it is deleted."""
        rule = (
            SlackClaim.claimed_at < claimed_before,
            SlackClaim.key.startswith(prefix, autoescape=True),
        )
        ids = list(self._session.scalars(select(SlackClaim.id).where(*rule).limit(limit)))
        if not ids:
            return 0
        gone = self._session.execute(
            delete(SlackClaim)
            .where(SlackClaim.id.in_(ids), *rule)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(gone, "rowcount", 0))

    def add_message(
        self,
        *,
        company_id: int,
        kind: str,
        channel: str,
        ts: str,
        thread_ts: str | None,
        intro: Sequence[dict[str, Any]],
        payment_ids: Sequence[int],
        now: datetime,
    ) -> int:
        message_id: int | None = self._session.scalar(
            insert(SlackMessage)
            .values(
                company_id=company_id,
                kind=kind,
                channel=channel,
                ts=ts,
                thread_ts=thread_ts,
                intro=list(intro),
                created_at=now,
            )
            .returning(SlackMessage.id)
        )
        if message_id is None:
            raise RuntimeError("the message row got no id")
        if payment_ids:
            self._session.execute(
                insert(SlackMessagePayment),
                [
                    {"message_id": message_id, "payment_id": payment_id, "position": position}
                    for position, payment_id in enumerate(payment_ids)
                ],
            )
        return message_id

    def messages_showing(self, payment_ids: Iterable[int]) -> list[StoredMessage]:
        wanted = list(set(payment_ids))
        if not wanted:
            return []
        ids = (
            select(SlackMessagePayment.message_id)
            .where(SlackMessagePayment.payment_id.in_(wanted))
            .distinct()
        )
        return self._messages(select(SlackMessage).where(SlackMessage.id.in_(ids)))

    def message(self, channel: str, ts: str) -> StoredMessage | None:
        found = self._messages(
            select(SlackMessage).where(SlackMessage.channel == channel, SlackMessage.ts == ts)
        )
        return found[0] if found else None

    def _messages(self, query: Any) -> list[StoredMessage]:
        rows = list(self._session.scalars(query.order_by(SlackMessage.id)))
        if not rows:
            return []
        shown: dict[int, list[int]] = {row.id: [] for row in rows}
        links = self._session.execute(
            select(SlackMessagePayment.message_id, SlackMessagePayment.payment_id)
            .where(SlackMessagePayment.message_id.in_(list(shown)))
            .order_by(SlackMessagePayment.message_id, SlackMessagePayment.position)
        )
        for message_id, payment_id in links:
            shown[message_id].append(payment_id)
        return [
            StoredMessage(
                id=row.id,
                company_id=row.company_id,
                kind=row.kind,
                channel=row.channel,
                ts=row.ts,
                thread_ts=row.thread_ts,
                intro=list(row.intro),
                payment_ids=tuple(shown[row.id]),
            )
            for row in rows
        ]

    def last_steps(self, payment_ids: Iterable[int]) -> dict[int, LastStep]:
        """The newest `payment.*` event of each payment, with the actor's Slack id."""
        wanted = list(set(payment_ids))
        if not wanted:
            return {}
        query = (
            select(
                AuditEvent.payment_id,
                AuditEvent.action,
                AuditEvent.actor_label,
                AuditEvent.at,
                User.slack_user_id,
            )
            .outerjoin(User, User.id == AuditEvent.actor_id)
            .where(
                AuditEvent.payment_id.in_(wanted),
                AuditEvent.action.startswith("payment."),
                AuditEvent.action.not_in(("payment.refused", "payment.booked_twice")),
            )
            .order_by(AuditEvent.id)
        )
        steps: dict[int, LastStep] = {}
        for payment_id, action, label, at, slack_user_id in self._session.execute(query):
            if payment_id is not None:
                steps[payment_id] = LastStep(action, slack_user_id, label, at)
        waiting = [pid for pid, step in steps.items() if step.action == _FIRST_SIGNATURE]
        if waiting:  # why they wait for a second signer, as the first signature recorded it
            details = select(AuditEvent.payment_id, AuditEvent.details).where(
                AuditEvent.payment_id.in_(waiting), AuditEvent.action == _FIRST_SIGNATURE
            )
            for payment_id, said in self._session.execute(details.order_by(AuditEvent.id)):
                why = WhySecond.from_details((said or {}).get("second_signer"))
                if payment_id is not None:
                    steps[payment_id] = replace(steps[payment_id], why=why)
        return steps


_FIRST_SIGNATURE = "payment.first_signature"
