"""A company whose business time zone is Tokyo (Deps.zone, from PAYBOT_TIMEZONE) signs in Slack:
its daily limit counts over a Tokyo day, and the cards, the sign form and the Home tab show Tokyo
times. Signed requests against the local Slack API, on both databases."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine

from paybot.core.otp import code_at
from paybot.core.payments import PaymentView
from paybot.core.states import PaymentStatus
from paybot.handlers.deps import Deps
from paybot.handlers.ids import View
from paybot.services import people
from paybot.store.uow import UnitOfWork
from tests.builders import (
    BOX,
    NOW,
    ORG_NO,
    SIGNER,
    Authenticator,
    a_company,
    a_supplier,
    an_item,
    ledger_with,
)
from tests.services.test_zone import EVENING, KIDS, MORNING, TOKYO
from tests.slack.conftest import Clock, SlackEndpoint, text_of
from tests.slack.test_actions import entry, post_message, status_of, updated
from tests.slack.test_sign_versions import sign_modal, submit


@pytest.fixture
def deps(engine: Engine, clock: Clock) -> Deps:
    """The listeners as `container()` builds them with PAYBOT_TIMEZONE=Asia/Tokyo."""
    return Deps(uow=lambda: UnitOfWork(engine), box=lambda: BOX, zone=TOKYO, clock=clock.now)


@pytest.fixture
def phone(uow: UnitOfWork) -> Authenticator:
    """Acme AS with its signer, who may sign NOK 1,000.00 a day."""
    found = a_company(uow)
    assert found is not None
    people.set_user(uow, company_org_no=ORG_NO, user=SIGNER, max_per_day=Decimal("1000"), now=NOW)
    return found


@pytest.fixture
def shown(uow: UnitOfWork, phone: Authenticator) -> list[PaymentView]:
    """Two blue proposals of NOK 800.00: both together are above the day's limit."""
    items = [an_item(amount=Decimal("800.00"), reference=kid) for kid in KIDS]
    return list(ledger_with(uow, items, [a_supplier()]).values())


def sign_in_slack(
    endpoint: SlackEndpoint, clock: Clock, phone: Authenticator, payment_id: int, ts: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the sign form as opened, the answer to submitting it) with the code of `clock.at`."""
    form = sign_modal(endpoint, SIGNER, payment_id, ts)
    code = code_at(phone.secret, clock.at)
    return form, submit(endpoint, SIGNER, View.SIGN, form["private_metadata"], code)


def test_the_daily_limit_counts_over_the_companys_day_and_cards_show_its_time(
    uow: UnitOfWork,
    endpoint: SlackEndpoint,
    clock: Clock,
    phone: Authenticator,
    shown: list[PaymentView],
) -> None:
    first, second = shown
    ts = post_message(uow, endpoint, shown)
    clock.at = EVENING

    _, answer = sign_in_slack(endpoint, clock, phone, first.id, ts)

    assert answer["response_action"] == "update"
    assert status_of(uow, first.id) is PaymentStatus.DUE
    updated(endpoint)
    card = entry(endpoint, ts, first.id)
    assert "Signed by <@USIGNER> at 07:30" in card  # 23:30 in Oslo

    clock.at = MORNING  # a new day in Oslo, the same day in Tokyo
    form, refused = sign_in_slack(endpoint, clock, phone, second.id, ts)

    assert "your daily limit leaves NOK 200.00 today" in text_of(form)
    assert refused["response_action"] == "errors"
    assert "NOK 200.00 is left today" in text_of(refused["errors"])
    assert status_of(uow, second.id) is PaymentStatus.PROPOSED


def test_the_home_tab_says_when_it_was_made_in_the_companys_time(
    endpoint: SlackEndpoint, clock: Clock, phone: Authenticator
) -> None:
    clock.at = EVENING
    status, _ = endpoint.event({"type": "app_home_opened", "user": SIGNER.slack_user_id})
    assert status == 200
    [published] = endpoint.slack.wait_for("views.publish")
    assert "As of 25 Nov 2026 07:30." in text_of(published["view"])
