"""The local Slack Web API's workspace: modals stack per person, App Homes per person,
ephemeral messages, response_url answers applied as Slack applies them, and pages woken when
something they show changes."""

from __future__ import annotations

import threading
from typing import Any

from paybot.sandbox.slack_api import FakeSlack, ResponseTarget

TOKEN = "xoxb-paybot-test"
KARI, OLA = "U0KARI", "U0OLA"


def workspace() -> FakeSlack:
    return FakeSlack(
        users={KARI: {"id": KARI, "name": "Kari"}, OLA: {"id": OLA, "name": "Ola"}},
        channels={"C0PAY": "payments"},
    )


def view(title: str, kind: str = "modal") -> dict[str, Any]:
    return {
        "type": kind,
        "title": {"type": "plain_text", "text": title},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": title}}],
    }


def call(slack: FakeSlack, method: str, **body: Any) -> dict[str, Any]:
    status, answer = slack.answer(method, body, TOKEN)
    assert status == 200
    return answer


def test_modals_stack_per_person_up_to_three() -> None:
    slack = workspace()
    opened = call(slack, "views.open", trigger_id=slack.new_trigger(KARI), view=view("one"))
    assert slack.modal_stack(KARI) == [opened["view"]["id"]]
    for title in ("two", "three"):
        assert call(slack, "views.push", trigger_id=slack.new_trigger(KARI), view=view(title))["ok"]
    assert len(slack.modal_stack(KARI)) == 3 and slack.modal_stack(OLA) == []
    refused = call(slack, "views.push", trigger_id=slack.new_trigger(KARI), view=view("four"))
    assert refused == {"ok": False, "error": "push_limit_reached"}
    assert (slack.top_view(KARI) or {})["title"]["text"] == "three"
    slack.close_view(KARI)
    assert (slack.top_view(KARI) or {})["title"]["text"] == "two"
    slack.close_view(KARI, all_views=True)
    assert slack.top_view(KARI) is None


def test_a_trigger_works_once_and_a_push_needs_an_open_modal() -> None:
    slack = workspace()
    trigger = slack.new_trigger(OLA)
    assert call(slack, "views.push", trigger_id=trigger, view=view("x"))["error"] == "not_found"
    assert call(slack, "views.open", trigger_id=trigger, view=view("x"))["error"] == (
        "exchanged_trigger_id"
    )


def test_a_view_is_updated_in_place_by_id_or_external_id_and_hash() -> None:
    slack = workspace()
    modal = {**view("one"), "external_id": "sign-7"}
    opened = call(slack, "views.open", trigger_id=slack.new_trigger(KARI), view=modal)["view"]
    stale_hash = opened["hash"]
    updated = call(slack, "views.update", external_id="sign-7", view=view("two"))["view"]
    assert updated["id"] == opened["id"] and slack.modal_stack(KARI) == [opened["id"]]
    late = call(slack, "views.update", view_id=opened["id"], hash=stale_hash, view=view("3"))
    assert late["error"] == "hash_conflict"


def test_each_person_has_one_home() -> None:
    slack = workspace()
    first = call(slack, "views.publish", user_id=KARI, view=view("home", "home"))["view"]
    again = call(slack, "views.publish", user_id=KARI, view=view("home 2", "home"))["view"]
    assert first["id"] == again["id"] and (slack.home_of(KARI) or {})["title"]["text"] == "home 2"
    assert slack.home_of(OLA) is None
    assert call(slack, "views.publish", user_id="U0NOBODY", view=view("h", "home"))["error"] == (
        "user_not_found"
    )
    assert call(slack, "views.publish", user_id=KARI, view=view("m"))["error"] == (
        "invalid_arguments"
    )


def test_ephemeral_messages_are_for_one_person() -> None:
    slack = workspace()
    call(slack, "chat.postEphemeral", channel="C0PAY", user=OLA, text="only Ola")
    messages, ola = slack.conversation("C0PAY", OLA)
    assert messages == [] and [e.body["text"] for e in ola] == ["only Ola"]
    assert slack.conversation("C0PAY", KARI)[1] == []
    assert call(slack, "chat.postEphemeral", channel="C0PAY", user="U0NOBODY", text="x")[
        "error"
    ] == ("user_not_in_channel")


def test_a_thread_reply_needs_its_first_message() -> None:
    slack = workspace()
    ts = call(slack, "chat.postMessage", channel="C0PAY", text="first")["ts"]
    assert call(slack, "chat.postMessage", channel="C0PAY", text="reply", thread_ts=ts)["ok"]
    lost = call(slack, "chat.postMessage", channel="C0PAY", text="reply", thread_ts="1.1")
    assert lost["error"] == "thread_not_found"


def test_response_urls_replace_delete_or_add_as_slack_does() -> None:
    slack = workspace()
    ts = call(slack, "chat.postMessage", channel="C0PAY", text="card")["ts"]
    url = slack.new_response_url("http://x", ResponseTarget(KARI, "C0PAY", ts))
    name = url.removeprefix("http://x")
    slack.answer_response_url(name, {"replace_original": True, "text": "card, approved"})
    assert slack.messages[("C0PAY", ts)]["text"] == "card, approved"
    slack.answer_response_url(name, {"text": "only Kari"})
    assert [e.body["text"] for e in slack.conversation("C0PAY", KARI)[1]] == ["only Kari"]
    slack.answer_response_url(name, {"response_type": "in_channel", "text": "for all"})
    assert len(slack.conversation("C0PAY", OLA)[0]) == 2
    slack.answer_response_url(name, {"delete_original": True})
    assert ("C0PAY", ts) not in slack.messages
    # One the workspace did not issue is only recorded (the tests' response URLs).
    assert slack.answer_response_url("/response/other", {"text": "x"}) == (200, {"ok": True})


def test_a_waiting_page_wakes_when_something_changes() -> None:
    slack = workspace()
    seen = slack.version
    woke: list[int] = []
    waiter = threading.Thread(target=lambda: woke.append(slack.wait_change(seen, 10)))
    waiter.start()
    call(slack, "chat.postMessage", channel="C0PAY", text="news")
    waiter.join(5)
    assert woke and woke[0] > seen
    assert slack.wait_change(slack.version, 0.01) == slack.version  # nothing new: times out
