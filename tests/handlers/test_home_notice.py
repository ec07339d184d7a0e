"""The Home tab published after a click on it may say what the click did, at the top under
Refresh, and still fits in Slack's 100 blocks."""

from __future__ import annotations

import pytest

from paybot.handlers.views.home import home_view
from tests.builders import NOW, OSLO
from tests.slack.test_home import a_home

SAID = "✅ Betaling #7 er bokført som bilag 12."


@pytest.mark.parametrize("companies", [0, 1, 3, 60])
def test_the_notice_comes_under_refresh_within_100_blocks(companies: int) -> None:
    view = home_view([a_home(n) for n in range(1, companies + 1)], NOW, OSLO, notice=SAID)
    blocks = view["blocks"]
    assert len(blocks) <= 100
    assert [block["type"] for block in blocks[:3]] == ["header", "actions", "context"]
    assert blocks[2]["elements"][0]["text"] == SAID


@pytest.mark.parametrize("notice", [None, ""])
def test_without_a_notice_the_tab_is_as_before(notice: str | None) -> None:
    homes = [a_home(1)]
    assert home_view(homes, NOW, OSLO, notice=notice) == home_view(homes, NOW, OSLO)
    assert home_view(homes, NOW, OSLO)["blocks"][2]["type"] == "divider"
