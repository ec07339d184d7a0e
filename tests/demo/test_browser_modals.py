"""Modals in the demo's page, in Debian's chromium (headless, driven by Playwright): a modal left
open in one browser session is not there in the next (another browser, the page loaded again, or
the demo restarted with the same folder), for whichever person it was opened as — as a Slack
client restores no modal either. The page it was opened in keeps it until it is closed there."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from paybot.demo import seed
from paybot.demo.server import Demo
from tests.demo import test_browser as shown

try:
    from playwright.sync_api import Browser, BrowserContext, expect
except ImportError:  # the `browser` fixture skips (or fails in CI) without Playwright
    pass

browser = shown.browser  # one chromium for the module, as test_browser.py starts it

ACC, SIGNER = seed.ACCOUNTANT.user_id, seed.SIGNER_1.user_id
RED = shown.BYGGMESTER_OLSEN  # a red proposal: its card's Fix opens a modal for anyone


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    """Browser sessions of their own (cookies, storage, pages), closed after the test."""
    made: list[BrowserContext] = []
    yield made
    for context in made:
        context.close()


def a_session(browser: Browser, url: str, contexts: list[BrowserContext]) -> shown.Workspace:
    """A new browser session on the demo's page, showing #payments to the accountant."""
    context = browser.new_context(viewport=shown.VIEWPORT)
    context.set_default_timeout(shown.WAIT_MS)
    contexts.append(context)
    page = context.new_page()
    page.goto(url)
    ws = shown.Workspace(page)
    expect(ws.pane.locator(".msg").first).to_be_visible(timeout=shown.WAIT_MS)
    return ws


def fix_modal_as_signer(ws: shown.Workspace) -> None:
    ws.be(SIGNER)
    ws.button("payment.fix", RED).click()
    expect(ws.page.locator("#modal-title")).to_have_text("Fix payment")
    expect(ws.modal).to_contain_text("Byggmester Olsen")


def test_a_modal_left_open_is_not_in_the_next_session(
    browser: Browser, demo: Demo, contexts: list[BrowserContext]
) -> None:
    first = a_session(browser, demo.url, contexts)
    fix_modal_as_signer(first)

    # Another browser: it opens as the accountant; the signer's modal is not there either.
    second = a_session(browser, demo.url, contexts)
    expect(second.page.locator("#person")).to_have_value(ACC)
    expect(second.modal).to_be_hidden()
    second.be(SIGNER)
    expect(second.pane.locator(".bk-section", has_text="Byggmester Olsen")).to_be_visible()
    expect(second.modal).to_be_hidden()

    # The first session still has it, until it is closed or the page loaded again.
    expect(first.modal).to_contain_text("Byggmester Olsen")
    first.page.reload()
    expect(first.pane.locator(".msg").first).to_be_visible()
    first.be(SIGNER)
    expect(first.pane.locator(".bk-section", has_text="Byggmester Olsen")).to_be_visible()
    expect(first.modal).to_be_hidden()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_page_left_open_while_the_demo_restarts_loads_again_with_no_modal(
    browser: Browser, tmp_path: Path, contexts: list[BrowserContext]
) -> None:
    folder, port = tmp_path / "demo", free_port()
    earlier = Demo(folder, port=port)
    earlier.start()
    try:
        ws = a_session(browser, earlier.url, contexts)
        fix_modal_as_signer(ws)
    finally:
        earlier.stop()
    again = Demo(folder, port=port)  # `paybot demo --dir` the same folder, the same port
    again.start()
    try:
        # The page asks the new run, is told it is of an earlier one, and loads again.
        expect(ws.modal).to_be_hidden(timeout=shown.WAIT_MS)
        expect(ws.page.locator("#person")).to_have_value(ACC)
        ws.be(SIGNER)
        expect(ws.pane.locator(".bk-section", has_text="Byggmester Olsen")).to_be_visible()
        expect(ws.modal).to_be_hidden()
    finally:
        again.stop()
