"""The demo's workspace through its HTTP endpoints, as its page uses them: what paybot posts shows
up, a click becomes Slack's signed request, bad input gets Slack's (or a clear) error and never a
crash, and the demo writes nothing outside its folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from paybot.demo import seed
from paybot.demo.server import Demo, FolderRefused, prepare_folder
from paybot.services.common import ActorRef
from tests.demo.conftest import DemoPage

ACC, SIGNER = seed.ACCOUNTANT.user_id, seed.SIGNER_1.user_id
PROPOSALS, ALERTS = seed.PROPOSALS_CHANNEL, seed.ALERTS_CHANNEL


def first_message(state: dict[str, Any]) -> tuple[str, str]:
    """(channel, ts) of the first message in the pane's HTML."""
    html = state["pane"]["html"]
    ts = html.split('data-ts="', 1)[1].split('"', 1)[0]
    return state["pane"]["id"], ts


def posted(state: dict[str, Any]) -> bool:
    return 'data-action-id="payment.approve"' in state["pane"]["html"]


def test_the_daily_post_shows_and_a_click_approves(page: DemoPage) -> None:
    state = page.until(ACC, PROPOSALS, posted)
    assert state["people"][0]["name"] == seed.ACCOUNTANT.name
    assert state["code"] is None  # the accountant signs nothing
    channel, ts = first_message(state)
    payment = state["pane"]["html"].split('data-action-id="payment.approve"', 1)[1]
    block = payment.split('data-block-id="', 1)[1].split('"', 1)[0]
    value = payment.split('data-value="', 1)[1].split('"', 1)[0]
    status, answer = page.post(
        "/ui/click",
        {
            "as": ACC,
            "container": {"type": "message", "channel": channel, "ts": ts},
            "action": {"action_id": "payment.approve", "block_id": block, "value": value},
        },
    )
    assert status == 200 and answer["status"] == 200
    try:
        page.until(ACC, PROPOSALS, lambda s: "Approved by" in s["pane"]["html"])
    except AssertionError as late:
        # What paybot told the person instead (an ephemeral answer, a response_url reply).
        told = [
            (call.method, str(call.body.get("text"))[:200])
            for call in page.demo.slack.calls
            if call.method in ("chat.postEphemeral", "response_url", "chat.update")
        ]
        raise AssertionError(f"{late}; paybot answered the click with: {told}") from None
    # Bolt's signature check is on: the request paybot took was signed as Slack signs.
    assert page.demo.slack.calls_to("chat.update")


def test_a_signer_sees_the_code_of_the_phone(page: DemoPage) -> None:
    state = page.state(SIGNER, PROPOSALS)
    device = page.demo.members[1].device
    assert device is not None and state["code"]["code"] == device.at(page.demo.clock())
    assert 1 <= state["code"]["seconds_left"] <= 30


def test_the_troubled_payments_raise_their_alerts(page: DemoPage) -> None:
    state = page.until(
        SIGNER, ALERTS, lambda s: "AC01" in s["pane"]["html"] and "no answer" in s["pane"]["html"]
    )
    assert 'data-action-id="alert.fix"' in state["pane"]["html"] or "Fix" in state["pane"]["html"]


def test_a_slash_command_answers_only_the_person(page: DemoPage) -> None:
    status, answer = page.post(
        "/ui/command", {"as": SIGNER, "channel": PROPOSALS, "text": "/bank help"}
    )
    assert status == 200
    state = page.until(SIGNER, PROPOSALS, lambda s: "Only visible to you" in s["pane"]["html"])
    assert "/bank search" in state["pane"]["html"]
    assert "Only visible to you" not in page.state(ACC, PROPOSALS)["pane"]["html"]


def test_an_unknown_slash_command_is_answered_as_slack_does(page: DemoPage) -> None:
    page.post("/ui/command", {"as": SIGNER, "channel": PROPOSALS, "text": "/pay everything"})
    state = page.until(SIGNER, PROPOSALS, lambda s: "not a valid command" in s["pane"]["html"])
    assert "/pay" in state["pane"]["html"]


def test_the_home_tab_opens(page: DemoPage) -> None:
    status, _ = page.post("/ui/home", {"as": SIGNER})
    assert status == 200
    state = page.until(SIGNER, "home", lambda s: 'data-container="view"' in s["pane"]["html"])
    assert seed.SIGNER_1.name in state["pane"]["html"] or "Proposals" in state["pane"]["html"]


@pytest.mark.parametrize(
    ("path", "body", "said"),
    [
        ("/ui/click", b"{not json", "bad request"),
        ("/ui/click", b"[1, 2]", "JSON object"),
        ("/ui/click", json.dumps({"as": "U0NOBODY"}).encode(), "nobody called U0NOBODY"),
        (
            "/ui/submit",
            json.dumps({"as": SIGNER, "view_id": "V404", "values": {}}).encode(),
            "no view V404",
        ),
        (
            "/ui/click",
            json.dumps(
                {
                    "as": SIGNER,
                    "container": {"type": "message", "channel": PROPOSALS, "ts": "1.2"},
                    "action": {"action_id": "payment.approve", "value": "1"},
                }
            ).encode(),
            "no longer there",
        ),
        ("/ui/close", json.dumps({"as": SIGNER, "view_id": "V1"}).encode(), "no view V1"),
    ],
)
def test_bad_requests_from_the_page_get_a_clear_error(
    page: DemoPage, path: str, body: bytes, said: str
) -> None:
    status, answer = page.post(path, None, raw=body)
    assert status == 400 and answer["ok"] is False and said in answer["error"]
    assert page.state(SIGNER, PROPOSALS)["ok"]  # still answering


def test_the_slack_api_answers_bad_calls_as_slack_does(page: DemoPage) -> None:
    def call(method: str, body: bytes, kind: str = "application/json") -> dict[str, Any]:
        request = urllib.request.Request(
            f"{page.url}/api/{method}",
            body,
            {"Content-Type": kind, "Authorization": "Bearer xoxb-paybot-demo"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return dict(json.loads(response.read()))
        except urllib.error.HTTPError as error:
            return dict(json.loads(error.read()))

    assert call("chat.launchRockets", b"{}")["error"] == "unknown_method"
    assert call("chat.postMessage", b"{oops")["error"] == "invalid_json"
    assert call("chat.postMessage", b'{"channel": "C0NOWHERE", "text": "x"}')["error"] == (
        "channel_not_found"
    )
    assert call("views.update", b'{"view_id": "V999", "view": {"type": "modal"}}')["error"] == (
        "not_found"
    )
    stale = page.demo.slack.new_trigger(SIGNER)
    page.demo.slack.triggers[stale] -= 10  # issued ten seconds ago
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "x"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}],
    }
    answer = call("views.open", json.dumps({"trigger_id": stale, "view": view}).encode())
    assert answer["error"] == "expired_trigger_id"
    answer = call("views.open", json.dumps({"trigger_id": stale, "view": view}).encode())
    assert answer["error"] == "exchanged_trigger_id"


def test_a_request_not_signed_by_slack_is_refused(page: DemoPage) -> None:
    request = urllib.request.Request(
        f"{page.url}/slack/events",
        b"payload=%7B%7D",
        {"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 401


def test_the_demo_writes_only_in_its_folder(demo: Demo, tmp_path: Path) -> None:
    DemoPage(demo).until(SIGNER, ALERTS, lambda s: "AC01" in s["pane"]["html"])  # files sent
    assert list((tmp_path / "cwd").iterdir()) == []
    written = {p.relative_to(demo.folder).parts[0] for p in demo.folder.rglob("*")}
    assert {"paybot.db", "files"} <= written
    assert all(p.resolve().is_relative_to(demo.folder) for p in demo.folder.rglob("*"))


def test_a_folder_with_other_things_in_it_is_refused(tmp_path: Path) -> None:
    (tmp_path / "accounts.xlsx").write_text("not a demo")
    with pytest.raises(FolderRefused, match="not empty"):
        prepare_folder(tmp_path)
    assert (tmp_path / "accounts.xlsx").exists()
    earlier = tmp_path / "earlier"
    prepare_folder(earlier)
    (earlier / "paybot.db").write_text("an earlier demo's")
    prepare_folder(earlier)
    assert sorted(p.name for p in earlier.iterdir()) == [".paybot-demo"]


def test_paybot_serve_does_not_load_the_demo() -> None:
    code = (
        "import sys, paybot.cli.main, paybot.cli.serve, paybot.gunicorn_app, paybot.serving, "
        "paybot.app, paybot.jobs\n"
        "loaded = sorted(m for m in sys.modules if m == 'paybot.demo' or "
        "m.startswith('paybot.demo.'))\n"
        "print(','.join(loaded))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert done.stdout.strip() == ""


def test_the_customers_payments_come_in_matched_partial_and_unknown(demo: Demo) -> None:
    """The bank's OCR Giro file waiting at start: one invoice paid in full, one in part, one KID
    nobody knows, for a person to post by hand."""
    from paybot.services import incoming

    deadline = time.monotonic() + 30
    while not (found := incoming.list_incoming(demo.parts.uow(), seed.ORG_NO)):
        assert time.monotonic() < deadline, "the OCR file was not taken"
        time.sleep(0.2)
    assert sorted(p.status for p in found) == ["matched", "partial", "unmatched"]
    matched = next(p for p in found if p.status == "matched")
    assert matched.invoice_no == "2026-501" and matched.voucher is not None


def test_the_demo_company_posts_by_hand_only_to_its_chart_of_accounts(demo: Demo) -> None:
    """The unknown KID, posted by hand: to an account the bakery does not have, refused on the
    account; to its "other income", taken."""
    from paybot.core.chart_of_accounts import AccountNotInChart
    from paybot.services import incoming

    deadline = time.monotonic() + 30
    while not (found := incoming.list_incoming(demo.parts.uow(), seed.ORG_NO)):
        assert time.monotonic() < deadline, "the OCR file was not taken"
        time.sleep(0.2)
    unknown = next(p for p in found if p.status == "unmatched")
    signer = ActorRef(seed.SIGNER_1.user_id)
    now = demo.clock()

    def post(account: str) -> object:
        return incoming.post_by_hand(
            demo.parts.uow(), payment_id=unknown.id, account=account, text="Refund",
            actor=signer, now=now, version=unknown.version,
        )  # fmt: skip

    with pytest.raises(AccountNotInChart) as refused:
        post("9999")
    assert set(refused.value.errors) == {"account"}
    post("3900")
    [posted] = [
        p for p in incoming.list_incoming(demo.parts.uow(), seed.ORG_NO) if p.id == unknown.id
    ]
    assert posted.status == "posted"
