"""The demo in Norwegian as a person sees it, in Debian's chromium (headless, driven by Playwright):
the page's own words around paybot's messages are Norwegian too, and no English one is left on
the screen, with a signer's code, an answer only they see, a modal and the Home tab.

With PAYBOT_SCREENSHOTS_DIR=/some/folder the test saves what the page shows at each step there.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from paybot.core.company import Language
from paybot.demo import seed
from paybot.demo.server import Demo
from tests.demo import test_browser as shown
from tests.demo.test_language import english_left

try:
    from playwright.sync_api import Browser, expect
except ImportError:  # the `browser` fixture skips (or fails in CI) without Playwright
    pass

browser = shown.browser  # one chromium for the module, as test_browser.py starts it

SIGNER = seed.SIGNER_1.user_id
RED = shown.BYGGMESTER_OLSEN


@pytest.fixture
def norsk(browser: Browser, tmp_path: Path) -> Iterator[shown.Workspace]:
    """A demo in Norwegian and a page on it, showing #payments to the accountant."""
    demo = Demo(tmp_path / "demo", port=0, language=Language.NB)
    demo.start()
    context = browser.new_context(viewport=shown.VIEWPORT)
    context.set_default_timeout(shown.WAIT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(demo.url)
        ws = shown.Workspace(page)
        expect(ws.pane.locator(".msg").first).to_be_visible(timeout=shown.WAIT_MS)
        yield ws
    finally:
        context.close()
        demo.stop()
    assert errors == [], f"the page's script failed: {errors}"


def seen(ws: shown.Workspace, name: str) -> str:
    """Everything the page shows now, as text with its tooltips and labels; a picture of it
    where PAYBOT_SCREENSHOTS_DIR says."""
    folder = os.environ.get("PAYBOT_SCREENSHOTS_DIR")
    if folder:
        ws.page.screenshot(path=str(Path(folder) / f"nb-{name}.png"))
    labels = ws.page.evaluate(
        """() => [...document.querySelectorAll("[title], [aria-label], [placeholder]")]
            .filter((e) => e.checkVisibility())
            .map((e) => [e.title, e.ariaLabel, e.placeholder].filter(Boolean).join(" "))"""
    )
    return "\n".join([ws.page.locator("body").inner_text(), *labels])


def test_the_norwegian_page_shows_no_english_chrome(norsk: shown.Workspace) -> None:
    ws = norsk
    page = ws.page
    expect(page.locator("html")).to_have_attribute("lang", "nb")
    expect(page.locator(".switch")).to_contain_text("Du er")
    expect(page.locator("#convs")).to_contain_text("paybot — Meldinger")
    expect(page.locator("#conv-sub")).to_have_text("Meldinger")
    assert english_left(seen(ws, "1-payments")) == []

    ws.be(SIGNER)
    expect(page.locator("#code-left")).to_have_text(re.compile(r"^(byttes om \d+ s|byttes nå…)$"))
    expect(page.locator(".code-label")).to_contain_text("engangskoden", ignore_case=True)
    assert english_left(seen(ws, "2-signer")) == []

    ws.command("/bank search status:failed")
    expect(ws.pane.locator(".msg.ephemeral .only-you")).to_have_text("Bare synlig for deg")
    page.locator("#message").fill("hei")
    page.locator("#message").press("Enter")
    expect(page.locator("#toast")).to_contain_text("prøv /bank help")
    assert english_left(seen(ws, "3-answer")) == []

    ws.button("payment.fix", RED).click()
    expect(ws.modal.locator(".modal-submit")).to_be_visible()
    expect(ws.modal.locator(".modal-close")).to_have_text("Avbryt")
    assert english_left(seen(ws, "4-modal")) == []
    ws.close_modal()

    ws.open(shown.HOME)
    expect(page.locator("#conv-sub")).to_have_text("Hjem")
    expect(ws.pane.locator(".home")).to_be_visible()
    assert english_left(seen(ws, "5-home")) == []
