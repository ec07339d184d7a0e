"""Slack's mrkdwn as HTML: Slack's formatting rules, its escaping read once and HTML escaped once,
and nothing a payee typed ever becomes markup."""

from __future__ import annotations

import pytest
from lxml import etree

from paybot.demo.mrkdwn import emojize, mrkdwn, unescape
from paybot.handlers.views.blocks import escape as slack_escape


def html(text: str, users: dict[str, str] | None = None) -> str:
    return str(mrkdwn(text, users))


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("*bold*", "<b>bold</b>"),
        ("_italic_", "<i>italic</i>"),
        ("~strike~", "<s>strike</s>"),
        ("`code`", '<code class="bk-code">code</code>'),
        ("*Total:* NOK 1,250.00", "<b>Total:</b> NOK 1,250.00"),
        ("(*bold*)", "(<b>bold</b>)"),
        ("*bold _and italic_*", "<b>bold <i>and italic</i></b>"),
        ("_*both*_", "<i><b>both</b></i>"),
        ("*one* and *two*", "<b>one</b> and <b>two</b>"),
    ],
)
def test_formatting_is_shown_as_slack_shows_it(text: str, shown: str) -> None:
    assert html(text) == shown


@pytest.mark.parametrize(
    "text",
    [
        "a*b*c",
        "snake_case_word",
        "__init__",
        "2*3*4",
        "* not bold *",
        "*not closed",
        "~ spaced~",
        "**",
        "file_name_v2.txt",
    ],
)
def test_markers_inside_words_or_next_to_spaces_stay_as_typed(text: str) -> None:
    assert html(text) == text


def test_formatting_does_not_cross_a_line() -> None:
    assert html("*one\ntwo*") == "*one<br/>two*"


def test_nothing_is_formatted_inside_code() -> None:
    assert html("`*x* _y_ :warning:`") == '<code class="bk-code">*x* _y_ :warning:</code>'


def test_newlines_are_line_breaks() -> None:
    assert html("one\ntwo\n\nthree") == "one<br/>two<br/><br/>three"


def test_slack_entities_are_read_once_and_html_escaped_once() -> None:
    assert html("Smith &amp; Sons") == "Smith &amp; Sons"
    assert html("a &lt; b &gt; c") == "a &lt; b &gt; c"
    # Someone typed "&lt;" literally: Slack has "&amp;lt;", which reads as the text "&lt;".
    assert html("&amp;lt;") == "&amp;lt;"
    assert unescape("&amp;lt;") == "&lt;"
    # A bare "&" that is no entity is shown as it is.
    assert html("R&D") == "R&amp;D"


@pytest.mark.parametrize(
    "payee",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "Tom & Jerry's <b>Bar</b>",
        "&lt;already&gt; &amp;",
        "`<b>`",
        "*<i>x</i>*",
        "<@U1|<b>>",
        "\U000f0000\U000f0001 <x>",
    ],
)
def test_hostile_text_escaped_by_paybot_shows_as_typed_and_never_as_markup(payee: str) -> None:
    shown = html(f"Pay *{slack_escape(payee)}* · 100 NOK")
    parsed = etree.fromstring(f"<root>{shown}</root>")
    assert {element.tag for element in parsed.iter()} <= {"root", "b", "i", "code"}
    assert not any(element.attrib for element in parsed.iter() if element.tag != "code")
    if not set(payee) & set("*_~`"):
        assert [element.tag for element in parsed.iter()] == ["root", "b"]
        assert "".join(parsed.itertext()) == f"Pay {payee} · 100 NOK"


def test_raw_html_that_paybot_did_not_escape_is_still_only_text() -> None:
    shown = html("<script>alert(1)</script> <img src=x onerror=alert(1)>")
    assert "<script" not in shown and "<img" not in shown
    assert "&lt;script&gt;alert(1)" in shown


def test_links_with_and_without_labels() -> None:
    assert html("<https://bank.example/a?b=1&amp;c=2|the bank>") == (
        '<a class="bk-link" href="https://bank.example/a?b=1&amp;c=2" target="_blank" '
        'rel="noopener noreferrer">the bank</a>'
    )
    assert ">https://bank.example</a>" in html("<https://bank.example>")
    assert 'href="mailto:finance@acme.no"' in html("<mailto:finance@acme.no|Finance>")
    assert ">finance@acme.no</a>" in html("<mailto:finance@acme.no>")


def test_a_link_label_is_text_not_markup() -> None:
    shown = html("<https://x.example|&lt;b&gt;bold&lt;/b&gt; *label*>")
    assert ">&lt;b&gt;bold&lt;/b&gt; *label*</a>" in shown


def test_a_javascript_link_is_never_a_link() -> None:
    shown = html("<javascript:alert(1)|click me> <javascript:alert(2)>")
    assert "<a" not in shown and "href" not in shown
    assert shown == "click me &lt;javascript:alert(2)&gt;"


def test_bare_urls_are_linked_without_trailing_punctuation_or_italics() -> None:
    shown = html("See https://x.example/_a_b_. Then _done_")
    assert 'href="https://x.example/_a_b_"' in shown
    assert "</a>. Then <i>done</i>" in shown


def test_mentions_use_the_names_given_else_the_id() -> None:
    users = {"U1": "Sigrid Signer"}
    assert html("<@U1>", users) == (
        '<span class="bk-mention" data-user-id="U1">@Sigrid Signer</span>'
    )
    assert html("<@U2>", users) == '<span class="bk-mention" data-user-id="U2">@U2</span>'
    assert "@anders</span>" in html("<@U3|anders>", users)


def test_a_hostile_display_name_is_escaped() -> None:
    shown = html("<@U1>", {"U1": "<script>x</script>"})
    assert "@&lt;script&gt;x&lt;/script&gt;</span>" in shown


def test_channels_and_broadcasts() -> None:
    assert html("<#C123|finance>") == '<span class="bk-mention bk-channel">#finance</span>'
    assert html("<#C123>") == '<span class="bk-mention bk-channel">#C123</span>'
    assert html("<!here>") == '<span class="bk-mention bk-broadcast">@here</span>'
    assert html("<!channel>") == '<span class="bk-mention bk-broadcast">@channel</span>'
    assert ">@finance-team</span>" in html("<!subteam^S1|@finance-team>")
    assert ">2 Dec 2026</span>" in html("<!date^1796000000^{date}|2 Dec 2026>")


def test_mentions_and_links_work_inside_formatting() -> None:
    shown = html("*Approved by <@U1> at 10:12*", {"U1": "Ann"})
    assert shown.startswith("<b>Approved by <span") and shown.endswith(" at 10:12</b>")


def test_known_emoji_shortcodes_become_emoji_and_unknown_ones_stay() -> None:
    assert html(":hourglass_flowing_sand: Loading…") == "⏳ Loading…"
    assert html(":white_check_mark: :warning: :x: :nope:") == "✅ ⚠️ ❌ :nope:"
    assert emojize(":large_blue_circle::large_orange_circle::red_circle:") == "🔵🟠🔴"
    assert emojize(":moneybag: :bank: :hourglass: :lock:") == "💰 🏦 ⌛ 🔒"
    assert html("at 10:00:00") == "at 10:00:00"


def test_a_preformatted_block_keeps_spaces_and_its_links_but_no_formatting() -> None:
    shown = html("Before\n```a  *b*\n<https://x.example|x> &lt;c&gt;```\nAfter")
    assert shown == (
        'Before<pre class="bk-pre">a  *b*\n<a class="bk-link" href="https://x.example" '
        'target="_blank" rel="noopener noreferrer">x</a> &lt;c&gt;</pre>After'
    )


def test_a_preformatted_block_may_sit_inside_a_line() -> None:
    assert html("run ```paybot demo``` now") == 'run <pre class="bk-pre">paybot demo</pre> now'


def test_quotes_at_the_start_of_a_line_whether_escaped_or_not() -> None:
    shown = html("&gt; one\n> *two*\nthree")
    assert shown == '<blockquote class="bk-quote">one<br/><b>two</b></blockquote>three'
    assert html("a > b") == "a &gt; b"


def test_three_quote_marks_quote_the_rest() -> None:
    shown = html("intro\n&gt;&gt;&gt; all\nof this")
    assert shown == 'intro<blockquote class="bk-quote">all<br/>of this</blockquote>'


def test_a_very_long_line_is_shown_as_text() -> None:
    line = "*a* " * 30_000
    shown = html(line)
    assert "<b>" not in shown and shown.startswith("*a* *a*")


def test_formatting_nested_thousands_deep_is_cut_off_not_a_crash() -> None:
    shown = html("*_" * 2000 + "deep" + "_*" * 2000)
    tree = etree.fromstring(f"<root>{shown}</root>")
    depth = max(len(list(element.iterancestors())) for element in tree.iter())
    assert depth <= 6 and "deep" in "".join(tree.itertext())


def test_a_long_line_of_markers_that_never_close_is_shown_as_typed() -> None:
    line = "*a _b ~c " * 4000
    assert html(line) == line


def test_the_output_is_well_formed_for_every_kind_of_piece() -> None:
    text = (
        "*Acme &amp; Co* _<@U1>_ ~old~ `x &lt; y`\n> quoted <#C1|c>\n"
        "```pre <https://x.example|x>```\n:warning: <!here> <https://y.example>"
    )
    etree.fromstring(f"<root>{html(text, {'U1': 'A'})}</root>")
