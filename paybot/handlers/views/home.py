"""The App Home tab: the person's roles and limits, and counts per status per company."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from paybot.core.states import PaymentStatus
from paybot.handlers.views.blocks import Block, context, divider, header, section
from paybot.services.people import Membership


def home_view(
    memberships: Sequence[Membership], counts: dict[str, dict[PaymentStatus, int]]
) -> dict[str, Any]:
    blocks: list[Block] = [header("paybot")]
    if not memberships:
        blocks.append(section("You have no role in any company in paybot yet; ask an admin."))
    for membership in memberships:
        company = membership.company
        roles = ", ".join(role.value for role in membership.roles)
        per_status = counts.get(company.org_no, {})
        lines = [f"{status.label}: *{per_status.get(status, 0)}*" for status in PaymentStatus]
        blocks += [
            divider(),
            section(f"*{company.name}* ({company.org_no})\nYour roles: {roles}"),
            section(" · ".join(lines)),
        ]
    blocks.append(context("`/bank help` tells what you can ask."))
    return {"type": "home", "blocks": blocks}
