"""The Home tab of someone who approves but does not sign says they do not sign, and nothing
about signing limits; a signer's shows them as before. Through the real endpoint, both
databases, both languages."""

from __future__ import annotations

import pytest

from paybot.core.company import Language
from paybot.services import companies
from paybot.store.uow import UnitOfWork
from tests.builders import APPROVER, NOW, ORG_NO, SIGNER
from tests.slack.conftest import SlackEndpoint, text_of
from tests.slack.test_home import company, open_home

__all__ = ["company"]  # the fixture: a company with two proposals


@pytest.mark.parametrize(
    ("language", "said", "unsaid"),
    [
        (Language.EN, "You do not sign payments in this company.", ["limit"]),
        (Language.NB, "Du signerer ikke betalinger i dette selskapet.", ["grense"]),
    ],
)
def test_an_approver_is_told_they_do_not_sign_and_shown_no_limits(
    endpoint: SlackEndpoint, uow: UnitOfWork, language: Language, said: str, unsaid: list[str]
) -> None:
    companies.update_settings(uow, org_no=ORG_NO, language=language, now=NOW)
    text = text_of(open_home(endpoint, APPROVER.slack_user_id))
    assert said in text
    for words in unsaid:
        assert words not in text


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (Language.EN, "Signing limits: no limit per payment, no limit per day"),
        (Language.NB, "Signeringsgrenser: ingen grense per betaling, ingen grense per dag"),
    ],
)
def test_a_signer_still_sees_the_signing_limits(
    endpoint: SlackEndpoint, uow: UnitOfWork, language: Language, said: str
) -> None:
    companies.update_settings(uow, org_no=ORG_NO, language=language, now=NOW)
    text = text_of(open_home(endpoint, SIGNER.slack_user_id))
    assert said in text
