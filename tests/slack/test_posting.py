"""The Post buttons through paybot's real HTTP endpoint, on both databases: a batch paid by the
sandbox bank is announced with Post; posting it makes the alert say as which vouchers, and a second
click tells the clicker alone that it is posted, with the numbers. On the Home tab, a paid payment
offers Post to those who may post; every message showing a posted payment says its voucher."""

from __future__ import annotations

import time
from datetime import timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest

from paybot.app import web_client
from paybot.core.policy import Role
from paybot.core.states import PaymentStatus
from paybot.handlers.alerting import send_alerts
from paybot.handlers.deps import Deps
from paybot.handlers.ids import Act
from paybot.handlers.proposal_posts import Pacer
from paybot.services import payments, people, returns
from paybot.store.uow import UnitOfWork
from tests.builders import NOW, ORG_NO, OSLO, SIGNER, VIEWER
from tests.services.test_alerts import ALERTS, SENT, Bank, company, proposals, to_silent
from tests.slack.conftest import Clock, SlackEndpoint, text_of

ADMIN = "UADMIN"
_numbers = count(1)


@pytest.fixture
def bank(tmp_path: Path) -> Bank:
    return Bank(tmp_path)


def announce(endpoint: SlackEndpoint, deps: Deps, at: Any) -> dict[str, dict[str, Any]]:
    """Posts the pending alerts; the alerts channel's messages by their first character."""
    client = web_client(endpoint.slack.token, endpoint.fake.url)
    send_alerts(client, deps, now=at, pacer=Pacer(sleep=lambda seconds: None))
    return {
        str(body["text"])[:1]: {"ts": ts, **body}
        for (channel, ts), body in endpoint.slack.messages.items()
        if channel == ALERTS
    }


def click_on(
    endpoint: SlackEndpoint, user: str, message: dict[str, Any], action: Act
) -> tuple[int, str]:
    """A click on `message`'s button `action`, with the message in the payload as Slack sends
    it (its text and blocks)."""
    [button] = [
        element
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == action.value
    ]
    payload = {
        "type": "block_actions",
        "user": {"id": user, "team_id": ""},
        "team": {"id": ""},
        "api_app_id": "A0PAYBOT",
        "trigger_id": endpoint.slack.new_trigger(),
        "actions": [
            {
                "type": "button",
                "action_id": action.value,
                "block_id": f"b{next(_numbers)}",
                "value": button["value"],
                "action_ts": str(time.time()),
            }
        ],
        "container": {
            "type": "message",
            "channel_id": ALERTS,
            "message_ts": message["ts"],
            "is_ephemeral": False,
        },
        "channel": {"id": ALERTS},
        "message": {"ts": message["ts"], "text": message["text"], "blocks": message["blocks"]},
        "response_url": endpoint.fake.response_url(f"action-{next(_numbers)}"),
    }
    return endpoint.interact(payload)


def actions_of(message: dict[str, Any]) -> list[str]:
    return [
        element["action_id"]
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def test_the_paid_batch_alert_posts_the_batch_and_then_says_as_which_vouchers(
    uow: UnitOfWork, bank: Bank, endpoint: SlackEndpoint, deps: Deps, clock: Clock
) -> None:
    phone = company(uow)
    paid = proposals(uow, {}, {})
    bank.send(uow, phone, paid, SENT)
    alert = announce(endpoint, deps, SENT)["✅"]
    assert actions_of(alert) == [Act.POST_BATCH]
    clock.at = SENT + timedelta(minutes=30)  # 11:30 in Oslo

    status, _ = click_on(endpoint, SIGNER.slack_user_id, alert, Act.POST_BATCH)

    assert status == 200
    [update] = endpoint.slack.wait_for("chat.update")
    assert (update["channel"], update["ts"]) == (ALERTS, alert["ts"])
    shown = endpoint.slack.messages[(ALERTS, alert["ts"])]
    assert shown["blocks"][0] == alert["blocks"][0]  # the sentence stays
    assert actions_of(shown) == []
    said = f"📒 Posted as vouchers 1, 2 by <@{SIGNER.slack_user_id}> at 11:30"
    assert said in text_of(shown["blocks"][-1])
    assert [payments.show(uow, payment_id=p).payment.status for p in paid] == [
        PaymentStatus.POSTED
    ] * 2

    # The alert as it was, clicked again (an old copy, or a second person at the same time).
    click_on(endpoint, SIGNER.slack_user_id, alert, Act.POST_BATCH)

    [answer] = endpoint.slack.wait_for("response_url")
    assert answer["response_type"] == "ephemeral"
    assert answer["text"] == "Batch 1 is posted already: vouchers 1, 2 of 2026."
    endpoint.settle()
    shown = endpoint.slack.messages[(ALERTS, alert["ts"])]
    assert "📒 Posted as vouchers 1, 2" in text_of(shown["blocks"][-1])


def test_a_viewers_post_is_refused_to_the_viewer_alone(
    uow: UnitOfWork, bank: Bank, endpoint: SlackEndpoint, deps: Deps
) -> None:
    phone = company(uow)
    paid = proposals(uow, {})
    bank.send(uow, phone, paid, SENT)
    alert = announce(endpoint, deps, SENT)["✅"]

    click_on(endpoint, VIEWER.slack_user_id, alert, Act.POST_BATCH)

    [answer] = endpoint.slack.wait_for("response_url")
    assert answer["response_type"] == "ephemeral"
    assert "may not post payments in Acme AS" in answer["text"]
    endpoint.settle()
    assert endpoint.slack.calls_to("chat.update") == []
    assert payments.show(uow, payment_id=paid[0]).payment.status is PaymentStatus.PAID


def open_home(endpoint: SlackEndpoint, user: str, count: int = 1) -> dict[str, Any]:
    endpoint.event({"type": "app_home_opened", "user": user, "tab": "home"})
    published = endpoint.slack.wait_for("views.publish", count)
    assert len(published) == count
    return dict(published[-1]["view"])


def direct_messages(endpoint: SlackEndpoint, user: str, count: int) -> list[str]:
    """The texts paybot sent `user` directly, once there are `count` (or a deadline passed)."""
    deadline = time.monotonic() + 10
    while True:
        sent = [
            str(call["text"])
            for call in endpoint.slack.calls_to("chat.postMessage")
            if call["channel"] == user
        ]
        if len(sent) >= count or time.monotonic() > deadline:
            return sent
        time.sleep(0.02)


def post_buttons(view: dict[str, Any]) -> list[str]:
    return [
        element["value"]
        for block in view["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == Act.POST.value
    ]


def test_the_home_tab_offers_post_on_paid_payments_to_those_who_may_post(
    uow: UnitOfWork, bank: Bank, endpoint: SlackEndpoint, deps: Deps, clock: Clock
) -> None:
    phone = company(uow)
    people.add_user(
        uow, company_org_no=ORG_NO, slack_user_id=ADMIN, name="Ada", roles=[Role.ADMIN], now=NOW
    )
    # A payment with no answer, checked in the netbank: its alert shows its card.
    [silent] = proposals(uow, to_silent())
    bank.send(uow, phone, [silent], SENT)
    later = SENT + timedelta(days=3)
    assert returns.check_missing(uow, now=later, zone=OSLO) == [silent]
    alert = announce(endpoint, deps, later)["❓"]
    click_on(endpoint, SIGNER.slack_user_id, alert, Act.MONEY_LEFT)
    endpoint.slack.wait_for("chat.update")
    endpoint.settle()
    assert post_buttons(open_home(endpoint, VIEWER.slack_user_id)) == []
    view = open_home(endpoint, ADMIN, 2)
    assert post_buttons(view) == [f"{ORG_NO}:{silent}"]
    clock.at = later + timedelta(hours=1)

    status, _ = endpoint.click(ADMIN, Act.POST.value, f"{ORG_NO}:{silent}", home=True)

    assert status == 200
    [told] = direct_messages(endpoint, ADMIN, 1)
    assert told == f"Payment #{silent} is posted as voucher 1."
    assert len(endpoint.slack.wait_for("views.publish", 3)) == 3
    assert post_buttons(endpoint.slack.calls_to("views.publish")[-1]["view"]) == []
    # The alert showing its card says as which voucher, and who posted it.
    card = text_of(endpoint.slack.messages[(ALERTS, alert["ts"])]["blocks"])
    assert "*Posted as voucher 1*" in card and "Posted by <@UADMIN>" in card

    # Clicked again on the Home tab as it was: told the voucher, nothing posted twice.
    endpoint.click(ADMIN, Act.POST.value, f"{ORG_NO}:{silent}", home=True)

    again = direct_messages(endpoint, ADMIN, 2)[1]
    assert again == f"Payment {silent} is posted already, as voucher 1 of 2026."
    assert payments.show(uow, payment_id=silent).history[-1]["action"] == "payment.refused"
    assert [e["action"] for e in payments.show(uow, payment_id=silent).history].count(
        "payment.post"
    ) == 1
