"""Approve, Sign, Fix, Details, Delete, Add to bank and Sign all blue, clicked as Slack clicks
them (signed requests to the real endpoint) against the local Slack Web API, on both databases.
Each test starts from a real posted message showing the payments, so there is one to update."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from slack_sdk import WebClient

from paybot.core.company import Language
from paybot.core.payments import Flag, PaymentView, ReferenceType
from paybot.core.states import PaymentStatus
from paybot.handlers import modals as modal_handlers
from paybot.handlers.ids import Act, Block, View
from paybot.handlers.views.blocks import header
from paybot.handlers.views.cards import payment_entries
from paybot.services import companies, payments, people, slack_records
from paybot.store.uow import UnitOfWork
from tests.builders import (
    ACCOUNT_A,
    ACCOUNT_B,
    APPROVER,
    NOW,
    ORG_NO,
    OSLO,
    SIGNER,
    VIEWER,
    Authenticator,
    a_company,
    a_supplier,
    an_item,
    ledger_with,
)
from tests.slack.conftest import CHANNEL, Clock, SlackEndpoint, text_of

KIDS = ("0000001230", "0000001248")


@pytest.fixture
def phone(uow: UnitOfWork) -> Authenticator:
    found = a_company(uow)
    assert found is not None
    return found


@pytest.fixture
def shown(uow: UnitOfWork, phone: Authenticator) -> list[PaymentView]:
    """Two blue proposals: NOK 1,250.00 and NOK 3,750.00."""
    found = ledger_with(
        uow,
        [an_item(reference=KIDS[0]), an_item(amount=Decimal("3750.00"), reference=KIDS[1])],
        [a_supplier()],
    )
    return sorted(found.values(), key=lambda p: p.amount)


@pytest.fixture
def ts(uow: UnitOfWork, endpoint: SlackEndpoint, shown: list[PaymentView]) -> str:
    """The proposals message, posted to the channel and remembered as showing the payments."""
    return post_message(uow, endpoint, shown)


def post_message(uow: UnitOfWork, endpoint: SlackEndpoint, shown: list[PaymentView]) -> str:
    client = WebClient(token=endpoint.slack.token, base_url=endpoint.fake.url)
    intro = [header("Payment proposals")]
    blocks = intro + payment_entries(shown, {}, Language.EN, zone=OSLO)
    posted = client.chat_postMessage(channel=CHANNEL, text="Proposals", blocks=blocks)
    slack_records.record_message(
        uow,
        company_org_no=ORG_NO,
        kind="proposals",
        channel=CHANNEL,
        ts=posted["ts"],
        thread_ts=None,
        intro=intro,
        payment_ids=[p.id for p in shown],
        now=NOW,
    )
    return str(posted["ts"])


def status_of(uow: UnitOfWork, payment_id: int) -> PaymentStatus:
    return payments.show(uow, payment_id=payment_id).payment.status


def entry(endpoint: SlackEndpoint, ts: str, payment_id: int) -> str:
    """What the message shows now for one payment: its section, who did what, its buttons."""
    blocks = endpoint.slack.messages[(CHANNEL, ts)]["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    found: list[dict[str, Any]] = []
    for block in blocks:
        if block["type"] == "section" and f"#{payment_id}" in block["text"]["text"]:
            found = [block]
        elif found and block["type"] == "section":
            break
        elif found:
            found.append(block)
    assert found, f"payment {payment_id} is not in the message"
    return text_of(found)


def updated(endpoint: SlackEndpoint, count: int = 1) -> list[dict[str, Any]]:
    calls = endpoint.slack.wait_for("chat.update", count)
    assert len(calls) >= count, "the message was not updated"
    return calls


def told(endpoint: SlackEndpoint, method: str = "response_url") -> str:
    [said] = endpoint.slack.wait_for(method)
    return str(said["text"])


def ok(answer: tuple[int, str]) -> None:
    status, body = answer
    assert status == 200, body


def opened_modal(endpoint: SlackEndpoint, count: int = 1) -> dict[str, Any]:
    """The modal opened at once with the trigger id, as filled in afterwards (views.update)."""
    assert len(endpoint.slack.calls_to("views.open")) == count
    filled = endpoint.slack.wait_for("views.update", count)
    assert len(filled) >= count, "the modal was not filled in"
    view = filled[-1]["view"]
    view = dict(json.loads(view) if isinstance(view, str) else view)
    stored = endpoint.slack.views.get(filled[-1]["view_id"])
    assert stored is not None and stored["blocks"] == view["blocks"], "views.update failed"
    return view


def code_field(view: dict[str, Any]) -> dict[str, Any] | None:
    return next((b for b in view["blocks"] if b.get("block_id") == Block.CODE.value), None)


def test_approve_updates_the_message_in_place_with_who_and_when(
    uow: UnitOfWork, endpoint: SlackEndpoint, shown: list[PaymentView], ts: str
) -> None:
    first, second = shown
    ok(endpoint.click(APPROVER.slack_user_id, Act.APPROVE, str(first.id), ts=ts))
    [update] = updated(endpoint)
    assert update["ts"] == ts
    assert status_of(uow, first.id) is PaymentStatus.APPROVED
    now = entry(endpoint, ts, first.id)
    assert "Approved by <@UAPPROVER> at 10:00" in now  # 09:00 UTC is 10:00 in Oslo
    assert Act.APPROVE.value not in now and Act.SIGN.value in now
    assert Act.APPROVE.value in entry(endpoint, ts, second.id)
    endpoint.settle()
    assert endpoint.slack.calls_to("response_url") == []


def test_a_viewer_is_refused_in_a_sentence_to_them_only(
    uow: UnitOfWork, endpoint: SlackEndpoint, shown: list[PaymentView], ts: str
) -> None:
    before = endpoint.slack.messages[(CHANNEL, ts)]
    ok(endpoint.click(VIEWER.slack_user_id, Act.APPROVE, str(shown[0].id), ts=ts))
    [said] = endpoint.slack.wait_for("response_url")
    assert said["response_type"] == "ephemeral" and said["replace_original"] is False
    assert "may not approve" in said["text"] and "approver role" in said["text"]
    assert status_of(uow, shown[0].id) is PaymentStatus.PROPOSED
    endpoint.settle()
    assert endpoint.slack.messages[(CHANNEL, ts)] == before
    assert endpoint.slack.calls_to("chat.update") == []


def test_approving_twice_is_refused_and_says_so(
    uow: UnitOfWork, endpoint: SlackEndpoint, shown: list[PaymentView], ts: str
) -> None:
    ok(endpoint.click(APPROVER.slack_user_id, Act.APPROVE, str(shown[0].id), ts=ts))
    updated(endpoint)
    ok(endpoint.click(APPROVER.slack_user_id, Act.APPROVE, str(shown[0].id), ts=ts))
    assert "is approved and cannot be approved" in told(endpoint)


def test_a_click_on_an_old_message_acts_on_the_state_now(
    uow: UnitOfWork, endpoint: SlackEndpoint, shown: list[PaymentView], ts: str
) -> None:
    payments.delete(uow, actor=APPROVER, payment_ids=[shown[0].id], now=NOW)  # not via Slack
    ok(endpoint.click(APPROVER.slack_user_id, Act.APPROVE, str(shown[0].id), ts=ts))
    assert "is deleted and cannot be approved" in told(endpoint)
    assert status_of(uow, shown[0].id) is PaymentStatus.DELETED
    updated(endpoint)  # the message showed a state that is gone: now it shows the one there is
    now = entry(endpoint, ts, shown[0].id)
    assert "Deleted" in now and Act.RESTORE.value in now and Act.APPROVE.value not in now


def test_sign_opens_a_modal_at_once_then_fills_it_with_the_code_field(
    endpoint: SlackEndpoint, shown: list[PaymentView], ts: str
) -> None:
    ok(endpoint.click(SIGNER.slack_user_id, Act.SIGN, str(shown[1].id), ts=ts))
    [opened] = endpoint.slack.calls_to("views.open")
    assert "Loading" in text_of(opened["view"])
    view = opened_modal(endpoint)
    assert view["callback_id"] == View.SIGN.value and view["submit"]["text"] == "Sign"
    text = text_of(view["blocks"])
    assert "Leverandør AS" in text and "NOK 3,750.00" in text and KIDS[1] in text
    assert "Total:* NOK 3,750.00" in text and "due 1 Dec 2026" in text
    field = code_field(view)
    assert field is not None and field["element"]["action_id"] == "code"
    assert "authenticator" in field["label"]["text"]
    assert json.loads(view["private_metadata"]) == {
        "ids": [shown[1].id],
        "v": [1],  # the version of its details shown: the code signs that version or nothing
        "lang": "en",
        "channel": CHANNEL,
        "ts": ts,
    }


def test_someone_who_cannot_sign_is_told_in_the_modal_without_a_code_field(
    endpoint: SlackEndpoint, shown: list[PaymentView], ts: str
) -> None:
    ok(endpoint.click(APPROVER.slack_user_id, Act.SIGN, str(shown[0].id), ts=ts))
    view = opened_modal(endpoint)
    assert "needs the signer role" in text_of(view) and "submit" not in view
    assert code_field(view) is None


def sign_modal(endpoint: SlackEndpoint, payment_id: int, ts: str) -> dict[str, Any]:
    ok(endpoint.click(SIGNER.slack_user_id, Act.SIGN, str(payment_id), ts=ts))
    return opened_modal(endpoint)


def submit_code(
    endpoint: SlackEndpoint, view: dict[str, Any], code: str, view_id: str = "VMODAL"
) -> dict[str, Any] | None:
    status, answer = endpoint.submit(
        SIGNER.slack_user_id,
        view["callback_id"],
        {Block.CODE.value: {"code": {"type": "plain_text_input", "value": code}}},
        private_metadata=view["private_metadata"],
        view_id=view_id,
    )
    assert status == 200
    return answer


def test_a_wrong_code_is_an_error_on_the_code_field(
    uow: UnitOfWork, endpoint: SlackEndpoint, shown: list[PaymentView], ts: str
) -> None:
    view = sign_modal(endpoint, shown[0].id, ts)
    answer = submit_code(endpoint, view, "000000")
    assert answer is not None and answer["response_action"] == "errors"
    assert "not right" in answer["errors"][Block.CODE.value]
    assert status_of(uow, shown[0].id) is PaymentStatus.PROPOSED


def test_a_right_code_signs_and_the_message_shows_it(
    uow: UnitOfWork,
    endpoint: SlackEndpoint,
    clock: Clock,
    phone: Authenticator,
    shown: list[PaymentView],
    ts: str,
) -> None:
    view = sign_modal(endpoint, shown[0].id, ts)
    code, clock.at = phone.code()
    answer = submit_code(endpoint, view, code)
    assert answer is not None and answer["response_action"] == "update"
    assert "Signed: 1 payment(s), NOK 1,250.00" in text_of(answer["view"])
    assert status_of(uow, shown[0].id) is PaymentStatus.DUE
    updated(endpoint)
    now = entry(endpoint, ts, shown[0].id)
    assert "Signed by <@USIGNER>" in now and Act.SIGN.value not in now
    again = submit_code(endpoint, view, code)  # the same code again: a replay
    assert again is not None and "used already" in again["errors"][Block.CODE.value]


def test_a_limit_refusal_is_an_error_on_the_code_field(
    uow: UnitOfWork,
    endpoint: SlackEndpoint,
    clock: Clock,
    phone: Authenticator,
    shown: list[PaymentView],
    ts: str,
) -> None:
    view = sign_modal(endpoint, shown[1].id, ts)
    people.set_user(uow, company_org_no=ORG_NO, user=SIGNER, max_per_day=Decimal("3000"), now=NOW)
    code, clock.at = phone.code()
    answer = submit_code(endpoint, view, code)
    assert answer is not None and "limit" in answer["errors"][Block.CODE.value]
    assert status_of(uow, shown[1].id) is PaymentStatus.PROPOSED


def fix_modal(endpoint: SlackEndpoint, payment_id: int, ts: str) -> dict[str, Any]:
    value = f"fix:{payment_id}"
    ok(endpoint.click(APPROVER.slack_user_id, Act.MORE, value, ts=ts, overflow=True))
    return opened_modal(endpoint)


def submit_fix(
    endpoint: SlackEndpoint, view: dict[str, Any], account: str, kind: str, reference: str
) -> dict[str, Any] | None:
    values = {
        Block.ACCOUNT.value: {"account": {"type": "plain_text_input", "value": account}},
        Block.REFERENCE_TYPE.value: {
            "reference_type": {"type": "static_select", "selected_option": {"value": kind}}
        },
        Block.REFERENCE.value: {"reference": {"type": "plain_text_input", "value": reference}},
    }
    status, answer = endpoint.submit(
        APPROVER.slack_user_id, View.FIX, values, private_metadata=view["private_metadata"]
    )
    assert status == 200
    return answer


def test_the_fix_modal_is_prefilled_and_an_invalid_account_is_a_field_error(
    uow: UnitOfWork, endpoint: SlackEndpoint, shown: list[PaymentView], ts: str
) -> None:
    payment = shown[0]
    view = fix_modal(endpoint, payment.id, ts)
    assert view["callback_id"] == View.FIX.value
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert inputs[Block.ACCOUNT.value]["initial_value"] == payment.account
    assert inputs[Block.REFERENCE.value]["initial_value"] == KIDS[0]
    assert inputs[Block.REFERENCE_TYPE.value]["initial_option"]["value"] == "kid"
    answer = submit_fix(endpoint, view, "12345678900", "kid", "12345")
    assert answer is not None and answer["response_action"] == "errors"
    assert set(answer["errors"]) == {Block.ACCOUNT.value, Block.REFERENCE.value}
    assert payments.show(uow, payment_id=payment.id).payment.account == payment.account


def test_a_valid_fix_changes_the_payment_and_the_message(
    uow: UnitOfWork, endpoint: SlackEndpoint, shown: list[PaymentView], ts: str
) -> None:
    view = fix_modal(endpoint, shown[0].id, ts)
    answer = submit_fix(endpoint, view, ACCOUNT_B, "message", "Invoice 77")
    assert answer is not None and "Fixed" in text_of(answer["view"])
    fixed = payments.show(uow, payment_id=shown[0].id).payment
    assert fixed.account == ACCOUNT_B and fixed.reference_type is ReferenceType.MESSAGE
    assert fixed.reference == "Invoice 77"
    updated(endpoint)
    assert "Fixed by <@UAPPROVER>" in entry(endpoint, ts, shown[0].id)


def test_details_show_the_voucher_and_for_orange_the_open_items(
    uow: UnitOfWork, endpoint: SlackEndpoint, phone: Authenticator
) -> None:
    found = ledger_with(
        uow,
        [
            an_item(voucher_no="5001", invoice_no="INV-77", reference=KIDS[0]),
            an_item(voucher_no="5002", invoice_no="CN-9", amount=Decimal("-500.00")),
        ],
        [a_supplier()],
    )
    orange = found["5001"]
    assert orange.flag is Flag.ORANGE
    ts = post_message(uow, endpoint, [orange])
    ok(endpoint.click(VIEWER.slack_user_id, Act.MORE, f"details:{orange.id}", ts=ts, overflow=True))
    view = opened_modal(endpoint)
    text = text_of(view)
    assert view["callback_id"] == View.DETAILS.value and "submit" not in view
    for shown in ("5001", "INV-77", "NOK 1,250.00", "NOK", "KID", KIDS[0], "1 Dec 2026"):
        assert shown in text, shown
    assert "orange" in text and "open credit notes" in text
    assert "5002" in text and "CN-9" in text and "-NOK 500.00" in text
    assert "History" in text and "Proposed from the ledger" in text


def test_delete_from_the_menu_asks_first_then_add_to_bank_brings_it_back(
    uow: UnitOfWork, endpoint: SlackEndpoint, shown: list[PaymentView], ts: str
) -> None:
    payment = shown[0]
    ok(endpoint.click(APPROVER.slack_user_id, Act.MORE, f"delete:{payment.id}", overflow=True))
    view = opened_modal(endpoint)
    assert view["callback_id"] == View.DELETE.value and view["submit"]["text"] == "Delete"
    assert "You can add it back later" in text_of(view)
    assert status_of(uow, payment.id) is PaymentStatus.PROPOSED  # nothing before the confirm
    status, answer = endpoint.submit(
        APPROVER.slack_user_id, View.DELETE, {}, private_metadata=view["private_metadata"]
    )
    assert status == 200 and answer is None  # closes
    assert status_of(uow, payment.id) is PaymentStatus.DELETED
    updated(endpoint)
    assert "Deleted by <@UAPPROVER>" in entry(endpoint, ts, payment.id)
    ok(endpoint.click(APPROVER.slack_user_id, Act.RESTORE, str(payment.id), ts=ts))
    updated(endpoint, 2)
    assert status_of(uow, payment.id) is PaymentStatus.PROPOSED
    now = entry(endpoint, ts, payment.id)
    assert "Added back by <@UAPPROVER>" in now and Act.APPROVE.value in now


def test_sign_all_blue_shows_count_and_total_then_signs_them_all_with_one_code(
    uow: UnitOfWork,
    endpoint: SlackEndpoint,
    clock: Clock,
    phone: Authenticator,
    shown: list[PaymentView],
    ts: str,
) -> None:
    ledger_with(uow, [an_item(reference=None)])  # a red one: not offered
    ok(endpoint.click(SIGNER.slack_user_id, Act.SIGN_ALL_BLUE, ORG_NO, ts=ts))
    view = opened_modal(endpoint)
    assert view["callback_id"] == View.SIGN_ALL_BLUE.value
    text = text_of(view)
    assert "You sign 2 payment(s)" in text and "Total:* NOK 5,000.00" in text
    assert code_field(view) is not None
    assert all(status_of(uow, p.id) is PaymentStatus.PROPOSED for p in shown)
    code, clock.at = phone.code()
    answer = submit_code(endpoint, view, code)
    assert answer is not None and "Signed: 2 payment(s), NOK 5,000.00" in text_of(answer)
    assert all(status_of(uow, p.id) is PaymentStatus.DUE for p in shown)
    updated(endpoint)
    assert all("Signed by <@USIGNER>" in entry(endpoint, ts, p.id) for p in shown)


def test_sign_all_blue_leaves_out_what_is_above_the_limit_and_says_so(
    uow: UnitOfWork, endpoint: SlackEndpoint, shown: list[PaymentView]
) -> None:
    people.set_user(
        uow, company_org_no=ORG_NO, user=SIGNER, max_per_payment=Decimal("2000"), now=NOW
    )
    ok(endpoint.click(SIGNER.slack_user_id, Act.SIGN_ALL_BLUE, ORG_NO, home=True))
    text = text_of(opened_modal(endpoint))
    assert "You sign 1 payment(s)" in text and "Total:* NOK 1,250.00" in text
    assert "1 left out: above your limit of NOK 2,000.00 per payment" in text


def test_a_refusal_on_the_home_tab_comes_as_a_direct_message(
    uow: UnitOfWork, endpoint: SlackEndpoint, shown: list[PaymentView]
) -> None:
    ok(endpoint.click(VIEWER.slack_user_id, Act.APPROVE, str(shown[0].id), home=True))
    [dm] = endpoint.slack.wait_for("chat.postMessage")
    assert dm["channel"] == VIEWER.slack_user_id and "may not approve" in dm["text"]
    assert status_of(uow, shown[0].id) is PaymentStatus.PROPOSED
    endpoint.settle()
    assert endpoint.slack.calls_to("views.publish") == []


def test_an_action_on_the_home_tab_republishes_it(
    uow: UnitOfWork, endpoint: SlackEndpoint, shown: list[PaymentView], ts: str
) -> None:
    ok(endpoint.click(APPROVER.slack_user_id, Act.DELETE, str(shown[0].id), home=True))
    [published] = endpoint.slack.wait_for("views.publish")
    assert published["user_id"] == APPROVER.slack_user_id
    assert status_of(uow, shown[0].id) is PaymentStatus.DELETED
    updated(endpoint)  # and the channel's message too


def test_a_norwegian_company_gets_norwegian_modals(
    uow: UnitOfWork, endpoint: SlackEndpoint, shown: list[PaymentView], ts: str
) -> None:
    companies.update_settings(uow, org_no=ORG_NO, language=Language.NB, now=NOW)
    view = sign_modal(endpoint, shown[1].id, ts)
    text = text_of(view)
    assert "Du signerer 1 betaling(er)" in text and "NOK 3 750,00" in text
    assert view["submit"]["text"] == "Signer"


def test_a_large_batch_is_signed_after_the_ack_and_the_modal_shows_the_outcome(
    uow: UnitOfWork,
    endpoint: SlackEndpoint,
    clock: Clock,
    phone: Authenticator,
    shown: list[PaymentView],
    ts: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(modal_handlers, "QUICK_SIGN", 1)
    ok(endpoint.click(SIGNER.slack_user_id, Act.SIGN_ALL_BLUE, ORG_NO, ts=ts))
    view = opened_modal(endpoint)
    view_id = endpoint.slack.calls_to("views.update")[-1]["view_id"]
    wrong = submit_code(endpoint, view, "000000", view_id=view_id)
    assert wrong is not None and "Signing 2 payments" in text_of(wrong["view"])
    [_, again] = endpoint.slack.wait_for("views.update", 2)
    form = json.loads(again["view"]) if isinstance(again["view"], str) else again["view"]
    assert "not right" in text_of(form) and code_field(form) is not None
    assert form["private_metadata"] == view["private_metadata"]
    code, clock.at = phone.code()
    answer = submit_code(endpoint, form, code, view_id=view_id)
    assert answer is not None and "Signing 2 payments" in text_of(answer)
    [*_, done] = endpoint.slack.wait_for("views.update", 3)
    assert "Signed: 2 payment(s), NOK 5,000.00" in text_of(done["view"])
    assert all(status_of(uow, p.id) is PaymentStatus.DUE for p in shown)
    updated(endpoint)


def test_a_red_proposal_offers_fix_and_details_and_once_fixed_approve_and_sign(
    uow: UnitOfWork, endpoint: SlackEndpoint, phone: Authenticator
) -> None:
    found = ledger_with(
        uow,
        [an_item(reference_type=ReferenceType.EMPTY, reference=None, due_date=date(2026, 11, 20))],
        [a_supplier()],
    )
    [red] = found.values()
    assert red.flag is Flag.RED
    ts = post_message(uow, endpoint, [red])
    card = entry(endpoint, ts, red.id)
    assert Act.APPROVE.value not in card and Act.SIGN.value not in card
    assert Act.FIX.value in card and Act.DETAILS.value in card
    assert "No payment reference (KID or message)" in card

    ok(endpoint.click(VIEWER.slack_user_id, Act.DETAILS, str(red.id), ts=ts))
    details = opened_modal(endpoint)
    text = text_of(details)
    assert details["callback_id"] == View.DETAILS.value and "submit" not in details
    assert "*Why red (something missing):*" in text and "No payment reference" in text
    assert "20 Nov 2026 · *overdue*" in text and "History" in text
    assert "*Reference type*\\nNone" in text and "NOK 1,250.00" in text

    ok(endpoint.click(APPROVER.slack_user_id, Act.FIX, str(red.id), ts=ts))
    view = opened_modal(endpoint, count=2)
    assert view["callback_id"] == View.FIX.value
    submit_fix(endpoint, view, ACCOUNT_A, "message", "Invoice 77")
    updated(endpoint)
    card = entry(endpoint, ts, red.id)
    assert "🔵" in card and "Message Invoice 77" in card
    assert "*overdue since 20 Nov 2026*" in card  # 23 Nov in Oslo now
    assert Act.APPROVE.value in card and Act.SIGN.value in card
