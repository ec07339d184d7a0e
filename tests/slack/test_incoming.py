"""Incoming payments in Slack, through paybot's real HTTP endpoint on both databases: the daily
summary in the alerts channel (once, with the right counts), Post to account and Match to
invoice from its buttons (field errors in the modal, the line updated after), a stale button, the
Home tab's unmatched payments, and `/bank search direction:in`."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from itertools import count
from typing import Any

import pytest
from slack_sdk import WebClient

from paybot.app import web_client
from paybot.handlers import incoming as incoming_handlers
from paybot.handlers.deps import Deps
from paybot.handlers.ids import Act, Block, View
from paybot.handlers.proposal_posts import Pacer
from paybot.services import companies, incoming
from paybot.services.incoming import IncomingStatus
from paybot.store.uow import UnitOfWork
from tests.builders import NOW, ORG_NO, SIGNER, VIEWER
from tests.core.test_ocr_giro import Tx
from tests.services.test_incoming import KID_EXACT, KID_PARTIAL, KID_UNKNOWN, acme, kid, ocr
from tests.slack.conftest import SlackEndpoint, text_of

__all__ = ["acme"]  # the fixture, used by name

ALERTS = "C0ALERTS"
CAME = NOW - timedelta(days=1)  # Sunday 10:00 in Oslo: before Monday's 08:00 summary
_numbers = count(1)


@pytest.fixture
def scene(acme: UnitOfWork) -> dict[str, int]:
    """Acme AS with an alerts channel; a file with an exact, a partial and two unknown KIDs."""
    companies.update_settings(acme, org_no=ORG_NO, alerts_channel=ALERTS, now=NOW)
    data = ocr(
        Tx(125000, kid=KID_EXACT),
        Tx(30000, kid=KID_PARTIAL),
        Tx(25000, kid=KID_UNKNOWN),
        Tx(80000, kid=kid("77")),
    )
    incoming.ingest(acme, source="in.ocr", data=data, now=CAME)
    return {view.kid or "": view.id for view in incoming.list_incoming(acme, ORG_NO)}


def summarize(endpoint: SlackEndpoint, deps: Deps, at: Any = NOW) -> list[str]:
    client = web_client(endpoint.slack.token, endpoint.fake.url)
    return incoming_handlers.post_due(client, deps, at, pacer=Pacer(sleep=lambda s: None))


def summary_message(endpoint: SlackEndpoint) -> dict[str, Any]:
    [(ts, body)] = [
        (ts, body) for (channel, ts), body in endpoint.slack.messages.items() if channel == ALERTS
    ]
    return {"ts": ts, **body}


def buttons(blocks: list[dict[str, Any]], act: Act) -> list[str]:
    return [
        element["value"]
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == act.value
    ]


def click(
    endpoint: SlackEndpoint, user: str, message: dict[str, Any], act: Act, value: str
) -> None:
    payload = {
        "type": "block_actions",
        "user": {"id": user, "team_id": ""},
        "team": {"id": ""},
        "api_app_id": "A0PAYBOT",
        "trigger_id": endpoint.slack.new_trigger(),
        "actions": [
            {
                "type": "button",
                "action_id": act.value,
                "block_id": f"b{next(_numbers)}",
                "value": value,
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
    status, _ = endpoint.interact(payload)
    assert status == 200


def opened_modal(endpoint: SlackEndpoint, count: int = 1) -> dict[str, Any]:
    opened = endpoint.slack.wait_for("views.open", count)
    view = opened[-1]["view"]
    return dict(json.loads(view) if isinstance(view, str) else view)


def value_of(payment_id: int, blocks: Any) -> str:
    """The value of the payment's Post to account button."""
    [value] = [v for v in buttons(blocks, Act.INCOMING_POST) if v.split(":")[1] == str(payment_id)]
    return value


def test_the_daily_summary_goes_out_once_with_the_counts_and_the_unmatched_ones(
    scene: dict[str, int], endpoint: SlackEndpoint, deps: Deps
) -> None:
    assert summarize(endpoint, deps) == [ORG_NO]
    assert summarize(endpoint, deps, NOW + timedelta(minutes=1)) == []  # once a day

    message = summary_message(endpoint)
    said = text_of(message["blocks"])
    assert "Matched and posted: *1* — NOK 1,250.00" in said
    assert "Partly paid: *1* — NOK 300.00" in said
    assert "Overpaid: *0*" in said
    assert "Unmatched: *2* — NOK 1,050.00" in said
    unknown = [scene[KID_UNKNOWN], scene[kid("77")]]
    assert [int(v.split(":")[1]) for v in buttons(message["blocks"], Act.INCOMING_POST)] == unknown
    assert [int(v.split(":")[1]) for v in buttons(message["blocks"], Act.INCOMING_MATCH)] == unknown


def test_nothing_came_and_nothing_waits_posts_nothing(
    acme: UnitOfWork, endpoint: SlackEndpoint, deps: Deps
) -> None:
    companies.update_settings(acme, org_no=ORG_NO, alerts_channel=ALERTS, now=NOW)

    assert summarize(endpoint, deps) == []
    assert endpoint.slack.calls_to("chat.postMessage") == []


def test_post_to_account_from_the_summary_posts_and_updates_its_line(
    scene: dict[str, int], endpoint: SlackEndpoint, deps: Deps, acme: UnitOfWork
) -> None:
    summarize(endpoint, deps)
    message = summary_message(endpoint)
    payment = scene[KID_UNKNOWN]
    value = value_of(payment, message["blocks"])

    click(endpoint, SIGNER.slack_user_id, message, Act.INCOMING_POST, value)
    modal = opened_modal(endpoint)
    assert modal["callback_id"] == View.INCOMING_POST.value
    meta = modal["private_metadata"]

    # A GL account that is no GL account: the modal stays, the field says why.
    status, answer = endpoint.submit(
        SIGNER.slack_user_id,
        View.INCOMING_POST.value,
        {
            Block.GL_ACCOUNT.value: {Block.GL_ACCOUNT.value: {"value": "39x"}},
            Block.POST_TEXT.value: {Block.POST_TEXT.value: {"value": "Refund from NAV"}},
        },
        private_metadata=meta,
    )
    assert status == 200 and answer is not None
    assert answer["response_action"] == "errors"
    assert "is not a GL account number" in answer["errors"][Block.GL_ACCOUNT.value]

    status, answer = endpoint.submit(
        SIGNER.slack_user_id,
        View.INCOMING_POST.value,
        {
            Block.GL_ACCOUNT.value: {Block.GL_ACCOUNT.value: {"value": "3900"}},
            Block.POST_TEXT.value: {Block.POST_TEXT.value: {"value": "Refund from NAV"}},
        },
        private_metadata=meta,
    )
    assert status == 200 and answer is None  # the modal closes

    [update] = endpoint.slack.wait_for("chat.update")
    assert (update["channel"], update["ts"]) == (ALERTS, message["ts"])
    shown = endpoint.slack.messages[(ALERTS, message["ts"])]
    assert f"Posted to 3900 by <@{SIGNER.slack_user_id}>" in text_of(shown["blocks"])
    assert str(payment) not in [
        v.split(":")[1] for v in buttons(shown["blocks"], Act.INCOMING_POST)
    ]
    [posted] = [v for v in incoming.list_incoming(acme, ORG_NO) if v.id == payment]
    assert posted.status is IncomingStatus.POSTED

    # The old copy of the summary, clicked again: told what became of it, nothing else.
    click(endpoint, SIGNER.slack_user_id, message, Act.INCOMING_POST, value)
    [told] = endpoint.slack.wait_for("response_url")
    assert told["response_type"] == "ephemeral"
    assert "is posted by hand already" in told["text"]
    endpoint.settle()
    assert len(endpoint.slack.calls_to("views.open")) == 1


class PostingRightAfterTheSummary(WebClient):
    """A person who posts a line to an account from the summary before paybot has written the
    summary down: the click, the modal and its submission, each answered and its work done."""

    def __init__(self, endpoint: SlackEndpoint, payment_id: int) -> None:
        super().__init__(token=endpoint.slack.token, base_url=endpoint.fake.url)
        self.endpoint, self.payment_id = endpoint, payment_id
        self.on: dict[str, Any] | None = None

    def chat_postMessage(self, **kwargs: Any) -> Any:  # noqa: N802 (Slack's method name)
        answer = super().chat_postMessage(**kwargs)
        self.on = message = {"ts": str(answer["ts"]), **kwargs}
        value = value_of(self.payment_id, message["blocks"])
        click(self.endpoint, SIGNER.slack_user_id, message, Act.INCOMING_POST, value)
        meta = opened_modal(self.endpoint)["private_metadata"]
        self.endpoint.submit(
            SIGNER.slack_user_id,
            View.INCOMING_POST.value,
            {
                Block.GL_ACCOUNT.value: {Block.GL_ACCOUNT.value: {"value": "3900"}},
                Block.POST_TEXT.value: {Block.POST_TEXT.value: {"value": "Refund from NAV"}},
            },
            private_metadata=meta,
        )
        self.endpoint.settle()
        return answer


def test_a_line_handled_before_the_summary_is_written_down_still_shows_on_it(
    scene: dict[str, int], endpoint: SlackEndpoint, deps: Deps
) -> None:
    client = PostingRightAfterTheSummary(endpoint, scene[KID_UNKNOWN])

    assert incoming_handlers.post_due(client, deps, NOW, pacer=Pacer(sleep=lambda s: None))

    assert client.on is not None
    shown = endpoint.slack.messages[(ALERTS, client.on["ts"])]
    assert f"Posted to 3900 by <@{SIGNER.slack_user_id}>" in text_of(shown["blocks"])
    assert str(scene[KID_UNKNOWN]) not in [
        v.split(":")[1] for v in buttons(shown["blocks"], Act.INCOMING_POST)
    ]


def test_match_to_invoice_from_the_summary_and_an_unknown_invoice_is_a_field_error(
    scene: dict[str, int], endpoint: SlackEndpoint, deps: Deps, acme: UnitOfWork
) -> None:
    summarize(endpoint, deps)
    message = summary_message(endpoint)
    payment = scene[kid("77")]  # NOK 800: invoice F-2 is open for NOK 500 after its partial
    [value] = [
        v for v in buttons(message["blocks"], Act.INCOMING_MATCH) if v.split(":")[1] == str(payment)
    ]
    click(endpoint, SIGNER.slack_user_id, message, Act.INCOMING_MATCH, value)
    meta = opened_modal(endpoint)["private_metadata"]

    def submit(invoice: str) -> dict[str, Any] | None:
        values = {Block.INVOICE.value: {Block.INVOICE.value: {"value": invoice}}}
        _, answer = endpoint.submit(
            SIGNER.slack_user_id, View.INCOMING_MATCH.value, values, private_metadata=meta
        )
        return answer

    answer = submit("F-999")
    assert answer is not None and answer["response_action"] == "errors"
    assert "no customer invoice F-999" in answer["errors"][Block.INVOICE.value]

    assert submit("F-2") is None

    endpoint.slack.wait_for("chat.update")
    shown = text_of(endpoint.slack.messages[(ALERTS, message["ts"])]["blocks"])
    assert f"Matched to invoice F-2 by <@{SIGNER.slack_user_id}> (overpaid)" in shown
    [matched] = [v for v in incoming.list_incoming(acme, ORG_NO) if v.id == payment]
    assert (matched.status, matched.invoice_no) == (IncomingStatus.OVERPAID, "F-2")


def test_a_stale_button_is_told_and_changes_nothing(
    scene: dict[str, int], endpoint: SlackEndpoint, deps: Deps, acme: UnitOfWork
) -> None:
    summarize(endpoint, deps)
    message = summary_message(endpoint)
    payment = scene[KID_UNKNOWN]
    value = value_of(payment, message["blocks"])
    org_no, pid, version = value.split(":")
    stale = f"{org_no}:{pid}:{int(version) - 1}"

    click(endpoint, SIGNER.slack_user_id, message, Act.INCOMING_POST, stale)

    [told] = endpoint.slack.wait_for("response_url")
    assert "was changed since you saw it" in told["text"]
    endpoint.settle()
    assert endpoint.slack.calls_to("views.open") == []

    # A modal opened, then someone else handles the payment before it is submitted.
    click(endpoint, SIGNER.slack_user_id, message, Act.INCOMING_POST, value)
    meta = opened_modal(endpoint)["private_metadata"]
    incoming.delete(acme, payment_id=payment, reason="Paid twice", actor=SIGNER, now=NOW)
    _, answer = endpoint.submit(
        SIGNER.slack_user_id,
        View.INCOMING_POST.value,
        {
            Block.GL_ACCOUNT.value: {Block.GL_ACCOUNT.value: {"value": "3900"}},
            Block.POST_TEXT.value: {Block.POST_TEXT.value: {"value": "Refund"}},
        },
        private_metadata=meta,
    )
    assert answer is not None and answer["response_action"] == "update"
    assert "was changed since you saw it" in text_of(answer["view"])
    endpoint.slack.wait_for("chat.update", 2)  # the first after the stale click
    shown = text_of(endpoint.slack.messages[(ALERTS, message["ts"])]["blocks"])
    assert "Deleted by <@USIGNER>: Paid twice" in shown


def open_home(endpoint: SlackEndpoint, user: str, count: int = 1) -> dict[str, Any]:
    endpoint.event({"type": "app_home_opened", "user": user, "tab": "home"})
    published = endpoint.slack.wait_for("views.publish", count)
    return dict(published[-1]["view"])


def test_the_home_tab_lists_unmatched_ones_to_a_signer_and_not_to_a_viewer(
    scene: dict[str, int], endpoint: SlackEndpoint
) -> None:
    signer = open_home(endpoint, SIGNER.slack_user_id)
    unknown = {str(scene[KID_UNKNOWN]), str(scene[kid("77")])}
    assert {v.split(":")[1] for v in buttons(signer["blocks"], Act.INCOMING_POST)} == unknown
    assert "Incoming payments to handle* (2)" in text_of(signer["blocks"])

    viewer = open_home(endpoint, VIEWER.slack_user_id, 2)
    assert buttons(viewer["blocks"], Act.INCOMING_POST) == []
    assert "Incoming payments to handle" not in text_of(viewer["blocks"])

    # Posted from the Home tab: the tab is published again without it.
    [value] = [
        v
        for v in buttons(signer["blocks"], Act.INCOMING_POST)
        if v.split(":")[1] == str(scene[KID_UNKNOWN])
    ]
    endpoint.click(SIGNER.slack_user_id, Act.INCOMING_POST.value, value, home=True)
    meta = opened_modal(endpoint)["private_metadata"]
    endpoint.submit(
        SIGNER.slack_user_id,
        View.INCOMING_POST.value,
        {
            Block.GL_ACCOUNT.value: {Block.GL_ACCOUNT.value: {"value": "3900"}},
            Block.POST_TEXT.value: {Block.POST_TEXT.value: {"value": "Refund from NAV"}},
        },
        private_metadata=meta,
    )
    again = endpoint.slack.wait_for("views.publish", 3)[-1]["view"]
    assert {v.split(":")[1] for v in buttons(again["blocks"], Act.INCOMING_POST)} == {
        str(scene[kid("77")])
    }


def test_search_direction_in_lists_incoming_payments_and_out_stays_as_it_was(
    scene: dict[str, int], endpoint: SlackEndpoint
) -> None:
    status, body = endpoint.command(SIGNER.slack_user_id, "search direction:in status:unmatched")

    assert status == 200
    answer = json.loads(body)
    assert answer["text"] == "2 incoming payment(s) match `direction:in status:unmatched`"
    unknown = {str(scene[KID_UNKNOWN]), str(scene[kid("77")])}
    assert {v.split(":")[1] for v in buttons(answer["blocks"], Act.INCOMING_POST)} == unknown

    _, body = endpoint.command(SIGNER.slack_user_id, "search direction:in")
    everything = json.loads(body)
    assert everything["text"].startswith("4 incoming payment(s) match")
    assert "Matched by KID to invoice F-1 (matched)" in text_of(everything)
    assert "NOK 1,250.00" in text_of(everything)

    _, out = endpoint.command(SIGNER.slack_user_id, "search direction:out")
    _, default = endpoint.command(SIGNER.slack_user_id, "search")
    # Payments out, as before: none here (the incoming ones are not among them).
    assert json.loads(out)["text"] == "0 payment(s) match `direction:out`"
    assert json.loads(default)["text"] == "0 payment(s) match `everything`"

    _, wrong = endpoint.command(SIGNER.slack_user_id, "search direction:in status:failed")
    assert "unknown status of an incoming payment 'failed'" in json.loads(wrong)["text"]
