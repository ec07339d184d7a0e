"""Who a Slack request comes from: a user added without a team is found from the workspace."""

from __future__ import annotations

import pytest

from paybot.core.errors import NotFound
from paybot.core.policy import Role
from paybot.services import people
from paybot.services.common import ActorRef, resolve_actor
from paybot.store.uow import UnitOfWork
from tests.builders import NOW, ORG_NO, a_company


def test_a_user_added_without_a_team_is_found_from_the_workspace(uow: UnitOfWork) -> None:
    a_company(uow)
    with uow:
        actor = resolve_actor(uow, ActorRef("USIGNER", "T0WORKSPACE"))
    assert actor.label == "Sigrid Signer (USIGNER)"


def test_a_user_of_another_team_is_not_someone_else(uow: UnitOfWork) -> None:
    a_company(uow, with_people=False)
    people.add_user(
        uow,
        company_org_no=ORG_NO,
        slack_user_id="U0KARI",
        name="Kari",
        roles=[Role.SIGNER],
        slack_team_id="T0ONE",
        now=NOW,
    )
    with uow:
        assert resolve_actor(uow, ActorRef("U0KARI", "T0ONE")).label == "Kari (U0KARI)"
        with pytest.raises(NotFound):
            resolve_actor(uow, ActorRef("U0KARI", "T0OTHER"))
