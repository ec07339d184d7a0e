"""Slack Block Kit as HTML for `paybot demo`: pure functions from the blocks paybot sends (messages,
modals, the Home tab) to markup, one Jinja template per block and element type under
`templates/blocks/`. The look is in `static/blocks.css`.

What the page's JavaScript relies on:

- Each block is `<div class="bk-block bk-<type>" data-block-id="...">`; a block without a
  block_id gets `b<index>` (its place in the list), the same on every render.
- What Slack sends a block_actions for (buttons, overflow options, selects, date pickers,
  checkboxes and radio buttons outside input blocks) has class `bk-action` and `data-type`,
  `data-action-id`, `data-block-id`; a button has `data-value` (if it has a value), `data-url`
  (an http(s) or mailto URL) and `data-confirm` (the confirm object as JSON).
- Every option carries `data-option`: the option as Slack has it, as JSON.
- An input block is `<div class="bk-block bk-input" data-block-id>` holding one `bk-field` with
  `data-type`, `data-action-id` (and `data-dispatch="true"` for dispatch_action); an error named
  for it in `errors` adds `bk-has-error` and `<div class="bk-error">`. Its state in
  view.state.values: plain_text_input and number_input `value`; static_select and
  radio_buttons `selected_option`; multi_static_select and checkboxes `selected_options`;
  datepicker `selected_date`; users_select `selected_user` (the option's value).
- A type this renderer does not know is shown as `bk-unknown`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, Template
from markupsafe import Markup, escape

from paybot.core.company import Language
from paybot.demo.mrkdwn import emojize, mrkdwn, unescape
from paybot.demo.strings import BLOCKS

BLOCK_TYPES = frozenset(
    {"header", "section", "actions", "context", "divider", "image", "input", "rich_text"}
)
ELEMENT_TYPES = frozenset(
    {
        "button",
        "overflow",
        "static_select",
        "multi_static_select",
        "users_select",
        "datepicker",
        "plain_text_input",
        "number_input",
        "checkboxes",
        "radio_buttons",
        "image",
    }
)
_SAFE_URL = ("https://", "http://", "mailto:")
_SAFE_IMAGE = ("https://", "http://", "data:image/")
_EMPTY: Mapping[str, Any] = {}

Blocks = Sequence[Mapping[str, Any]]


def render_blocks(
    blocks: Blocks | str,
    *,
    users: Mapping[str, str] = _EMPTY,
    errors: Mapping[str, str] = _EMPTY,
    values: Mapping[str, Mapping[str, Any]] = _EMPTY,
    language: Language = Language.EN,
) -> Markup:
    """A message's or a view's blocks (a list, or its JSON as the Web API also takes it).

    `users` names Slack user ids for mentions and users_select; `errors` is an input block's
    error by block_id (as `response_action: errors` gives it); `values` is view.state.values,
    which wins over the elements' initial values; `language` is the client's, for what it says
    itself ("(optional)", a select's placeholder when the view gives none)."""
    return _Renderer(users, errors, values, language).blocks(_listed(blocks))


def render_message(
    message: Mapping[str, Any],
    *,
    users: Mapping[str, str] = _EMPTY,
    language: Language = Language.EN,
) -> Markup:
    """A chat message as paybot posts it: its blocks, or without blocks its `text` as mrkdwn
    (what Slack shows then)."""
    blocks = _listed(message.get("blocks") or [])
    if blocks:
        return render_blocks(blocks, users=users, language=language)
    text = mrkdwn(str(message.get("text") or ""), users)
    return Markup(
        '<div class="bk-blocks"><div class="bk-block bk-section bk-fallback">'
        '<div class="bk-section-main"><div class="bk-section-text bk-mrkdwn">{}</div></div>'
        "</div></div>"
    ).format(text)


def render_view(
    view: Mapping[str, Any],
    *,
    users: Mapping[str, str] = _EMPTY,
    errors: Mapping[str, str] = _EMPTY,
    values: Mapping[str, Mapping[str, Any]] = _EMPTY,
    language: Language = Language.EN,
) -> Markup:
    """A modal's or the Home tab's body; the title and buttons are the page's (`view_chrome`).
    Without `values`, the view's own `state.values` (if any) fill the inputs."""
    state = view.get("state")
    if not values and isinstance(state, Mapping):
        values = state.get("values") or _EMPTY
    return render_blocks(
        _listed(view.get("blocks") or []),
        users=users,
        errors=errors,
        values=values,
        language=language,
    )


def view_chrome(view: Mapping[str, Any], language: Language = Language.EN) -> dict[str, str]:
    """A modal's title, submit and close texts as plain strings ("" for no submit button;
    Slack's "Cancel" in `language` when no close text is given)."""
    return {
        "title": plain(view.get("title")),
        "submit": plain(view.get("submit")),
        "close": plain(view.get("close")) or BLOCKS["cancel"](language),
    }


def plain(text: object) -> str:
    """A text object's words as a plain string: emoji shortcodes as emoji (unless `emoji` is
    false), a mrkdwn text with its entities read."""
    if isinstance(text, str):
        return text
    if not isinstance(text, Mapping):
        return ""
    words = str(text.get("text") or "")
    if text.get("type") == "mrkdwn":
        return emojize(unescape(words))
    return words if text.get("emoji") is False else emojize(words)


def safe_url(url: object, schemes: tuple[str, ...] = _SAFE_URL) -> str:
    """The URL if a browser may open it from the page (no `javascript:`), else ""."""
    text = str(url or "").strip()
    return text if text.lower().startswith(schemes) else ""


class _Renderer:
    """One render: the names, errors, values and language it was given, used by every
    template."""

    def __init__(
        self,
        users: Mapping[str, str],
        errors: Mapping[str, str],
        values: Mapping[str, Mapping[str, Any]],
        language: Language = Language.EN,
    ) -> None:
        self.users = users
        self.errors = errors
        self.values = values
        self.language = language

    def say(self, name: str, **values: object) -> str:
        """What the client says itself (`strings.BLOCKS`), in the render's language."""
        return BLOCKS[name](self.language, **values)

    def blocks(self, blocks: Blocks) -> Markup:
        rendered = Markup("").join(self.block(block, index) for index, block in enumerate(blocks))
        return Markup('<div class="bk-blocks">{}</div>').format(rendered)

    def block(self, block: object, index: int) -> Markup:
        if not isinstance(block, Mapping):
            block = _EMPTY
        kind = str(block.get("type") or "")
        block_id = str(block.get("block_id") or f"b{index}")
        name = kind if kind in BLOCK_TYPES else "unknown"
        return _render(
            f"blocks/{name}.html",
            block=block,
            kind=kind,
            block_id=block_id,
            error=self.errors.get(block_id),
            r=self,
        )

    def element(
        self,
        element: object,
        block_id: str,
        index: int = 0,
        *,
        field: bool = False,
        dispatch: bool = False,
    ) -> Markup:
        """An element of an actions or context block, an accessory, or an input's field."""
        if not isinstance(element, Mapping):
            element = _EMPTY
        kind = str(element.get("type") or "")
        action_id = str(element.get("action_id") or f"a{index}")
        name = kind if kind in ELEMENT_TYPES else "unknown"
        state = self.values.get(block_id, _EMPTY).get(action_id)
        return _render(
            f"blocks/elements/{name}.html",
            el=element,
            kind=kind,
            block_id=block_id,
            action_id=action_id,
            field=field,
            dispatch=bool(dispatch),
            state=state if isinstance(state, Mapping) else None,
            base="bk-field" if field else "bk-action",
            r=self,
        )

    def text(self, text: object) -> Markup:
        """A text object's content: mrkdwn as HTML, plain_text escaped (with emoji)."""
        if isinstance(text, Mapping) and text.get("type") == "mrkdwn":
            return mrkdwn(str(text.get("text") or ""), self.users)
        return escape(plain(text))

    def plain(self, text: object) -> str:
        return plain(text)

    def url(self, url: object) -> str:
        return safe_url(url)

    def image_url(self, url: object) -> str:
        return safe_url(url, _SAFE_IMAGE)

    def chosen(self, element: Mapping[str, Any], state: Mapping[str, Any] | None) -> list[str]:
        """The values of the options shown as chosen: from the view's state, else the initial
        option(s)."""
        if state is not None:
            picked: Any = state.get("selected_options") or [state.get("selected_option")]
        else:
            picked = element.get("initial_options") or [element.get("initial_option")]
        return [str(o.get("value")) for o in picked if isinstance(o, Mapping)]

    def current(self, element: Mapping[str, Any], state: Mapping[str, Any] | None) -> str:
        """A field's text: the view's state, else its initial value."""
        if state is not None:
            found = next((state[k] for k in _STATE_KEYS if state.get(k) is not None), None)
        else:
            found = next((element[k] for k in _INITIAL_KEYS if element.get(k) is not None), None)
        return "" if found is None else str(found)

    def people(self) -> list[tuple[str, str]]:
        """(user id, name) for a users_select, by name."""
        return sorted(self.users.items(), key=lambda person: (person[1].casefold(), person[0]))

    def rich(self, element: Mapping[str, Any], *, pre: bool = False) -> Markup:
        """One inline element of a rich_text block."""
        kind = element.get("type")
        if kind == "text":
            words = str(element.get("text") or "")
            html = escape(words) if pre else Markup("<br/>").join(map(escape, words.split("\n")))
            styles = element.get("style") or {}
            for style, start, end in _RICH_STYLES:
                if styles.get(style):
                    html = Markup(start) + html + Markup(end)
            return html
        if kind == "link":
            url = safe_url(element.get("url"))
            label = str(element.get("text") or element.get("url") or "")
            if not url:
                return escape(label)
            return Markup(
                '<a class="bk-link" href="{}" target="_blank" rel="noopener">{}</a>'
            ).format(url, label)
        if kind == "emoji":
            return escape(element.get("unicode_char") or emojize(f":{element.get('name')}:"))
        if kind == "user":
            user = str(element.get("user_id") or "")
            return mrkdwn(f"<@{user}>", self.users)
        if kind == "channel":
            return escape(f"#{element.get('channel_id') or ''}")
        if kind == "broadcast":
            return escape(f"@{element.get('range') or ''}")
        return escape(str(element.get("text") or element.get("fallback") or ""))


_STATE_KEYS = ("value", "selected_date", "selected_time", "selected_user")
_INITIAL_KEYS = ("initial_value", "initial_date", "initial_time", "initial_user")
_RICH_STYLES = (
    ("code", '<code class="bk-code">', "</code>"),
    ("strike", "<s>", "</s>"),
    ("italic", "<i>", "</i>"),
    ("bold", "<b>", "</b>"),
)


def _listed(blocks: Blocks | str) -> Blocks:
    """Blocks as the Web API takes them: a list, or a JSON string of one."""
    if isinstance(blocks, str):
        loaded = json.loads(blocks) if blocks.strip() else []
        return loaded if isinstance(loaded, list) else []
    return blocks


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


@cache
def _template(name: str) -> Template:
    return _environment().get_template(name)


def _render(name: str, **context: Any) -> Markup:
    return Markup(_template(name).render(**context).strip())
