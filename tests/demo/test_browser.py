"""The demo as a person uses it: Debian's chromium (headless, driven by Playwright) clicking in the
workspace page of a running demo, with paybot's Slack app behind it.

Each test has its own demo (the `demo` fixture) and its own page; the browser is shared by the
module. Without chromium or Playwright the tests are skipped, and fail in CI. With
PAYBOT_SCREENSHOTS=1 the approve-and-sign test saves the #payments channel to
docs/demo-proposals.png (the README's picture).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from stdnum.no import kontonr

from paybot.demo import seed
from paybot.demo.server import Demo
from tests.shared_fixtures import missing

try:
    from playwright.sync_api import (
        Browser,
        Locator,
        Page,
        ViewportSize,
        expect,
        sync_playwright,
    )
except ImportError as error:  # the `browser` fixture says so: skipped, or failed in CI
    PLAYWRIGHT_MISSING: str | None = f"Playwright for Python is not installed ({error})"
else:
    PLAYWRIGHT_MISSING = None

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
VIEWPORT: ViewportSize = {"width": 1400, "height": 1000}
WAIT_MS = 30_000  # the longest anything is waited for: the jobs run every 2 s in the demo
EXPECT_MS = 15_000  # what a click's answer may take on a busy machine (it takes well under 1 s)
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "demo-proposals.png"

PAYMENTS = seed.PROPOSALS_CHANNEL
ALERTS = seed.ALERTS_CHANNEL
HOME = "home"

# The demo's payments (numbers as its cards show them, "#1").
KONTORREKVISITA = 1  # blue
BYGGMESTER_OLSEN = 13  # red: no payee account
TRANSPORT_HANSEN = 4  # signed at start; the bank refuses it (closed account, AC01)

NEW_ACCOUNT = "8601.11.17947"  # valid account numbers (MOD11) nobody in the demo has yet
OTHER_NEW_ACCOUNT = "1206.00.00008"
WRONG_ACCOUNT = "8601.11.17948"  # a wrong check digit


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if PLAYWRIGHT_MISSING:
        missing(PLAYWRIGHT_MISSING)
    if not CHROMIUM.exists():
        missing(f"chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    expect.set_options(timeout=EXPECT_MS)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


class Workspace:
    """The demo's page in the browser, as a person sees and uses it."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.pane = page.locator("#pane")
        self.modal = page.locator("#modal-layer")

    def be(self, user_id: str) -> None:
        """Chooses who you are in the person switcher."""
        self.page.select_option("#person", user_id)
        # Shown once the page has their view: their own conversation with the app is listed.
        expect(self.page.locator(f'#convs .conv[data-conv="D{user_id}"]')).to_have_count(1)

    def open(self, conversation: str) -> None:
        """Opens a channel, the app's messages or its Home tab from the sidebar."""
        self.page.locator(f'#convs .conv[data-conv="{conversation}"]').click()
        expect(self.pane).to_have_attribute("data-conv", conversation)

    def card(self, payment: int) -> Locator:
        """The text of the payment's card in the open conversation (its line and state)."""
        return self.pane.locator(".bk-section", has_text=re.compile(rf"· #{payment}(?!\d)"))

    def state(self, payment: int) -> Locator:
        """The state a card shows in bold below its line ("Approved", "Due", "Paid"…)."""
        return self.card(payment).locator("b").last

    def note(self, payment: int) -> Locator:
        """The small print under a card ("Approved by @Kari Nordmann at 08:09")."""
        return self.card(payment).locator(
            "xpath=following-sibling::div[1][contains(@class, 'bk-context')]"
        )

    def button(self, action: str, payment: int) -> Locator:
        """A card's button, e.g. ("payment.approve", 1)."""
        return self.pane.locator(
            f'button.bk-action[data-action-id="{action}"][data-value="{payment}"]'
        )

    def message(self, text: str | re.Pattern[str]) -> Locator:
        """The messages of the open conversation that say `text`."""
        return self.pane.locator(".msg", has_text=text)

    def field(self, action_id: str) -> Locator:
        return self.modal.locator(f'.bk-field[data-action-id="{action_id}"]')

    def submit(self) -> None:
        self.modal.locator(".modal-submit").click()

    def close_modal(self) -> None:
        self.modal.locator(".modal-close").click()
        expect(self.modal).to_be_hidden()

    def code(self) -> str:
        """The one-time code shown beside the switcher, as the signer's phone would show it."""
        shown = self.page.locator("#code-value")
        expect(shown).to_have_text(re.compile(r"^\d{3} \d{3}$"))
        return shown.inner_text().replace(" ", "")

    def command(self, text: str) -> None:
        """Types a slash command in the message box and sends it."""
        self.page.locator("#message").fill(text)
        self.page.locator("#message").press("Enter")


@pytest.fixture
def workspace(browser: Browser, demo: Demo) -> Iterator[Workspace]:
    """A new page on the demo, showing #payments to the accountant (the first person)."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(demo.url)
    shown = Workspace(page)
    expect(shown.pane.locator(".msg").first).to_be_visible(timeout=WAIT_MS)
    try:
        yield shown
    finally:
        context.close()
    assert errors == [], f"the page's script failed: {errors}"


def test_approve_then_sign_with_the_code_and_see_it_paid(workspace: Workspace) -> None:
    ws = workspace
    expect(ws.page.locator("#person")).to_have_value(seed.ACCOUNTANT.user_id)
    expect(ws.card(KONTORREKVISITA)).to_contain_text("🔵")

    ws.button("payment.approve", KONTORREKVISITA).click()
    expect(ws.state(KONTORREKVISITA)).to_have_text("Approved")
    expect(ws.note(KONTORREKVISITA)).to_contain_text("Approved by @Kari Nordmann")
    expect(ws.button("payment.approve", KONTORREKVISITA)).to_have_count(0)

    ws.be(seed.SIGNER_1.user_id)
    code = ws.code()
    ws.button("payment.sign", KONTORREKVISITA).click()
    expect(ws.page.locator("#modal-title")).to_have_text("Sign payment")
    expect(ws.modal).to_contain_text("Kontorrekvisita AS")
    wrong = "".join(str((int(digit) + 1) % 10) for digit in code)
    ws.field("code").fill(wrong)
    ws.submit()
    expect(ws.modal.locator(".bk-error")).to_contain_text("not right")
    expect(ws.modal).to_be_visible()

    ws.field("code").fill(ws.code())
    ws.submit()
    expect(ws.modal.locator(".modal-body")).to_contain_text("Signed: 1 payment(s)")
    ws.close_modal()
    expect(ws.state(KONTORREKVISITA)).to_have_text("Due")
    expect(ws.note(KONTORREKVISITA)).to_contain_text("Signed by @Ola Hansen")

    if os.environ.get("PAYBOT_SCREENSHOTS") == "1":
        ws.pane.evaluate("pane => { pane.scrollTop = 0; }")
        ws.page.mouse.move(0, VIEWPORT["height"] - 1)  # no card under the pointer
        SCREENSHOT.parent.mkdir(exist_ok=True)
        ws.page.screenshot(path=str(SCREENSHOT))

    # The undo window (5 s) passes, the job sends the batch, the sandbox bank answers at once.
    ws.open(ALERTS)
    paid = ws.message(re.compile(r"Batch \d+ paid"))
    expect(paid).to_contain_text("1 payment, NOK 3,450.75", timeout=WAIT_MS)

    ws.open(PAYMENTS)
    expect(
        ws.state(KONTORREKVISITA),
        "the #payments card should follow the payment to Paid once the bank has confirmed it "
        "(the 'Batch … paid' alert is already out); it stays at Due",
    ).to_have_text("Paid", timeout=WAIT_MS)


def test_fix_a_red_proposal(workspace: Workspace) -> None:
    ws = workspace
    assert kontonr.is_valid(NEW_ACCOUNT) and not kontonr.is_valid(WRONG_ACCOUNT)
    card = ws.card(BYGGMESTER_OLSEN)
    expect(card).to_contain_text("🔴")
    expect(card).to_contain_text("No payee account number")
    expect(ws.button("payment.approve", BYGGMESTER_OLSEN)).to_have_count(0)

    ws.button("payment.fix", BYGGMESTER_OLSEN).click()
    expect(ws.page.locator("#modal-title")).to_have_text("Fix payment")
    expect(ws.field("account")).to_have_value("")
    ws.field("account").fill(WRONG_ACCOUNT)
    ws.submit()
    expect(ws.modal.locator(".bk-error")).to_contain_text("wrong check digit")

    ws.field("account").fill(NEW_ACCOUNT)
    ws.submit()
    expect(ws.modal.locator(".modal-body")).to_contain_text("Fixed")
    ws.close_modal()

    expect(card).to_contain_text("🔵")
    expect(card).not_to_contain_text("🔴")
    expect(card).not_to_contain_text("No payee account number")
    expect(ws.button("payment.approve", BYGGMESTER_OLSEN)).to_be_visible()
    expect(ws.button("payment.fix", BYGGMESTER_OLSEN)).to_have_count(0)


def test_the_bank_refused_payment_is_fixed_from_its_alert(workspace: Workspace) -> None:
    ws = workspace
    assert kontonr.is_valid(OTHER_NEW_ACCOUNT)
    ws.open(ALERTS)
    alert = ws.message(re.compile(r"Payment #4 to Transport Hansen AS.*failed"))
    expect(alert).to_contain_text("AC01", timeout=WAIT_MS)
    expect(alert).to_contain_text("Failed")

    alert.locator(
        f'button.bk-action[data-action-id="payment.fix"][data-value="{TRANSPORT_HANSEN}"]'
    ).click()
    expect(ws.page.locator("#modal-title")).to_have_text("Fix payment")
    expect(ws.modal).to_contain_text("Transport Hansen AS")
    expect(ws.field("account")).to_have_value(seed.CLOSED_ACCOUNT)
    ws.field("account").fill(OTHER_NEW_ACCOUNT)
    ws.submit()
    expect(ws.modal.locator(".modal-body")).to_contain_text("Fixed")
    ws.close_modal()

    expect(alert).to_contain_text("Fixed by @Kari Nordmann")

    # Signed again to the new account: a changed account takes two signers; then the bank pays.
    ws.be(seed.SIGNER_1.user_id)
    alert.locator(
        f'button.bk-action[data-action-id="payment.sign_again"][data-value="{TRANSPORT_HANSEN}"]'
    ).click()
    expect(ws.page.locator("#modal-title")).to_have_text("Sign payment")
    expect(ws.modal).to_contain_text(OTHER_NEW_ACCOUNT)
    ws.field("code").fill(ws.code())
    ws.submit()
    expect(ws.modal.locator(".modal-body")).to_contain_text("1 of 2 signatures")
    ws.close_modal()

    ws.be(seed.SIGNER_2.user_id)
    alert.locator(
        f'button.bk-action[data-action-id="payment.sign"][data-value="{TRANSPORT_HANSEN}"]'
    ).click()
    expect(ws.page.locator("#modal-title")).to_have_text("Sign payment")
    ws.field("code").fill(ws.code())
    ws.submit()
    expect(ws.modal.locator(".modal-body")).to_contain_text("Signed: 1 payment(s)")
    ws.close_modal()
    paid = ws.message(re.compile(r"Batch \d+ paid"))
    expect(paid).to_contain_text("1 payment, NOK 8,750.00", timeout=WAIT_MS)


def test_bank_search_for_failed_payments(workspace: Workspace) -> None:
    ws = workspace
    ws.open(ALERTS)
    expect(ws.message("Transport Hansen AS")).to_contain_text("AC01", timeout=WAIT_MS)

    ws.command("/bank search status:failed")
    answer = ws.pane.locator(".msg.ephemeral")
    expect(answer).to_contain_text("Only visible to you")
    expect(answer).to_contain_text("match status:failed")
    expect(answer).to_contain_text(re.compile(r"Transport Hansen AS.*Failed.*AC01"))
    expect(ws.page.locator("#message")).to_have_value("")


def test_home_tab_lists_the_persons_payments(workspace: Workspace) -> None:
    ws = workspace
    ws.open(ALERTS)
    expect(ws.message("Transport Hansen AS")).to_contain_text("AC01", timeout=WAIT_MS)

    ws.be(seed.SIGNER_1.user_id)
    expect(ws.page.locator('#convs .conv[data-conv="home"]')).to_have_text("paybot — Home")
    ws.open(HOME)
    home = ws.pane.locator(".home")
    expect(home).to_contain_text("Your roles: signer")
    expect(home).to_contain_text("Signing limits: NOK 200,000.00 per payment")
    expect(home).to_contain_text(re.compile(r"Proposals \(\d+\)"))
    expect(home).to_contain_text("Nordic Cloud AS")
    expect(home).to_contain_text(re.compile(r"Failed \([12]\)"))
    expect(home.locator(".bk-section", has_text="Transport Hansen AS")).to_contain_text("AC01")
