"""The Home tab's lines about the person: signing limits only for someone who signs; someone who
does not is told so, not shown "no limit", which reads as unlimited. The one-time code's state
is shown to everyone, as before (it tells someone without a device how to get one)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paybot.core.company import Language
from paybot.core.policy import Role
from paybot.core.signing import SignerLimits
from paybot.handlers.views.home import person_lines
from paybot.services.people import Member


def member(*roles: Role, code: str = "none", limits: SignerLimits | None = None) -> Member:
    return Member("U1", "", "Kari", roles, limits or SignerLimits(), "NOK", code)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            Language.EN,
            [
                "Your roles: approver",
                "You do not sign payments in this company.",
                "One-time code: not set up — `/bank enroll`",
            ],
        ),
        (
            Language.NB,
            [
                "Dine roller: godkjenner",
                "Du signerer ikke betalinger i dette selskapet.",
                "Engangskode: ikke satt opp — `/bank enroll`",
            ],
        ),
    ],
)
def test_an_approver_who_does_not_sign_is_told_so_and_shown_no_limits(
    language: Language, expected: list[str]
) -> None:
    lines = person_lines((Role.APPROVER,), member(Role.APPROVER), language)
    assert lines == expected


@pytest.mark.parametrize("roles", [(Role.VIEWER,), (Role.ADMIN,), (Role.ADMIN, Role.APPROVER)])
@pytest.mark.parametrize("language", list(Language))
def test_no_one_without_the_signer_role_is_shown_limits(
    roles: tuple[Role, ...], language: Language
) -> None:
    text = "\n".join(person_lines(roles, member(*roles), language))
    for unsaid in ("limit", "grense"):
        assert unsaid not in text


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            Language.EN,
            [
                "Your roles: approver, signer",
                "Signing limits: NOK 50,000.00 per payment, no limit per day",
                "One-time code: active",
            ],
        ),
        (
            Language.NB,
            [
                "Dine roller: godkjenner, signatar",
                "Signeringsgrenser: NOK 50 000,00 per betaling, ingen grense per dag",
                "Engangskode: aktiv",
            ],
        ),
    ],
)
def test_a_signer_sees_limits_and_code_as_before(language: Language, expected: list[str]) -> None:
    roles = (Role.APPROVER, Role.SIGNER)
    me = member(*roles, code="active", limits=SignerLimits(Decimal("50000")))
    assert person_lines(roles, me, language) == expected


def test_someone_who_does_not_sign_still_sees_the_state_of_their_code() -> None:
    lines = person_lines((Role.APPROVER,), member(Role.APPROVER, code="active"), Language.EN)
    assert lines == [
        "Your roles: approver",
        "You do not sign payments in this company.",
        "One-time code: active",
    ]


def test_without_a_membership_only_the_roles_are_said() -> None:
    assert person_lines((Role.APPROVER,), None, Language.EN) == ["Your roles: approver"]
