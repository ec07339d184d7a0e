"""Slack's mrkdwn as HTML, the way Slack shows a message's text.

Text arrives as Slack receives it: `&`, `<` and `>` typed by a person are `&amp;`, `&lt;` and
`&gt;`, and a raw `<...>` is a link, a mention or a broadcast. Those three entities are read once,
then everything is HTML-escaped once, so nothing is escaped twice and no HTML typed into a payee
name gets through. Formatting (`*bold*`, `_italic_`, `~strike~`) needs a word boundary on the
outside and no space on the inside, as in Slack: `a*b*c` and `snake_case_word` stay as typed.
Formatting, inline code and links end at the end of a line.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Mapping

from markupsafe import Markup, escape

# Shortcodes shown as emoji: those paybot writes, and common ones. Unknown ones stay as typed.
EMOJI: Mapping[str, str] = {
    "hourglass_flowing_sand": "⏳",
    "hourglass": "⌛",
    "white_check_mark": "✅",
    "heavy_check_mark": "✔️",
    "ballot_box_with_check": "☑️",
    "warning": "⚠️",
    "x": "❌",
    "heavy_multiplication_x": "✖️",
    "no_entry": "⛔",
    "no_entry_sign": "🚫",
    "octagonal_sign": "🛑",
    "rotating_light": "🚨",
    "question": "❓",
    "grey_question": "❔",
    "exclamation": "❗",
    "information_source": "ℹ️",
    "leftwards_arrow_with_hook": "↩️",
    "arrow_right": "➡️",
    "large_blue_circle": "🔵",
    "large_orange_circle": "🟠",
    "large_green_circle": "🟢",
    "large_yellow_circle": "🟡",
    "red_circle": "🔴",
    "white_circle": "⚪",
    "black_circle": "⚫",
    "moneybag": "💰",
    "money_with_wings": "💸",
    "dollar": "💵",
    "euro": "💶",
    "credit_card": "💳",
    "bank": "🏦",
    "receipt": "🧾",
    "lock": "🔒",
    "unlock": "🔓",
    "key": "🔑",
    "calendar": "📆",
    "date": "📅",
    "memo": "📝",
    "page_facing_up": "📄",
    "inbox_tray": "📥",
    "outbox_tray": "📤",
    "mag": "🔍",
    "bell": "🔔",
    "eyes": "👀",
    "wave": "👋",
    "tada": "🎉",
    "+1": "👍",
    "thumbsup": "👍",
    "-1": "👎",
    "thumbsdown": "👎",
    "pray": "🙏",
    "rocket": "🚀",
    "zap": "⚡",
    "fire": "🔥",
    "star": "⭐",
    "sparkles": "✨",
    "smile": "😄",
    "slightly_smiling_face": "🙂",
    "thinking_face": "🤔",
    "robot_face": "🤖",
}

_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_PRE = re.compile(r"```(.*?)```", re.DOTALL)
_QUOTE = re.compile(r"^(?:>|&gt;)")
_LONG_QUOTE = re.compile(r"^(?:>>>|&gt;&gt;&gt;)")
_TOKEN = re.compile(r"<([^<>\n]*)>")
_CODE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
_URL = re.compile(r"(?<![\w/])(?:https?://|mailto:)[^\s<>\"']+", re.IGNORECASE)
_URL_END = ".,;:!?)]}'\""
_LINKABLE = re.compile(r"(?:https?://|mailto:)", re.IGNORECASE)
_EMOJI = re.compile(r":([a-z0-9_+\-]+):")
_BROADCASTS = frozenset({"here", "channel", "everyone"})
# Pieces already made into HTML wait in the text as characters of the supplementary private use
# planes; the text's own runs of such characters wait the same way, so they cannot be taken for
# one. A piece takes two characters or more: 131,072 places are enough for any _MAX_LINE.
_SLOT = 0xF0000
_SLOTS = re.compile("[\U000f0000-\U0010ffff]")
_SLOT_RUNS = re.compile("[\U000f0000-\U0010ffff]+")
_MAX_LINE = 100_000  # longer lines are shown as plain text


_STYLES = (("*", "b"), ("_", "i"), ("~", "s"))
_DEPTH = 6  # formatting nested deeper than this is shown as typed


def unescape(text: str) -> str:
    """Slack's three entities read once: `&amp;lt;` is the text `&lt;`."""
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text)


def emojize(text: str) -> str:
    """`:warning:` as ⚠️; unknown shortcodes stay as typed."""
    return _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)


def mrkdwn(text: str, users: Mapping[str, str] | None = None) -> Markup:
    """Slack mrkdwn as HTML: formatting, code, preformatted blocks, quotes, line breaks, links,
    mentions (`<@U123>` as "@Name" from `users`, else the id), channels and emoji."""
    users = users or {}
    parts: list[Markup] = []
    pieces = _PRE.split(text)
    for index, piece in enumerate(pieces):
        if index % 2:
            parts.append(_pre(piece, users))
            continue
        if index > 0 and piece.startswith("\n"):
            piece = piece[1:]
        if index < len(pieces) - 1 and piece.endswith("\n"):
            piece = piece[:-1]
        if piece:
            parts.append(_lines(piece, users))
    return Markup("").join(parts)


def _pre(content: str, users: Mapping[str, str]) -> Markup:
    """A ``` block: links and mentions still work; no formatting, spaces kept."""
    content = content.removeprefix("\n").removesuffix("\n")
    if len(content) > _MAX_LINE:
        return Markup('<pre class="bk-pre">{}</pre>').format(unescape(content))
    atoms: list[Markup] = []
    body = _stash_tokens(content, users, atoms)
    html = _fill(str(escape(unescape(body))), atoms)
    return Markup('<pre class="bk-pre">{}</pre>').format(Markup(html))


def _lines(text: str, users: Mapping[str, str]) -> Markup:
    """Lines joined by line breaks; consecutive `>` lines as one quote; `>>>` quotes the rest."""
    out: list[Markup] = []
    plain: list[Markup] = []
    quoted: list[Markup] = []

    def flush_plain() -> None:
        if plain:
            out.append(Markup("<br/>").join(plain))
            plain.clear()

    def flush_quote() -> None:
        if quoted:
            joined = Markup("<br/>").join(quoted)
            out.append(Markup('<blockquote class="bk-quote">{}</blockquote>').format(joined))
            quoted.clear()

    lines = text.split("\n")
    for number, line in enumerate(lines):
        rest = _LONG_QUOTE.match(line)
        if rest:
            flush_plain()
            flush_quote()
            body = [line[rest.end() :].removeprefix(" "), *lines[number + 1 :]]
            quoted.extend(inline(part, users) for part in body)
            break
        marker = _QUOTE.match(line)
        if marker:
            flush_plain()
            quoted.append(inline(line[marker.end() :].removeprefix(" "), users))
        else:
            flush_quote()
            plain.append(inline(line, users))
    flush_plain()
    flush_quote()
    return Markup("").join(out)


def inline(line: str, users: Mapping[str, str] | None = None) -> Markup:
    """One line of mrkdwn: links and mentions, code, bare URLs, emoji and formatting."""
    users = users or {}
    if len(line) > _MAX_LINE:
        return escape(emojize(unescape(line)))
    atoms: list[Markup] = []
    text = _stash_tokens(line, users, atoms)
    text = unescape(text)
    text = _CODE.sub(lambda m: _stash(_code(m.group(1), atoms), atoms), text)
    text = _URL.sub(lambda m: _bare_url(m.group(0), atoms), text)
    return Markup(_fill(_format(text), atoms))


def _stash_tokens(text: str, users: Mapping[str, str], atoms: list[Markup]) -> str:
    text = _SLOT_RUNS.sub(lambda m: _stash(escape(m.group(0)), atoms), text)
    return _TOKEN.sub(lambda m: _stash(_token(m.group(1), users), atoms), text)


def _stash(html: Markup, atoms: list[Markup]) -> str:
    atoms.append(html)
    return chr(_SLOT + len(atoms) - 1)


def _fill(html: str, atoms: list[Markup]) -> str:
    return _SLOTS.sub(lambda m: str(atoms[ord(m.group(0)) - _SLOT]), html)


def _code(content: str, atoms: list[Markup]) -> Markup:
    return Markup('<code class="bk-code">{}</code>').format(
        Markup(_fill(str(escape(content)), atoms))
    )


def _bare_url(found: str, atoms: list[Markup]) -> str:
    """A URL typed without <>: linked as Slack does, without trailing punctuation."""
    url = found.rstrip(_URL_END)
    return _stash(_link(url, url), atoms) + found[len(url) :]


def _token(body: str, users: Mapping[str, str]) -> Markup:
    """`<@U1>`, `<#C1|name>`, `<!here>`, `<https://x|label>`; anything else as typed."""
    target, _, label = body.partition("|")
    label = emojize(unescape(label))
    if target.startswith("@") and len(target) > 1:
        user = target[1:]
        name = users.get(user) or label.removeprefix("@") or user
        return Markup('<span class="bk-mention" data-user-id="{}">@{}</span>').format(user, name)
    if target.startswith("#") and len(target) > 1:
        name = label or target[1:]
        return Markup('<span class="bk-mention bk-channel">#{}</span>').format(name)
    if target.startswith("!") and len(target) > 1:
        word = target[1:].split("^", 1)[0]
        said = f"@{word}" if word in _BROADCASTS else label or f"@{word}"
        return Markup('<span class="bk-mention bk-broadcast">{}</span>').format(said)
    url = unescape(target)
    if _LINKABLE.match(url):
        return _link(url, label or url.removeprefix("mailto:"))
    # Not a link Slack would open (`javascript:`, or no scheme): its label, or as typed.
    return escape(label or f"<{unescape(body)}>")


def _link(url: str, label: str) -> Markup:
    return Markup(
        '<a class="bk-link" href="{}" target="_blank" rel="noopener noreferrer">{}</a>'
    ).format(url, label)


def _format(text: str, depth: int = 0) -> str:
    """Bold, italic and strike, nested as typed; the rest escaped, with emoji.

    A marker opens after a non-word character (or the start) when a non-space follows it, and
    closes after a non-space when a non-word character (or the end) follows it; the span is
    the first opening that has a closing after it, to its nearest closing. Whether a place
    opens or closes depends on its neighbours only, so each line is scanned once."""
    if depth >= _DEPTH:
        return _plain(text)
    places = {marker: _places(text, marker) for marker, _ in _STYLES}
    out: list[str] = []
    position = 0
    while True:
        first: tuple[int, int, str] | None = None
        for marker, tag in _STYLES:
            span = _span(*places[marker], position)
            if span is not None and (first is None or span[0] < first[0]):
                first = (*span, tag)
        if first is None:
            break
        opening, closing, tag = first
        out.append(_plain(text[position:opening]))
        out.append(f"<{tag}>{_format(text[opening + 1 : closing], depth + 1)}</{tag}>")
        position = closing + 1
    out.append(_plain(text[position:]))
    return "".join(out)


def _places(text: str, marker: str) -> tuple[list[int], list[int]]:
    """Where `marker` may open a span, and where it may close one."""
    openings: list[int] = []
    closings: list[int] = []
    at = text.find(marker)
    while at >= 0:
        before = text[at - 1] if at > 0 else " "
        after = text[at + 1] if at + 1 < len(text) else " "
        if not _wordy(before) and before != marker and not after.isspace() and after != marker:
            openings.append(at)
        if at > 0 and not before.isspace() and before != marker and not _wordy(after):
            if after != marker:
                closings.append(at)
        at = text.find(marker, at + 1)
    return openings, closings


def _span(openings: list[int], closings: list[int], position: int) -> tuple[int, int] | None:
    """The first span at or after `position`: if the first opening there has no closing after
    it, no later opening has one either."""
    first = bisect_left(openings, position)
    if first == len(openings):
        return None
    opening = openings[first]
    after = bisect_left(closings, opening + 2)
    return None if after == len(closings) else (opening, closings[after])


def _wordy(char: str) -> bool:
    return char.isalnum() or char == "_"


def _plain(text: str) -> str:
    return str(escape(emojize(text)))
