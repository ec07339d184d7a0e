"""Who may do what: roles per company, checked at the moment an action runs."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from paybot.core.errors import NotPermitted
from paybot.core.states import Action


class Role(StrEnum):
    VIEWER = "viewer"
    APPROVER = "approver"
    SIGNER = "signer"
    ADMIN = "admin"


# Any one of these roles allows the action. Deleting, restoring and fixing belong to the people
# who handle payments; approving and signing each need their own role.
ROLES_FOR: dict[Action, frozenset[Role]] = {
    Action.APPROVE: frozenset({Role.APPROVER}),
    Action.SIGN: frozenset({Role.SIGNER}),
    Action.DELETE: frozenset({Role.APPROVER, Role.SIGNER}),
    Action.RESTORE: frozenset({Role.APPROVER, Role.SIGNER}),
    Action.FIX: frozenset({Role.APPROVER, Role.SIGNER}),
}


@dataclass(frozen=True)
class Actor:
    """Whoever acts: a person known by their Slack ids, or the system (CLI jobs, imports)."""

    user_id: int | None
    label: str


def require_role(actor: Actor, roles: Collection[Role], action: Action, company_name: str) -> None:
    needed = ROLES_FOR[action]
    if needed.isdisjoint(roles):
        names = " or ".join(sorted(role.value for role in needed))
        raise NotPermitted(
            f"{actor.label} may not {action.value} payments in {company_name}: "
            f"that needs the {names} role."
        )
