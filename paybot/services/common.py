"""Pieces every use case needs: finding the company and the actor, writing the audit event."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from paybot.core.company import CompanyInfo
from paybot.core.errors import NotFound, PaybotError
from paybot.core.policy import Actor, Role
from paybot.store.uow import UnitOfWork

SYSTEM = Actor(user_id=None, label="paybot")


class Keep(Enum):
    """A setting left as it is (where None would mean "none")."""

    KEEP = "keep"


KEEP = Keep.KEEP


@dataclass(frozen=True)
class ActorRef:
    """Who claims to act, as Slack knows them; resolved and re-checked inside each transaction."""

    slack_user_id: str
    slack_team_id: str | None = None


def company_or_error(uow: UnitOfWork, org_no: str) -> CompanyInfo:
    company = uow.companies.get(org_no.replace(" ", ""))
    if company is None:
        raise NotFound(f"No company with organisation number {org_no}. See `paybot company list`.")
    return company


def resolve_actor(uow: UnitOfWork, ref: ActorRef) -> Actor:
    matches = uow.users.find(ref.slack_user_id, ref.slack_team_id)
    if not matches:
        raise NotFound(
            f"No paybot user has the Slack id {ref.slack_user_id}. "
            "An admin adds users with `paybot users add`."
        )
    if len(matches) > 1:
        raise NotFound(
            f"The Slack id {ref.slack_user_id} is known in several workspaces; say which team."
        )
    user_id, name = matches[0]
    return Actor(user_id=user_id, label=f"{name} ({ref.slack_user_id})")


def roles_of(uow: UnitOfWork, actor: Actor, company_id: int) -> set[Role]:
    if actor.user_id is None:
        return set()
    return {Role(role) for role in uow.users.roles(actor.user_id, company_id)}


def audit(
    uow: UnitOfWork,
    *,
    actor: Actor,
    action: str,
    now: datetime,
    company_id: int | None = None,
    payment_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    uow.audit.add(
        at=now,
        company_id=company_id,
        payment_id=payment_id,
        actor_id=actor.user_id,
        actor_label=actor.label,
        action=action,
        before=before,
        after=after,
        details=details,
    )


def record_refusal(
    uow: UnitOfWork,
    *,
    actor: ActorRef,
    action: str,
    payment_ids: Sequence[int],
    error: PaybotError,
    now: datetime,
) -> None:
    """A refused action leaves an audit event of its own (its own transaction: the action's
    transaction was rolled back)."""
    with uow:
        matches = uow.users.find(actor.slack_user_id, actor.slack_team_id)
        user_id = matches[0][0] if len(matches) == 1 else None
        label = f"{matches[0][1]} ({actor.slack_user_id})" if user_id else actor.slack_user_id
        known: list[int | None] = [p for p in payment_ids if uow.payments.get(p) is not None]
        for payment_id in known or [None]:
            payment = None if payment_id is None else uow.payments.get(payment_id)
            company = None if payment is None else uow.companies.get(payment.company_org_no)
            audit(
                uow,
                actor=Actor(user_id=user_id, label=label),
                action="payment.refused",
                now=now,
                company_id=None if company is None else company.id,
                payment_id=payment_id,
                details={"action": action, "code": error.code, "message": error.user_message},
            )
        uow.commit()
