"""Each load of the demo's page is a client of its own, as each Slack client is: a modal a person
opens shows in the page they opened it in, and a page loaded again (or in another browser)
starts with none, for every person. A page left open while the demo was restarted is told to
load again."""

from __future__ import annotations

import re
import urllib.request
from typing import Any

from paybot.demo import seed
from paybot.sandbox.slack_api import FakeSlack
from tests.demo.conftest import DemoPage

ACC, SIGNER = seed.ACCOUNTANT.user_id, seed.SIGNER_1.user_id
PROPOSALS = seed.PROPOSALS_CHANNEL
KARI, OLA = "U0KARI", "U0OLA"


def load(page: DemoPage) -> str:
    """Loads the page as a browser does; returns the client id it was given."""
    with urllib.request.urlopen(page.url + "/", timeout=30) as response:
        html = response.read().decode()
    found = re.search(r'data-client="([^"]+)"', html)
    assert found, "the page names no client"
    return found.group(1)


def state(page: DemoPage, user: str, client: str) -> dict[str, Any]:
    status, shown = page.get(f"/ui/state?as={user}&conv={PROPOSALS}&client={client}")
    assert status == 200, shown
    return shown


def open_details(page: DemoPage, user: str, client: str) -> str:
    """Clicks Details on a red card of the daily post in `client`; returns the modal's view id
    once paybot has filled it in."""
    shown = page.until(
        user, PROPOSALS, lambda s: 'data-action-id="payment.details"' in s["pane"]["html"]
    )
    html = shown["pane"]["html"]
    before, after = html.split('data-action-id="payment.details"', 1)
    ts = before.rsplit('data-ts="', 1)[1].split('"', 1)[0]
    block = before.rsplit('data-block-id="', 1)[1].split('"', 1)[0]
    value = after.split('data-value="', 1)[1].split('"', 1)[0]
    status, answer = page.post(
        "/ui/click",
        {
            "as": user,
            "client": client,
            "container": {"type": "message", "channel": PROPOSALS, "ts": ts},
            "action": {"action_id": "payment.details", "block_id": block, "value": value},
        },
    )
    assert status == 200 and answer["status"] == 200, answer
    for _ in range(300):
        modal = state(page, user, client)["modal"]
        if modal and f"#{value}" in modal["html"]:
            return str(modal["view_id"])
        page.demo.slack.wait_change(page.demo.slack.version, 0.1)
    raise AssertionError("the Details modal did not open")


def test_each_load_of_the_page_is_a_client_of_its_own(page: DemoPage) -> None:
    assert len({load(page) for _ in range(3)}) == 3


def test_a_modal_left_open_is_not_in_the_next_page_for_anyone(page: DemoPage) -> None:
    first = load(page)
    opened = open_details(page, SIGNER, first)  # the signer, not the person a page starts as
    assert state(page, SIGNER, first)["modal"]["view_id"] == opened

    again = load(page)  # the page loaded again, or in another browser
    for person in (ACC, SIGNER):
        assert state(page, person, again)["modal"] is None
    status, refused = page.post("/ui/submit", {"as": SIGNER, "client": again, "view_id": opened})
    assert status == 400 and f"no view {opened}" in refused["error"]
    # The page it was opened in still has it, until it is closed there.
    assert state(page, SIGNER, first)["modal"]["view_id"] == opened
    status, _ = page.post("/ui/close", {"as": SIGNER, "client": first, "view_id": opened})
    assert status == 200 and state(page, SIGNER, first)["modal"] is None


def test_a_page_of_an_earlier_run_is_told_to_load_again(page: DemoPage) -> None:
    earlier = "a-client-of-an-earlier-run"
    status, answer = page.get(f"/ui/state?as={SIGNER}&conv={PROPOSALS}&since=5&client={earlier}")
    assert status == 409 and answer["reload"] is True and "earlier run" in answer["error"]
    body = {"as": SIGNER, "client": earlier, "view_id": "V1"}
    for path in ("/ui/click", "/ui/submit", "/ui/close", "/ui/command", "/ui/home"):
        status, answer = page.post(path, body)
        assert status == 409 and answer["reload"] is True, path
    assert state(page, SIGNER, load(page))["ok"]


def test_a_modal_opens_and_stacks_in_the_client_its_trigger_came_from() -> None:
    slack = FakeSlack(users={KARI: {"id": KARI}, OLA: {"id": OLA}}, channels={"C0PAY": "pay"})

    def modal(title: str) -> dict[str, Any]:
        text = {"type": "plain_text", "text": title}
        return {"type": "modal", "title": text, "blocks": [{"type": "section", "text": text}]}

    def call(method: str, trigger: str, title: str) -> dict[str, Any]:
        _, answer = slack.answer(method, {"trigger_id": trigger, "view": modal(title)}, slack.token)
        return answer

    one = call("views.open", slack.new_trigger(KARI, "tab-1"), "one")["view"]["id"]
    two = call("views.push", slack.new_trigger(KARI, "tab-1"), "two")["view"]["id"]
    assert slack.modal_stack(KARI, "tab-1") == [one, two]
    assert slack.top_view(KARI, "tab-2") is None and slack.top_view(KARI) is None
    # A push needs a modal open in the same client.
    assert call("views.push", slack.new_trigger(KARI, "tab-2"), "x")["error"] == "not_found"
    slack.close_view(KARI, client="tab-2", all_views=True)
    assert slack.modal_stack(KARI, "tab-1") == [one, two]
    slack.close_view(KARI, client="tab-1")
    assert (slack.top_view(KARI, "tab-1") or {})["id"] == one
