"""The workspace page speaks the demo's language: run in Norwegian (`paybot demo --language nb`),
its own words (the sidebar, the person switcher, the phone's code, "Only visible to you", a
modal's buttons, the Block Kit renderer's placeholders) are Norwegian, not only paybot's
messages. They all live in paybot/demo/strings.py; the template and the script name none that
is not there."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html

from paybot.core.company import Language
from paybot.demo import seed, strings
from paybot.demo.blockkit import render_blocks, view_chrome
from paybot.demo.server import Demo
from tests.demo.conftest import DemoPage

ACC, SIGNER = seed.ACCOUNTANT.user_id, seed.SIGNER_1.user_id
PROPOSALS = seed.PROPOSALS_CHANNEL
DEMO = Path(__file__).resolve().parents[2] / "paybot" / "demo"

# What the page says itself in English: none of it may be left on the Norwegian page.
ENGLISH_CHROME = (
    "You are",
    "Demo only",
    "Demo time",
    "Channels and apps",
    "Type a slash command",
    "Only visible to you",
    "paybot — Home",
    "paybot — Messages",
    "No messages yet",
    "Opening paybot",
    "(optional)",
    "Select an item",
    "Select a person",
    "More actions",
    "is not shown here",
    "changes in",
    "Cancel",
    "Are you sure?",
    "That did not work",
    "A local demo",
    'aria-label="Close"',
    'aria-label="Back"',
    'aria-label="Message"',
    "(accountant)",
    "(signer 1)",
)
REPLIES_IN_ENGLISH = re.compile(r"\d+ repl(y|ies)\b")


def english_left(text: str) -> list[str]:
    found = [word for word in ENGLISH_CHROME if word in text]
    return found + REPLIES_IN_ENGLISH.findall(text)


@pytest.fixture(scope="module")
def norwegian(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoPage]:
    """One demo in Norwegian for the module (the tests below change nothing a later one reads)."""
    folder = tmp_path_factory.mktemp("demo-nb")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path_factory.mktemp("cwd"))
        demo = Demo(folder / "demo", port=0, language=Language.NB)
        demo.start()
        try:
            yield DemoPage(demo)
        finally:
            demo.stop()


def page_html(page: DemoPage) -> str:
    import urllib.request

    with urllib.request.urlopen(page.url + "/", timeout=30) as answer:
        return str(answer.read().decode())


def words_in(html: str) -> dict[str, str]:
    """The JSON blob the page's script reads its words from."""
    [blob] = lxml_html.fromstring(html).cssselect("script#words")
    words: dict[str, str] = json.loads(blob.text)
    return words


def shown_text(state: dict[str, Any]) -> str:
    """All the state's words a person may see (the HTML parts as their markup)."""
    modal = state.get("modal") or {}
    return "\n".join(
        [
            state["clock"],
            *(c["name"] for c in state["conversations"]),
            *(f"({p['title']})" for p in state["people"]),
            state["pane"]["title"],
            state["pane"]["subtitle"],
            state["pane"]["html"],
            *(str(modal.get(key, "")) for key in ("title", "submit", "close", "html")),
        ]
    )


# --- the page itself ---------------------------------------------------------------------------


def test_the_norwegian_page_has_norwegian_chrome(norwegian: DemoPage) -> None:
    html = page_html(norwegian)
    tree = lxml_html.fromstring(html)
    assert tree.get("lang") == "nb"
    assert "Du er" in html and "Demotid:" in html and "skråstrekkommando" in html
    assert tree.cssselect("#person option")[0].text_content() == "Kari Nordmann (regnskapsfører)"
    assert words_in(html) == strings.page_words(Language.NB)
    assert english_left(html) == []


def test_the_english_page_keeps_its_english_chrome(page: DemoPage) -> None:
    html = page_html(page)
    assert 'lang="en"' in html and "You are" in html and "Demo time:" in html
    assert words_in(html)["cancel"] == "Cancel"
    assert "Kari Nordmann (accountant)" in html


def test_the_norwegian_state_has_norwegian_chrome(norwegian: DemoPage) -> None:
    state = norwegian.until(SIGNER, PROPOSALS, lambda s: "payment.approve" in s["pane"]["html"])
    names = [c["name"] for c in state["conversations"]]
    assert names[-2:] == ["paybot — Hjem", "paybot — Meldinger"]
    assert state["pane"]["subtitle"] == "Meldinger"
    assert [p["title"] for p in state["people"]][:2] == ["regnskapsfører", "signatar 1"]
    # "tir. 1. des. 09:12": a Norwegian weekday and month, as babel writes them for nb.
    assert re.fullmatch(r"\w+\. \d{1,2}\. \w+\.? \d\d:\d\d", state["clock"]), state["clock"]
    assert "Flere handlinger" in state["pane"]["html"]  # a card's ⋯ menu
    assert english_left(shown_text(state)) == []


def test_an_answer_only_the_asker_sees_says_so_in_norwegian(norwegian: DemoPage) -> None:
    status, _ = norwegian.post(
        "/ui/command", {"as": ACC, "channel": PROPOSALS, "text": "/bank search status:failed"}
    )
    assert status == 200
    state = norwegian.until(ACC, PROPOSALS, lambda s: 'class="only-you"' in s["pane"]["html"])
    assert strings.ONLY_VISIBLE_TO_YOU(Language.NB) in state["pane"]["html"]
    assert english_left(shown_text(state)) == []


def test_a_modal_and_the_home_tab_have_norwegian_chrome(norwegian: DemoPage) -> None:
    state = norwegian.until(ACC, PROPOSALS, lambda s: "payment.fix" in s["pane"]["html"])
    html = state["pane"]["html"]
    channel = state["pane"]["id"]
    fix = html.split('data-action-id="payment.fix"', 1)[1]
    # The message the button is in: the last message opening before it.
    ts = html.split('data-action-id="payment.fix"', 1)[0].rsplit('data-ts="', 1)[1].split('"')[0]
    block = fix.split('data-block-id="', 1)[1].split('"', 1)[0]
    value = fix.split('data-value="', 1)[1].split('"', 1)[0]
    status, answer = norwegian.post(
        "/ui/click",
        {
            "as": ACC,
            "container": {"type": "message", "channel": channel, "ts": ts},
            "action": {"action_id": "payment.fix", "block_id": block, "value": value},
        },
    )
    assert status == 200, answer
    # paybot opens a "loading" view first (its own "Close / Lukk"), then the Fix modal.
    state = norwegian.until(ACC, PROPOSALS, lambda s: bool(s["modal"] and s["modal"]["submit"]))
    assert state["modal"]["close"] == "Avbryt"
    assert english_left(shown_text(state)) == []
    status, _ = norwegian.post("/ui/close", {"as": ACC, "view_id": state["modal"]["view_id"]})
    assert status == 200

    home = norwegian.until(ACC, "home", lambda s: s["pane"]["subtitle"] == "Hjem")
    assert home["pane"]["title"] == "paybot"
    assert english_left(shown_text(home)) == []


# --- what the renderer says where a view says nothing -----------------------------------------

BARE = [
    {
        "type": "input",
        "block_id": "who",
        "optional": True,
        "label": {"type": "plain_text", "text": "Hvem"},
        "element": {"type": "users_select", "action_id": "who"},
    },
    {
        "type": "actions",
        "elements": [
            {
                "type": "static_select",
                "action_id": "pick",
                "options": [{"text": {"type": "plain_text", "text": "A"}, "value": "a"}],
            },
            {
                "type": "overflow",
                "action_id": "more",
                "options": [{"text": {"type": "plain_text", "text": "B"}, "value": "b"}],
            },
            {"type": "timepicker", "action_id": "when"},
        ],
    },
    {"type": "video", "title": {"type": "plain_text", "text": "x"}},
]


def test_the_renderers_own_words_follow_the_language() -> None:
    norsk = str(render_blocks(BARE, language=Language.NB))
    for said in (
        "(valgfritt)",
        "Velg en person",
        "Velg et element",
        'aria-label="Flere handlinger"',
        "Elementet «timepicker» vises ikke her.",
        "Blokktypen «video» vises ikke her.",
    ):
        assert said in norsk
    assert english_left(norsk) == []
    english = str(render_blocks(BARE))
    assert "(optional)" in english and "Block type “video” is not shown here." in english
    assert view_chrome({"type": "modal"}, Language.NB)["close"] == "Avbryt"
    assert view_chrome({"type": "modal"})["close"] == "Cancel"


# --- one place for the words -------------------------------------------------------------------


def test_the_template_and_the_script_name_only_words_the_strings_module_has() -> None:
    template = (DEMO / "templates" / "workspace.html").read_text(encoding="utf-8")
    script = (DEMO / "static" / "workspace.js").read_text(encoding="utf-8")
    named = set(re.findall(r"words\.(\w+)", template)) | set(
        re.findall(r"""say\("(\w+)"[,)]""", script)
    )
    assert named == set(strings.PAGE)  # each one there, and none unused
    # Every word has its Norwegian, and the fields to fill are the same in both languages.
    for phrase in [*strings.PAGE.values(), *strings.BLOCKS.values()]:
        assert phrase.nb
        assert re.findall(r"\{\w+\}", phrase.en) == re.findall(r"\{\w+\}", phrase.nb)


def test_the_page_has_no_english_chrome_left_in_its_files() -> None:
    """Words the page shows are given to the template and the script, not written in them."""
    template = (DEMO / "templates" / "workspace.html").read_text(encoding="utf-8")
    script = (DEMO / "static" / "workspace.js").read_text(encoding="utf-8")
    for phrase in strings.PAGE.values():
        if phrase.en != phrase.nb and len(phrase.en) > 3:
            assert phrase.en not in template and f'"{phrase.en}"' not in script, phrase.en
