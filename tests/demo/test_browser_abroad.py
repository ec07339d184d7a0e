"""Payments abroad in the demo as a finance team meets them, in Debian's chromium (headless, driven
by Playwright): the German supplier's EUR invoice is a blue SEPA payment; the US supplier's USD
invoice of about NOK 150,000 is red because the Currency Register needs its purpose. The
accountant fixes it from its card (purpose code and text in the Fix modal), approves it, both
signers sign it with their codes, and the sandbox bank pays it.

With PAYBOT_SCREENSHOTS_DIR=/some/folder the test saves what a person sees at each step there.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from paybot.demo import seed
from tests.demo import test_browser as shown
from tests.demo.test_browser import ALERTS, PAYMENTS, WAIT_MS, Workspace

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails in CI) without Playwright
    pass

browser = shown.browser  # one chromium for the module, as test_browser.py starts it
workspace = shown.workspace

# The demo's payments abroad (numbers as their cards show them, "#7").
BERLINER = 7  # EUR to a German IBAN, the payee's address known: SEPA, blue
PACIFIC_TOOLS = 16  # USD 13,850.00 (NOK 149,580.00) to a US account: red, no purpose

PURPOSE_CODE = "14"  # Purchase/sale of goods
PURPOSE_TEXT = "Machine parts, invoice PT-20931"
TOO_LONG = "Machine parts and tools, PT-20931 ok"  # 36 characters: one more than the file takes
MISSING_PURPOSE = "the Currency Register needs a purpose code"


def saved(ws: Workspace, name: str) -> None:
    """A picture of the page, where PAYBOT_SCREENSHOTS_DIR says (none otherwise)."""
    folder = os.environ.get("PAYBOT_SCREENSHOTS_DIR")
    if folder:
        ws.page.screenshot(path=str(Path(folder) / f"{name}.png"))


def test_a_sepa_payment_is_blue(workspace: Workspace) -> None:
    ws = workspace
    card = ws.card(BERLINER)
    expect(card).to_contain_text("Berliner Maschinen GmbH")
    expect(card).to_contain_text("EUR 1,200.50")
    expect(card).to_contain_text("🔵")
    expect(ws.button("payment.approve", BERLINER)).to_be_visible()
    expect(ws.button("payment.fix", BERLINER)).to_have_count(0)


def test_a_payment_abroad_without_its_purpose_is_fixed_from_slack_and_paid(
    workspace: Workspace,
) -> None:
    ws = workspace
    assert len(TOO_LONG) == 36 and len(PURPOSE_TEXT) <= 35
    card = ws.card(PACIFIC_TOOLS)
    expect(card).to_contain_text("Pacific Tools Inc.")
    expect(card).to_contain_text("USD 13,850.00")
    expect(card).to_contain_text("🔴")
    expect(card).to_contain_text(MISSING_PURPOSE)  # why, in words
    expect(ws.button("payment.approve", PACIFIC_TOOLS)).to_have_count(0)
    card.scroll_into_view_if_needed()
    saved(ws, "abroad-1-red")

    # The accountant opens Fix: the payee's address and bank are there; the purpose is not.
    ws.button("payment.fix", PACIFIC_TOOLS).click()
    expect(ws.page.locator("#modal-title")).to_have_text("Fix payment")
    expect(ws.modal).to_contain_text("Pacific Tools Inc.")
    expect(ws.modal).to_contain_text("Payment abroad: the payee")
    expect(ws.field("town")).to_have_value("Seattle")
    expect(ws.field("country")).to_have_value("US")
    expect(ws.field("bic")).to_have_value("CHASUS33")
    ws.field("purpose_code").select_option(PURPOSE_CODE)
    expect(ws.field("purpose_code")).to_have_value(PURPOSE_CODE)

    # The field takes no more than the payment file does: a 36th character typed is not taken.
    ws.field("purpose_text").press_sequentially(TOO_LONG)
    expect(ws.field("purpose_text")).to_have_value(TOO_LONG[:35])
    # One that gets through all the same (a client that lets it) is refused on its field.
    ws.field("purpose_text").evaluate("(field, text) => { field.value = text; }", TOO_LONG)
    ws.submit()
    error = ws.modal.locator('.bk-input[data-block-id="purpose_text"] .bk-error')
    expect(error).to_have_text("At most 35 characters (got 36)")
    expect(ws.page.locator("#modal-title")).to_have_text("Fix payment")
    error.scroll_into_view_if_needed()
    saved(ws, "abroad-2-too-long")

    ws.field("purpose_text").fill(PURPOSE_TEXT)
    ws.submit()
    expect(ws.modal.locator(".modal-body")).to_contain_text("Fixed")
    saved(ws, "abroad-3-fixed")
    ws.close_modal()

    expect(card).to_contain_text("🔵")
    expect(card).not_to_contain_text("🔴")
    expect(card).not_to_contain_text(MISSING_PURPOSE)
    ws.button("payment.approve", PACIFIC_TOOLS).click()
    expect(ws.state(PACIFIC_TOOLS)).to_have_text("Approved")
    card.scroll_into_view_if_needed()
    saved(ws, "abroad-4-approved")

    # Above NOK 100,000: two signers, each with the code their phone shows.
    ws.be(seed.SIGNER_1.user_id)
    ws.button("payment.sign", PACIFIC_TOOLS).click()
    expect(ws.page.locator("#modal-title")).to_have_text("Sign payment")
    expect(ws.modal).to_contain_text("Pacific Tools Inc.")
    ws.field("code").fill(ws.code())
    ws.submit()
    expect(ws.modal.locator(".modal-body")).to_contain_text("1 of 2 signatures")
    ws.close_modal()

    ws.be(seed.SIGNER_2.user_id)
    ws.button("payment.sign", PACIFIC_TOOLS).click()
    expect(ws.page.locator("#modal-title")).to_have_text("Sign payment")
    ws.field("code").fill(ws.code())
    ws.submit()
    expect(ws.modal.locator(".modal-body")).to_contain_text("Signed: 1 payment(s)")
    saved(ws, "abroad-5-signed")
    ws.close_modal()
    expect(ws.state(PACIFIC_TOOLS)).to_have_text(re.compile("Due|Processing|Paid"))

    # The undo window passes, the job sends it, the sandbox bank books it.
    ws.open(ALERTS)
    paid = ws.message(re.compile(r"Batch \d+ paid"))
    expect(paid).to_contain_text("1 payment, USD 13,850.00", timeout=WAIT_MS)
    saved(ws, "abroad-6-alert")
    ws.open(PAYMENTS)
    expect(ws.state(PACIFIC_TOOLS)).to_have_text("Paid", timeout=WAIT_MS)
    card.scroll_into_view_if_needed()
    saved(ws, "abroad-7-paid")
