"""Block Kit as HTML for `paybot demo`: every block and element type, the data attributes the
page's JavaScript reads, errors and values in modals, and every message and view paybot's own
builders make, rendered with nothing left out."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import lxml.html
from lxml import etree
from markupsafe import Markup

from paybot.core.company import CompanyInfo, DispatchTiming, Language, PostingMode
from paybot.core.payment_types import PaymentType
from paybot.core.payments import Flag, LastStep, PayeeDetails, PaymentView, Reason, ReferenceType
from paybot.core.policy import Role
from paybot.core.posting import VoucherRef
from paybot.core.sends import AlarmKind
from paybot.core.signing import SecondSigner, SignerLimits, WhySecond
from paybot.core.states import PaymentStatus
from paybot.demo.blockkit import (
    BLOCK_TYPES,
    ELEMENT_TYPES,
    render_blocks,
    render_message,
    render_view,
    view_chrome,
)
from paybot.handlers import views as views_package
from paybot.handlers.ids import Act, View
from paybot.handlers.ids import Block as BlockId
from paybot.handlers.views import (
    alerts,
    bank,
    cards,
    details_modal,
    digest,
    enroll,
    fix_modal,
    home,
    modal_parts,
    sign_modal,
)
from paybot.handlers.views import incoming as incoming_views
from paybot.services.alerts import Alert, AlertKind, PaidBatch
from paybot.services.daily_post import Digest
from paybot.services.incoming import IncomingStatus
from paybot.services.incoming_summary import Line
from paybot.services.payments import PaymentDetails
from paybot.services.people import Member
from paybot.services.sign_preview import Abroad, Blocker, DatedRate, LeftOut, Preview, Skip
from paybot.services.signing import Signed
from paybot.store.alarms import AlarmRecord
from tests.builders import OSLO
from tests.handlers.test_incoming_views import ACME, a_summary
from tests.handlers.test_incoming_views import a_payment as an_incoming_payment

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TODAY = date(2026, 12, 24)  # after the payments' due date: they are overdue
USERS = {"USIGNER": "Sigrid Signer", "UAPPROVER": "Anders Approver"}


def parse(html: Markup) -> Any:
    """The markup as an element tree (lxml.html), under one <div>."""
    return lxml.html.fragment_fromstring(str(html), create_parent="div")


def one(tree: Any, css: str) -> Any:
    [found] = tree.cssselect(css)
    return found


def option_json(element: Any) -> Any:
    return json.loads(element.get("data-option"))


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def md(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text), "value": value}


# Blocks, one of each kind


def test_a_header_is_bold_plain_text_with_emoji() -> None:
    tree = parse(render_blocks([{"type": "header", "text": plain(":bank: <Bank> & *co*")}]))
    header = one(tree, ".bk-block.bk-header")
    assert header.get("data-block-id") == "b0"
    assert header.text_content() == "🏦 <Bank> & *co*"


def test_plain_text_without_emoji_keeps_its_shortcodes() -> None:
    text = {"type": "plain_text", "text": ":bank:", "emoji": False}
    assert parse(render_blocks([{"type": "header", "text": text}])).text_content() == ":bank:"


def test_a_section_has_its_text_fields_in_a_grid_and_an_accessory() -> None:
    block = {
        "type": "section",
        "block_id": "summary",
        "text": md("*Total:* NOK 1,250.00"),
        "fields": [md("*Amount*\n100"), plain("Due\n2026-12-01")],
        "accessory": {"type": "button", "action_id": "go", "text": plain("Go"), "value": "1"},
    }
    tree = parse(render_blocks([block]))
    section = one(tree, ".bk-block.bk-section")
    assert section.get("data-block-id") == "summary"
    assert one(section, ".bk-section-text b").text == "Total:"
    fields = section.cssselect(".bk-fields > .bk-fields-item")
    assert [f.text_content() for f in fields] == ["Amount100", "Due\n2026-12-01"]
    assert one(section, ".bk-accessory button.bk-action").get("data-block-id") == "summary"


def test_an_actions_block_holds_its_elements_in_order() -> None:
    block = {
        "type": "actions",
        "elements": [
            {"type": "button", "action_id": "one", "text": plain("One")},
            {"type": "button", "action_id": "two", "text": plain("Two")},
        ],
    }
    tree = parse(render_blocks([{"type": "divider"}, block]))
    actions = one(tree, ".bk-block.bk-actions")
    ids = [b.get("data-action-id") for b in actions.cssselect(".bk-action")]
    assert ids == ["one", "two"]
    assert {b.get("data-block-id") for b in actions.cssselect(".bk-action")} == {"b1"}


def test_a_context_block_shows_images_and_small_texts() -> None:
    block = {
        "type": "context",
        "elements": [
            {"type": "image", "image_url": "https://x.example/a.png", "alt_text": "logo"},
            md("Approved by <@USIGNER>"),
            plain("plain :lock:"),
        ],
    }
    context = one(parse(render_blocks([block], users=USERS)), ".bk-block.bk-context")
    image = one(context, "img.bk-image-element")
    assert (image.get("src"), image.get("alt")) == ("https://x.example/a.png", "logo")
    texts = [t.text_content() for t in context.cssselect(".bk-context-text")]
    assert texts == ["Approved by @Sigrid Signer", "plain 🔒"]


def test_a_divider_is_a_rule() -> None:
    assert one(parse(render_blocks([{"type": "divider"}])), "hr.bk-block.bk-divider") is not None


def test_an_image_block_has_its_title_and_alt_text() -> None:
    block = {
        "type": "image",
        "image_url": "https://x.example/qr.png",
        "alt_text": "QR code",
        "title": plain("Scan me"),
    }
    image = one(parse(render_blocks([block])), ".bk-block.bk-image")
    assert one(image, ".bk-image-title").text_content() == "Scan me"
    assert one(image, "img").get("alt") == "QR code"


def test_an_image_with_a_script_url_is_shown_as_its_alt_text() -> None:
    block = {"type": "image", "image_url": "javascript:alert(1)", "alt_text": "x"}
    image = one(parse(render_blocks([block])), ".bk-image")
    assert image.cssselect("img") == [] and image.text_content().strip() == "x"


def test_an_input_has_its_label_optional_mark_hint_and_field() -> None:
    block = {
        "type": "input",
        "block_id": "amount",
        "optional": True,
        "dispatch_action": True,
        "label": plain("Amount"),
        "hint": plain("1250, >1000"),
        "element": {"type": "plain_text_input", "action_id": "amount_in"},
    }
    wrapper = one(parse(render_view({"type": "modal", "blocks": [block]})), ".bk-input")
    assert wrapper.get("data-block-id") == "amount"
    assert one(wrapper, ".bk-label").text_content() == "Amount (optional)"
    assert one(wrapper, ".bk-hint").text_content() == "1250, >1000"
    field = one(wrapper, ".bk-field")
    assert field.get("data-action-id") == "amount_in"
    assert field.get("data-type") == "plain_text_input"
    assert field.get("data-dispatch") == "true"
    assert "bk-action" not in field.get("class")
    assert wrapper.cssselect(".bk-error") == []


def test_a_rich_text_block_shows_its_styles_lists_quotes_and_code() -> None:
    block = {
        "type": "rich_text",
        "elements": [
            {
                "type": "rich_text_section",
                "elements": [
                    {"type": "text", "text": "Hi ", "style": {"bold": True}},
                    {"type": "user", "user_id": "USIGNER"},
                    {"type": "emoji", "name": "tada"},
                    {"type": "link", "url": "https://x.example", "text": "x"},
                ],
            },
            {
                "type": "rich_text_list",
                "style": "ordered",
                "elements": [
                    {"type": "rich_text_section", "elements": [{"type": "text", "text": "a"}]}
                ],
            },
            {"type": "rich_text_quote", "elements": [{"type": "text", "text": "quoted"}]},
            {"type": "rich_text_preformatted", "elements": [{"type": "text", "text": "a\n b"}]},
        ],
    }
    rich = one(parse(render_blocks([block], users=USERS)), ".bk-block.bk-rich_text")
    assert one(rich, "b").text == "Hi "
    assert one(rich, ".bk-mention").text == "@Sigrid Signer"
    assert "🎉" in rich.text_content()
    assert one(rich, "a.bk-link").get("href") == "https://x.example"
    assert one(rich, "ol li").text_content() == "a"
    assert one(rich, "blockquote").text_content() == "quoted"
    assert one(rich, "pre").text_content() == "a\n b"


def test_an_unknown_block_or_element_is_marked_visibly() -> None:
    blocks: list[dict[str, Any]] = [
        {"type": "video", "block_id": "v"},
        {"type": "actions", "elements": [{"type": "workflow_button", "action_id": "w"}]},
    ]
    tree = parse(render_blocks(blocks))
    assert one(tree, "div.bk-unknown").get("data-type") == "video"
    assert one(tree, "span.bk-unknown").get("data-type") == "workflow_button"


# Elements


def test_a_button_carries_its_action_block_value_style_and_confirm() -> None:
    confirm = {
        "title": plain("Delete payment?"),
        "text": plain('Tom\'s <b>Bar</b> & "Co", NOK 100'),
        "confirm": plain("Delete"),
        "deny": plain("Cancel"),
        "style": "danger",
    }
    elements = [
        {"type": "button", "action_id": "payment.approve", "text": plain("Approve"), "value": "7"},
        {"type": "button", "action_id": "ok", "text": plain("OK"), "style": "primary"},
        {
            "type": "button",
            "action_id": "payment.delete",
            "text": plain("Delete"),
            "value": "7",
            "style": "danger",
            "confirm": confirm,
        },
    ]
    blocks = [{"type": "actions", "block_id": "p:7:v1", "elements": elements}]
    approve, ok, delete = parse(render_blocks(blocks)).cssselect("button.bk-action")
    assert approve.get("class") == "bk-action bk-button"
    assert approve.get("type") == "button"
    assert approve.get("data-type") == "button"
    assert (approve.get("data-action-id"), approve.get("data-block-id")) == (
        "payment.approve",
        "p:7:v1",
    )
    assert approve.get("data-value") == "7" and approve.get("data-confirm") is None
    assert ok.get("class") == "bk-action bk-button bk-primary"
    assert ok.get("data-value") is None
    assert delete.get("class") == "bk-action bk-button bk-danger"
    assert json.loads(delete.get("data-confirm")) == confirm
    assert delete.text_content() == "Delete"


def test_a_url_button_names_its_url_and_a_script_url_is_dropped() -> None:
    elements = [
        {"type": "button", "action_id": "a", "text": plain("Open"), "url": "https://x.example"},
        {"type": "button", "action_id": "b", "text": plain("Evil"), "url": "javascript:x()"},
    ]
    good, evil = parse(render_blocks([{"type": "actions", "elements": elements}])).cssselect(
        "button"
    )
    assert good.get("data-url") == "https://x.example"
    assert evil.get("data-url") is None


def test_an_overflow_menu_lists_its_options_with_their_json() -> None:
    options = [option("Details", "details:7"), option("Delete", "delete:7")]
    element = {"type": "overflow", "action_id": "payment.more", "options": options}
    tree = parse(render_blocks([{"type": "actions", "block_id": "p:7:v1", "elements": [element]}]))
    overflow = one(tree, "div.bk-overflow")
    toggle = one(overflow, "button.bk-overflow-toggle")
    assert toggle.text == "⋯" and toggle.get("type") == "button"
    assert "bk-action" not in toggle.get("class")
    menu = one(overflow, ".bk-overflow-menu")
    assert menu.get("hidden") is not None
    items = menu.cssselect("button.bk-action.bk-overflow-option")
    assert [option_json(b) for b in items] == options
    assert {
        (b.get("data-type"), b.get("data-action-id"), b.get("data-block-id")) for b in items
    } == {("overflow", "payment.more", "p:7:v1")}
    assert [b.text_content() for b in items] == ["Details", "Delete"]


def test_a_static_select_in_a_message_has_a_placeholder_options_and_groups() -> None:
    element = {
        "type": "static_select",
        "action_id": "pick",
        "placeholder": plain("Choose"),
        "option_groups": [
            {"label": plain("Kinds"), "options": [option("KID", "kid"), option("Msg", "message")]}
        ],
    }
    select = one(
        parse(render_blocks([{"type": "actions", "elements": [element]}])), "select.bk-action"
    )
    assert (select.get("data-type"), select.get("data-action-id")) == ("static_select", "pick")
    placeholder, *options = select.cssselect("option")
    assert placeholder.text == "Choose" and placeholder.get("selected") is not None
    assert placeholder.get("data-option") is None
    assert one(select, "optgroup").get("label") == "Kinds"
    assert [option_json(o) for o in options] == [option("KID", "kid"), option("Msg", "message")]


def test_a_static_select_shows_its_initial_option_and_values_win_over_it() -> None:
    options = [option("KID", "kid"), option("Message", "message")]
    block = {
        "type": "input",
        "block_id": "reference_type",
        "label": plain("Reference type"),
        "element": {
            "type": "static_select",
            "action_id": "reference_type",
            "options": options,
            "initial_option": options[0],
        },
    }
    chosen = parse(render_blocks([block])).cssselect("option[selected]")
    assert [o.get("value") for o in chosen] == ["kid"]
    values = {
        "reference_type": {
            "reference_type": {"type": "static_select", "selected_option": options[1]}
        }
    }
    chosen = parse(render_blocks([block], values=values)).cssselect("option[selected]")
    assert [o.get("value") for o in chosen] == ["message"]
    field = one(parse(render_blocks([block])), "select.bk-field")
    assert field.get("data-type") == "static_select"


def test_a_multi_static_select_marks_every_chosen_option() -> None:
    options = [option("Failed", "failed"), option("Paid", "paid"), option("Due", "due")]
    block = {
        "type": "input",
        "block_id": "status",
        "label": plain("Status"),
        "element": {
            "type": "multi_static_select",
            "action_id": "status",
            "options": options,
            "initial_options": [options[0]],
        },
    }
    select = one(parse(render_blocks([block])), "select.bk-field")
    assert select.get("multiple") is not None
    assert select.get("data-type") == "multi_static_select"
    assert [o.get("value") for o in select.cssselect("option[selected]")] == ["failed"]
    values = {"status": {"status": {"selected_options": options[1:]}}}
    select = one(parse(render_blocks([block], values=values)), "select")
    assert [o.get("value") for o in select.cssselect("option[selected]")] == ["paid", "due"]


def test_a_users_select_lists_the_people_known_by_name() -> None:
    block = {
        "type": "input",
        "block_id": "user",
        "label": plain("Person"),
        "element": {"type": "users_select", "action_id": "user", "initial_user": "USIGNER"},
    }
    select = one(parse(render_blocks([block], users=USERS)), "select.bk-field")
    assert select.get("data-type") == "users_select"
    people = [(o.get("value"), o.text) for o in select.cssselect("option")[1:]]
    assert people == [("UAPPROVER", "Anders Approver"), ("USIGNER", "Sigrid Signer")]
    assert [o.get("value") for o in select.cssselect("option[selected]")] == ["USIGNER"]


def test_a_datepicker_is_a_date_input_with_its_date() -> None:
    element = {"type": "datepicker", "action_id": "due", "initial_date": "2026-12-01"}
    actions = parse(render_blocks([{"type": "actions", "elements": [element]}]))
    picker = one(actions, 'input[type="date"].bk-action')
    assert (picker.get("data-type"), picker.get("value")) == ("datepicker", "2026-12-01")
    block = {"type": "input", "block_id": "due", "label": plain("Due"), "element": element}
    values = {"due": {"due": {"type": "datepicker", "selected_date": "2027-01-02"}}}
    field = one(parse(render_blocks([block], values=values)), 'input[type="date"].bk-field')
    assert field.get("value") == "2027-01-02"


def test_a_plain_text_input_has_its_limits_placeholder_and_initial_value() -> None:
    element = {
        "type": "plain_text_input",
        "action_id": "code",
        "min_length": 6,
        "max_length": 7,
        "placeholder": plain("123456"),
        "initial_value": "12 & <3>",
    }
    block = {"type": "input", "block_id": "code", "label": plain("Code"), "element": element}
    field = one(parse(render_blocks([block])), "input.bk-field")
    assert field.get("type") == "text"
    assert (field.get("minlength"), field.get("maxlength")) == ("6", "7")
    assert field.get("placeholder") == "123456"
    assert field.get("value") == "12 & <3>"
    multiline = {**block, "element": {**element, "multiline": True}}
    values = {"code": {"code": {"type": "plain_text_input", "value": "typed\nlines"}}}
    area = one(parse(render_blocks([multiline], values=values)), "textarea.bk-field")
    assert area.text == "typed\nlines" and area.get("data-type") == "plain_text_input"


def test_a_number_input_allows_decimals_only_when_asked() -> None:
    element = {
        "type": "number_input",
        "action_id": "n",
        "is_decimal_allowed": True,
        "min_value": "0",
        "max_value": "100",
        "initial_value": "12.5",
    }
    block = {"type": "input", "block_id": "n", "label": plain("N"), "element": element}
    field = one(parse(render_blocks([block])), 'input[type="number"].bk-field')
    assert field.get("data-type") == "number_input"
    assert (field.get("step"), field.get("min"), field.get("max")) == ("any", "0", "100")
    assert field.get("value") == "12.5"
    whole = {**block, "element": {**element, "is_decimal_allowed": False}}
    assert one(parse(render_blocks([whole])), "input").get("step") == "1"


def test_checkboxes_and_radio_buttons_carry_their_options_and_choices() -> None:
    options = [
        {"text": md("*Blue*"), "value": "blue", "description": plain("complete")},
        option("Red", "red"),
    ]
    checkboxes = {
        "type": "checkboxes",
        "action_id": "flags",
        "options": options,
        "initial_options": options,
    }
    radios = {
        "type": "radio_buttons",
        "action_id": "flag",
        "options": options,
        "initial_option": options[1],
    }
    tree = parse(render_blocks([{"type": "actions", "elements": [checkboxes, radios]}]))
    boxes = one(tree, "div.bk-action.bk-checkboxes")
    assert (boxes.get("data-type"), boxes.get("data-action-id")) == ("checkboxes", "flags")
    inputs = boxes.cssselect('input[type="checkbox"]')
    assert [option_json(i) for i in inputs] == options
    assert all(i.get("checked") is not None for i in inputs)
    assert one(boxes, "b").text == "Blue"
    assert one(boxes, ".bk-choice-description").text_content() == "complete"
    radio = one(tree, "div.bk-action.bk-radio-buttons")
    assert radio.get("data-type") == "radio_buttons"
    checked = radio.cssselect('input[type="radio"][checked]')
    assert [option_json(i)["value"] for i in checked] == ["red"]
    assert len({i.get("name") for i in radio.cssselect("input")}) == 1


def test_an_image_element_as_an_accessory() -> None:
    block = {
        "type": "section",
        "text": plain("Logo"),
        "accessory": {"type": "image", "image_url": "https://x.example/l.png", "alt_text": "l"},
    }
    assert one(parse(render_blocks([block])), ".bk-accessory img").get("alt") == "l"


# Block ids, errors, values and messages


def test_generated_block_ids_are_the_same_on_every_render() -> None:
    blocks: list[dict[str, Any]] = [
        {"type": "divider"},
        {"type": "section", "text": plain("x"), "block_id": "own"},
    ]
    first, second = render_blocks(blocks), render_blocks(blocks)
    assert first == second
    ids = [b.get("data-block-id") for b in parse(first).cssselect(".bk-block")]
    assert ids == ["b0", "own"]


def test_an_error_is_shown_under_the_input_it_names() -> None:
    blocks = [sign_modal.code_input(Language.EN), bank._text_input(BlockId.SEARCH_TO, "To")]
    tree = parse(render_blocks(blocks, errors={"code": "That code is not valid <now>."}))
    code, to = tree.cssselect(".bk-input")
    assert "bk-has-error" in code.get("class")
    assert one(code, ".bk-error").text == "That code is not valid <now>."
    assert "bk-has-error" not in to.get("class") and to.cssselect(".bk-error") == []


def test_a_view_without_values_given_uses_its_own_state() -> None:
    view = {
        "type": "modal",
        "blocks": [bank._text_input(BlockId.SEARCH_TO, "To", initial="1234")],
        "state": {"values": {"to": {"to": {"type": "plain_text_input", "value": "9999"}}}},
    }
    assert one(parse(render_view(view)), "input").get("value") == "9999"
    given = {"to": {"to": {"type": "plain_text_input", "value": "5555"}}}
    assert one(parse(render_view(view, values=given)), "input").get("value") == "5555"
    assert one(parse(render_view({**view, "state": {}})), "input").get("value") == "1234"


def test_a_message_without_blocks_shows_its_text_as_mrkdwn() -> None:
    html = render_message({"text": "✅ *Done* &lt;now&gt; <@USIGNER>"}, users=USERS)
    text = one(parse(html), ".bk-section-text")
    assert one(text, "b").text == "Done"
    assert text.text_content() == "✅ Done <now> @Sigrid Signer"


def test_a_message_with_blocks_shows_the_blocks_not_the_text() -> None:
    message = {"text": "fallback", "blocks": json.dumps([{"type": "divider"}])}
    tree = parse(render_message(message))
    assert tree.cssselect(".bk-divider") and "fallback" not in tree.text_content()


def test_view_chrome_gives_the_title_and_buttons_as_plain_strings() -> None:
    view = sign_modal.sign_modal(a_preview(), callback=View.SIGN, metadata="{}", zone=OSLO)
    assert view_chrome(view) == {"title": "Sign payments", "submit": "Sign", "close": "Cancel"}
    assert view_chrome(modal_parts.loading()) == {
        "title": "paybot",
        "submit": "",
        "close": "Close / Lukk",
    }
    assert view_chrome({"type": "modal", "title": plain(":lock: Locked")})["title"] == "🔒 Locked"


# paybot's own messages and views

COMPANY = CompanyInfo(
    id=1,
    org_no="974760673",
    name="Acme <AS> & Co",
    currency="NOK",
    dispatch_timing=DispatchTiming.DUE,
    approval_required=True,
    dual_control_threshold=Decimal("100000"),
    posting_mode=PostingMode.PER_PAYMENT,
    language=Language.EN,
    proposals_channel="C0PROPOSALS",
    alerts_channel="C0ALERTS",
)
AT = datetime(2026, 11, 23, 8, 12, tzinfo=UTC)
WHY = WhySecond((SecondSigner.ABOVE_THRESHOLD,), Decimal("100000"), "NOK")


def a_payment(number: int, **overrides: Any) -> PaymentView:
    flag = list(Flag)[number % 3]
    reasons = {
        Flag.BLUE: (),
        Flag.ORANGE: (Reason.OPEN_CREDIT_ITEMS,),
        Flag.RED: (Reason.MISSING_ACCOUNT, Reason.INVALID_KID),
    }[flag]
    values: dict[str, Any] = {
        "id": 100 + number,
        "company_org_no": COMPANY.org_no,
        "status": PaymentStatus.PROPOSED,
        "flag": flag,
        "reasons": reasons,
        "payee": f"<script>alert({number})</script> & Sons_{number}_AS",
        "account": "12345678903",
        "amount": Decimal("12345.50"),
        "currency": "NOK",
        "due_date": date(2026, 12, 1),
        "reference_type": ReferenceType.KID,
        "reference": "12345678903",
        "voucher_no": str(number),
        "invoice_no": f"INV-{number}",
        "version": 1,
        "supplier_id": 1,
    }
    values.update(overrides)
    return PaymentView(**values)


def every_state() -> list[PaymentView]:
    """One payment in each status, and each kind of failure and hold."""
    payments = [a_payment(n, status=status) for n, status in enumerate(PaymentStatus)]
    failures = [
        ("no_return", "No answer from the bank"),
        ("rejected", "Wrong account (AC01)"),
        ("returned", "Closed account (AC04)"),
    ]
    payments += [
        a_payment(20 + n, status=PaymentStatus.FAILED, failure_kind=kind, failure_reason=why)
        for n, (kind, why) in enumerate(failures)
    ]
    payments += [
        a_payment(30 + n, status=PaymentStatus.ON_HOLD, failure_kind=kind)
        for n, kind in enumerate(["twice", "amount"])
    ]
    return payments


def steps_for(payments: list[PaymentView]) -> dict[int, LastStep]:
    actions = list(cards.STEPS)
    return {
        p.id: LastStep(
            actions[n % len(actions)],
            "USIGNER" if n % 2 else None,
            "paybot <bot>",
            AT,
            why=WHY if actions[n % len(actions)] == "payment.first_signature" else None,
        )
        for n, p in enumerate(payments)
    }


def a_preview(**overrides: Any) -> Preview:
    payments = [a_payment(0), a_payment(3, currency="EUR", amount=Decimal("10.50"))]
    values: dict[str, Any] = {
        "company": COMPANY,
        "payments": payments,
        "totals": {"NOK": Decimal("12345.50"), "EUR": Decimal("10.50")},
        "left_out": [LeftOut(a_payment(2), Skip.INCOMPLETE), LeftOut(a_payment(4), Skip.TOO_MANY)],
        "limits": SignerLimits(Decimal("50000"), Decimal("100")),
        "total_company": Decimal("12470.00"),
        "left_today": Decimal("100"),
    }
    values.update(overrides)
    return Preview(**values)


def abroad_preview() -> Preview:
    """A USD payment to New York, urgent, with its value in NOK at the rate of 20 Nov 2026."""
    details = PayeeDetails(
        town="New York", country="US", bic="CHASUS33", purpose_code="14", purpose_text="<Parts>"
    )
    usd = a_payment(6, account="123456789012", currency="USD", payee_details=details, urgent=True)
    rate = DatedRate(Decimal("10.156"), date(2026, 11, 20))
    abroad = {usd.id: Abroad(PaymentType.CROSS_BORDER, "SHAR", Decimal("125380.90"), rate)}
    return a_preview(payments=[a_payment(0), usd], abroad=abroad)


def member(user: str, code: str = "active") -> Member:
    limits = SignerLimits(Decimal("50000"), None)
    return Member(user, "T1", USERS.get(user, user), (Role.SIGNER,), limits, "NOK", code)


def an_alert(kind: AlertKind, payment: PaymentView | None = None, **more: Any) -> Alert:
    return Alert(
        key=f"alert:{kind.value}",
        kind=kind,
        company_org_no=COMPANY.org_no,
        channel="C0ALERTS",
        language=Language.EN,
        payment=payment,
        step=LastStep("payment.failed", None, "paybot", AT),
        sent_at=AT,
        **more,
    )


def an_alarm(kind: AlarmKind, payment: PaymentView) -> Alert:
    details: dict[str, Any] = {
        "end_to_end_id": "PAYBOT-P1-2",
        "live": ["PAYBOT-P1-3"],
        "batch": 4,
        "attempts": 3,
        "error": "<timeout>",
        "file": "camt.054 & co.xml",
        "why": "other account",
        "references": ["A", "B"],
        "reasons": ["AC04"],
        "booked_amount": "99.00",
        "booked_currency": "NOK",
    }
    record = AlarmRecord(1, f"alarm:{kind}", COMPANY.org_no, payment.id, 4, kind, "", details, AT)
    return an_alert(AlertKind.ALARM, payment, alarm=record)


def messages() -> Iterator[tuple[str, dict[str, Any]]]:
    """Every kind of message paybot posts, as it posts it."""
    payments = every_state()
    steps = steps_for(payments)
    for language in Language:
        proposals = [replace(p, status=PaymentStatus.PROPOSED) for p in payments]
        post = Digest(COMPANY, {f: 1 for f in Flag}, {"NOK": Decimal("1")}, proposals, steps, TODAY)
        for n, message in enumerate(digest.digest_messages(post, language, OSLO)):
            yield f"digest {language} {n}", {"text": message.text, "blocks": message.blocks}
    empty = Digest(COMPANY, {}, {}, [], {}, TODAY)
    [nothing] = digest.digest_messages(empty, Language.EN, OSLO)
    yield "digest empty", {"text": nothing.text, "blocks": nothing.blocks}
    for follow_up in (True, False):
        entries = cards.payment_entries(
            payments, steps, Language.EN, zone=OSLO, follow_up=follow_up
        )
        yield f"cards follow_up={follow_up}", {"text": "cards", "blocks": entries}
    for kind in (AlertKind.FAILED, AlertKind.NO_RETURN, AlertKind.STUCK):
        failed = a_payment(1, status=PaymentStatus.FAILED, failure_kind="no_return")
        alert = an_alert(kind, failed, waited=timedelta(hours=30))
        yield f"alert {kind}", alerts.message(alert, OSLO)
    batch = PaidBatch(9, 7, 2, (("EUR", Decimal("10.50")), ("NOK", Decimal("45000.00"))))
    yield "alert paid", alerts.message(an_alert(AlertKind.PAID, batch=batch), OSLO)
    for alarm in AlarmKind:
        held = a_payment(2, status=PaymentStatus.ON_HOLD, failure_kind="twice")
        yield f"alarm {alarm}", alerts.message(an_alarm(alarm, held), OSLO)
    yield "alert summary", alerts.summary({AlertKind.FAILED: 3, AlertKind.PAID: 1}, Language.NB)
    yield "help", bank.help_answer()
    yield "unknown", bank.unknown("<b>", Language.EN)
    yield "status", bank.status_answer([("Acme & Co", {PaymentStatus.DUE: 2})])
    yield "search", bank.search_answer("amount:>1000", payments[:5], 45, 1)
    yield "no role", bank.no_role()
    me = member("USIGNER")
    limits = [bank.CompanyLimits(COMPANY, (Role.ADMIN,), me, [me, member("UX", "pending")])]
    yield "limits", bank.limits_answer(limits)
    yield "limits set", bank.limits_set(me, COMPANY)
    waiting = [Line(an_incoming_payment(n)) for n in (1, 2)]
    yield (
        "incoming summary",
        incoming_views.summary_message(ACME, a_summary(2), waiting, Language.NB),
    )
    handled = Line(
        an_incoming_payment(3, status=IncomingStatus.POSTED, voucher=VoucherRef(2026, 7)),
        handled_by="USIGNER",
        handled_by_name="Kari",
        account="3900",
    )
    yield (
        "incoming summary, one posted by hand (Undo)",
        incoming_views.summary_message(ACME, a_summary(3), [*waiting, handled], Language.EN),
    )


def views() -> Iterator[tuple[str, dict[str, Any]]]:
    """Every modal paybot opens and its Home tab."""
    payments = every_state()
    steps = steps_for(payments)
    yield "loading", modal_parts.loading()
    yield "notice", modal_parts.notice("Refused", "You may *not*.", Language.NB)
    for callback in (View.SIGN, View.SIGN_ALL_BLUE):
        yield (
            f"sign {callback}",
            sign_modal.sign_modal(a_preview(), callback=callback, metadata="{}", zone=OSLO),
        )
        empty = a_preview(payments=[], totals={})
        yield (
            f"sign nothing {callback}",
            sign_modal.sign_modal(empty, callback=callback, metadata="{}", zone=OSLO),
        )
    for blocker in Blocker:
        blocked = a_preview(payments=[], blocker=blocker, locked_until=AT)
        yield (
            f"sign {blocker}",
            sign_modal.sign_modal(blocked, callback=View.SIGN, metadata="{}", zone=OSLO),
        )
    sign = sign_modal.sign_modal(a_preview(), callback=View.SIGN, metadata="{}", zone=OSLO)
    yield "sign refused", sign_modal.with_error(sign, "Wrong code <again>")
    yield (
        "sign abroad",
        sign_modal.sign_modal(abroad_preview(), callback=View.SIGN, metadata="{}", zone=OSLO),
    )
    yield "signing", sign_modal.signing_view(300, Language.EN)
    signed = [Signed(payments[0], 1, 2, WHY), Signed(payments[1], 1, 1)]
    yield "signed", sign_modal.signed_view(signed, Language.EN)
    yield "fix", fix_modal.fix_modal(payments[0], Language.EN, metadata="{}")
    yield (
        "fix empty",
        fix_modal.fix_modal(
            replace(payments[1], reference_type=ReferenceType.EMPTY, account=None),
            Language.NB,
            metadata="{}",
        ),
    )
    yield "fixed", fix_modal.fixed_view(payments[2], Language.EN)
    meta = incoming_views.Meta(ACME.org_no, 5, 2, Language.EN, channel="C1", ts="1.2")
    yield "incoming post", incoming_views.post_modal(Line(an_incoming_payment(5, version=2)), meta)
    yield (
        "incoming match",
        incoming_views.match_modal(Line(an_incoming_payment(5, version=2)), meta),
    )
    yield "delete", modal_parts.delete_modal(payments[0], Language.EN, metadata="{}")
    history = [{"action": a, "at": AT, "actor": "Ann (U1)"} for a in [*cards.STEPS, "x.y"]]
    items = [{"voucher_no": "9", "invoice_no": "C-1", "amount": "-100", "currency": "NOK"}]
    for p in payments[:6]:
        details = PaymentDetails(p, history, items, ["Ann <a>"])
        yield f"details {p.status}", details_modal.details_modal(details, Language.EN, OSLO)
    yield "search form", bank.search_modal(Language.EN)
    found = [bank.Found(COMPANY, payments[:3], 3), bank.Found(COMPANY, payments[3:9], 120)]
    yield "search results", bank.search_results("status:failed", found, Language.EN)
    yield "search nothing", bank.search_results("x", [], Language.NB)
    yield "limits form", bank.limits_modal(Language.EN, COMPANY.org_no)
    yield "notice modal", bank.notice_modal(View.SEARCH, "Search", "No.", Language.EN)
    yield "enroll preparing", enroll.preparing()
    yield "enroll code", enroll.ask_code(Language.EN, org_no=COMPANY.org_no, setup_key="ABC_DEF")
    yield "enroll choose", enroll.choose([COMPANY, COMPANY], Language.EN)
    yield "enroll not yours", enroll.choose([COMPANY], Language.EN, "123")
    yield "enroll ready", enroll.ready(Language.NB)
    yield "enroll no role", enroll.no_role(Language.EN)
    by_status: dict[PaymentStatus, list[PaymentView]] = {}
    for p in payments:
        by_status.setdefault(p.status, []).append(p)
    company_home = home.CompanyHome(
        COMPANY,
        (Role.SIGNER, Role.ADMIN),
        member("USIGNER", "locked"),
        dict.fromkeys(PaymentStatus, 5),
        by_status,
        steps,
    )
    yield "home", home.home_view([company_home], NOW, OSLO)
    yield "home many", home.home_view([company_home] * 40, NOW, OSLO)
    yield "home nobody", home.home_view([], NOW, OSLO)


def action_ids(thing: Any) -> set[str]:
    """Every action_id in a message or view, however deep."""
    if isinstance(thing, dict):
        found = {str(thing["action_id"])} if "action_id" in thing else set()
        return found.union(*(action_ids(value) for value in thing.values()))
    if isinstance(thing, list):
        return set().union(*(action_ids(value) for value in thing))
    return set()


def actions_in_builders() -> set[str]:
    """The action ids (`Act.X`) the view builders' source names."""
    source = "".join(p.read_text() for p in Path(views_package.__file__).parent.glob("*.py"))
    return {Act[name].value for name in re.findall(r"\bAct\.([A-Z_]+)\b", source)}


def types_in(blocks: list[dict[str, Any]]) -> set[str]:
    kinds = {str(b["type"]) for b in blocks}
    for b in blocks:
        for element in [*(b.get("elements") or []), b.get("accessory"), b.get("element")]:
            if isinstance(element, dict) and element.get("type") not in ("mrkdwn", "plain_text"):
                kinds.add(str(element["type"]))
    return kinds


def rendered() -> Iterator[tuple[str, dict[str, Any], Markup]]:
    for name, message in messages():
        yield name, message, render_message(message, users=USERS)
    for name, view in views():
        yield name, view, render_view(view, users=USERS)


def test_every_message_and_view_paybot_makes_is_rendered_with_every_action() -> None:
    seen_actions: set[str] = set()
    seen_types: set[str] = set()
    for name, sent, html in rendered():
        tree = parse(html)
        assert tree.cssselect(".bk-unknown") == [], name
        assert "bk-unknown" not in html, name
        shown = {e.get("data-action-id") for e in tree.cssselect("[data-action-id]")}
        assert action_ids(sent) <= shown, name
        seen_actions |= action_ids(sent)
        seen_types |= types_in(sent["blocks"])
        blocks = len(sent["blocks"])
        assert len(tree.cssselect(".bk-blocks > .bk-block")) == blocks, name
    # The outputs above reach every button and menu the builders name, and every field.
    assert actions_in_builders() <= seen_actions
    assert {b.value for b in BlockId} - {"code"} <= seen_actions | {"code"}
    assert seen_types <= BLOCK_TYPES | ELEMENT_TYPES
    assert {"header", "section", "actions", "context", "divider", "input"} <= seen_types
    assert {"button", "overflow", "static_select", "multi_static_select"} <= seen_types
    assert {"users_select", "datepicker", "plain_text_input"} <= seen_types


def test_what_paybot_makes_is_well_formed_markup() -> None:
    for name, _, html in rendered():
        # Strictly: every element closed, every attribute quoted once, every entity known.
        etree.fromstring(f"<root>{html}</root>")
        tree = parse(html)
        again = lxml.html.tostring(tree, encoding="unicode")
        assert again.count("<button") == str(html).count("<button"), name


def test_a_payee_name_full_of_html_is_only_ever_text() -> None:
    shown = 0
    for name, sent, html in rendered():
        tree = parse(html)
        assert tree.cssselect("script") == [], name
        if "&lt;script&gt;alert(" in json.dumps(sent["blocks"]):
            assert "<script>alert(" in tree.text_content(), name
            shown += 1
    assert shown > 10


def test_a_payment_card_in_the_browser_as_in_slack() -> None:
    payment = a_payment(1, status=PaymentStatus.FAILED, failure_kind="no_return")
    message = alerts.message(an_alert(AlertKind.NO_RETURN, payment), OSLO)
    tree = parse(render_message(message, users=USERS))
    section, card, _context, actions = tree.cssselect(".bk-blocks > .bk-block")
    assert "<script>alert(1)</script> & Sons_1_AS · " in card.text_content()
    assert card.cssselect("b")[0].text == "<script>alert(1)</script> & Sons_1_AS"
    assert actions.get("data-block-id") == "p:101:v1"
    left, not_left = actions.cssselect("button.bk-button")
    assert left.get("data-action-id") == Act.MONEY_LEFT.value
    assert left.get("data-value") == "101" and "bk-primary" in left.get("class")
    assert json.loads(left.get("data-confirm"))["title"]["text"] == "Did the money leave?"
    assert not_left.get("data-action-id") == Act.MONEY_NOT_LEFT.value
    details = tree.cssselect(".bk-overflow-option")
    assert [option_json(o)["value"] for o in details] == ["details:101"]
    assert "❓" in section.text_content()


def test_the_sign_modal_asks_for_the_code_and_shows_a_refusal() -> None:
    view = sign_modal.sign_modal(a_preview(), callback=View.SIGN, metadata="{}", zone=OSLO)
    tree = parse(render_view(view, errors={"code": "The code is not valid."}))
    wrapper = one(tree, '.bk-input[data-block-id="code"]')
    field = one(wrapper, "input.bk-field")
    assert (field.get("data-action-id"), field.get("maxlength")) == ("code", "7")
    assert one(wrapper, ".bk-error").text == "The code is not valid."
    assert "NOK 12,345.50" in tree.text_content()


def test_the_sign_modal_quotes_a_payment_abroad_under_its_summary() -> None:
    view = sign_modal.sign_modal(abroad_preview(), callback=View.SIGN, metadata="{}", zone=OSLO)
    tree = parse(render_view(view))
    quote = one(tree, "blockquote")
    assert "🌍 Cross-border payment to United States (US) · BIC CHASUS33" in quote.text_content()
    assert "≈ NOK 125,380.90 at 10.1560, rate of 20 Nov 2026" in quote.text_content()
    assert "Purpose: 14 Purchase/sale of goods · <Parts>" in quote.text_content()
    assert "Urgent" in quote.text_content()
    assert "to 1234.56.78903" not in quote.text_content()  # the domestic one has no quote
