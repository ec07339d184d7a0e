"""An admin sets other people's signing limits; nobody else may (both databases)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paybot.core.errors import NotFound, NotPermitted, ValidationFailed
from paybot.core.policy import Role
from paybot.services import admin, audit_trail, people
from paybot.services.common import ActorRef
from paybot.store.uow import UnitOfWork
from tests.builders import APPROVER, NOW, ORG_NO, SIGNER, a_company

BOSS = ActorRef("UBOSS")


@pytest.fixture(autouse=True)
def company(uow: UnitOfWork) -> None:
    a_company(uow)
    people.add_user(
        uow,
        company_org_no=ORG_NO,
        slack_user_id=BOSS.slack_user_id,
        name="Berit Boss",
        roles=[Role.ADMIN, Role.SIGNER],
        now=NOW,
    )


def limits_of(uow: UnitOfWork, who: ActorRef) -> tuple[Decimal | None, Decimal | None]:
    [member] = [
        m
        for m in people.list_users(uow, company_org_no=ORG_NO, now=NOW)
        if m.slack_user_id == who.slack_user_id
    ]
    return member.limits.per_payment, member.limits.per_day


def test_an_admin_sets_another_persons_limits_and_the_audit_names_the_admin(
    uow: UnitOfWork,
) -> None:
    member = admin.set_limits(
        uow,
        actor=BOSS,
        company_org_no=ORG_NO,
        user=SIGNER,
        max_per_payment=Decimal("50000"),
        max_per_day=Decimal("200000"),
        now=NOW,
    )
    assert (member.limits.per_payment, member.limits.per_day) == (
        Decimal("50000.00"),
        Decimal("200000.00"),
    )
    assert limits_of(uow, SIGNER) == (Decimal("50000.00"), Decimal("200000.00"))
    [event] = audit_trail.latest(uow, limit=1, action="user.set")
    assert event["actor"] == "Berit Boss (UBOSS)"
    assert event["after"]["max_per_payment"] == "50000.00"


def test_a_limit_not_given_stays_and_none_removes_one(uow: UnitOfWork) -> None:
    admin.set_limits(
        uow,
        actor=BOSS,
        company_org_no=ORG_NO,
        user=SIGNER,
        max_per_payment=Decimal("1000"),
        max_per_day=Decimal("5000"),
        now=NOW,
    )
    admin.set_limits(
        uow, actor=BOSS, company_org_no=ORG_NO, user=SIGNER, max_per_payment=None, now=NOW
    )
    assert limits_of(uow, SIGNER) == (None, Decimal("5000.00"))


@pytest.mark.parametrize("who", [SIGNER, APPROVER, ActorRef("UNOBODY")])
def test_only_an_admin_of_the_company_may_set_limits(uow: UnitOfWork, who: ActorRef) -> None:
    with pytest.raises((NotPermitted, NotFound)):
        admin.set_limits(
            uow,
            actor=who,
            company_org_no=ORG_NO,
            user=APPROVER,
            max_per_payment=Decimal("1"),
            now=NOW,
        )
    assert limits_of(uow, APPROVER) == (None, None)
    assert audit_trail.latest(uow, limit=5, action="user.set") == []


def test_an_admin_may_not_raise_their_own_limits(uow: UnitOfWork) -> None:
    with pytest.raises(NotPermitted, match="own"):
        admin.set_limits(
            uow,
            actor=BOSS,
            company_org_no=ORG_NO,
            user=BOSS,
            max_per_payment=Decimal("9999999"),
            now=NOW,
        )


def test_a_person_without_a_role_in_the_company_is_not_found(uow: UnitOfWork) -> None:
    people.add_user(
        uow,
        company_org_no=ORG_NO,
        slack_user_id="UOTHER",
        name="Ola Other",
        roles=[Role.VIEWER],
        now=NOW,
    )
    people.remove_user(uow, company_org_no=ORG_NO, user=ActorRef("UOTHER"), now=NOW)
    with pytest.raises(NotFound):
        admin.set_limits(
            uow,
            actor=BOSS,
            company_org_no=ORG_NO,
            user=ActorRef("UOTHER"),
            max_per_day=Decimal("10"),
            now=NOW,
        )


def test_a_limit_that_is_not_positive_is_a_validation_error(uow: UnitOfWork) -> None:
    with pytest.raises(ValidationFailed):
        admin.set_limits(
            uow,
            actor=BOSS,
            company_org_no=ORG_NO,
            user=SIGNER,
            max_per_payment=Decimal("0"),
            now=NOW,
        )
