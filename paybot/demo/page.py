"""What the workspace page shows one person: the sidebar, the open conversation or App Home,
the modal they opened in this page (its client) on top, and (for the demo only) a signer's
current one-time code. Pure functions from the workspace's state to JSON-ready dicts with HTML
rendered by paybot.demo.blockkit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pyotp
from markupsafe import Markup

from paybot.core.company import Language
from paybot.demo import strings
from paybot.demo.blockkit import render_message, render_view, view_chrome
from paybot.sandbox.slack_api import FakeSlack

HOME = "home"


@dataclass(frozen=True)
class Member:
    """A person of the demo, as the person switcher shows them."""

    user_id: str
    name: str
    title: str
    device: pyotp.TOTP | None = None


@dataclass(frozen=True)
class Shown:
    """One message line of a conversation, in the order Slack shows them."""

    ts: str
    body: Mapping[str, Any]
    ephemeral: bool
    replies: tuple[Shown, ...] = ()


def conversations(
    slack: FakeSlack, user: str, language: Language = Language.EN
) -> list[dict[str, str]]:
    """The sidebar: the channels, then paybot's app (Home and Messages)."""
    channels = [
        {"id": cid, "name": f"# {name}", "kind": "channel"}
        for cid, name in slack.channels.items()
        if cid.startswith("C")
    ]
    return [
        *channels,
        {"id": HOME, "name": f"paybot — {strings.APP_HOME(language)}", "kind": "app"},
        {"id": f"D{user}", "name": f"paybot — {strings.APP_MESSAGES(language)}", "kind": "app"},
    ]


def lines(slack: FakeSlack, user: str, channel: str) -> list[Shown]:
    """A channel's messages with their thread replies, and the ones only `user` sees."""
    messages, mine = slack.conversation(channel, user)
    replies: dict[str, list[Shown]] = {}
    top: list[Shown] = []
    for ts, body in messages:
        thread = str(body.get("thread_ts") or "")
        if thread and thread != ts:
            replies.setdefault(thread, []).append(Shown(ts, body, False))
        else:
            top.append(Shown(ts, body, False))
    top += [Shown(e.ts, e.body, True) for e in mine]
    shown = [
        Shown(s.ts, s.body, s.ephemeral, tuple(sorted(replies.get(s.ts, []), key=_order)))
        for s in top
    ]
    return sorted(shown, key=_order)


def _order(shown: Shown) -> tuple[float, str]:
    return (float(shown.ts), shown.ts)


def _when(ts: str, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(float(ts), UTC).astimezone(zone).strftime("%H:%M")


def message_html(
    shown: Shown,
    channel: str,
    users: Mapping[str, str],
    zone: ZoneInfo,
    language: Language = Language.EN,
) -> Markup:
    body = render_message(shown.body, users=users, language=language)
    note = (
        Markup('<div class="only-you">{}</div>').format(strings.ONLY_VISIBLE_TO_YOU(language))
        if shown.ephemeral
        else Markup()
    )
    replies = Markup("").join(
        message_html(r, channel, users, zone, language) for r in shown.replies
    )
    thread = (
        Markup('<div class="thread"><div class="thread-count">{}</div>{}</div>').format(
            strings.replies(len(shown.replies), language), replies
        )
        if shown.replies
        else Markup()
    )
    return Markup(
        '<div class="msg{}" data-container="message" data-channel="{}" data-ts="{}"'
        ' data-ephemeral="{}"><div class="avatar">pb</div><div class="msg-main">'
        '<div class="msg-head"><b>paybot</b> <span class="app-tag">{}</span>'
        ' <span class="msg-time">{}</span></div>{}{}{}</div></div>'
    ).format(
        " ephemeral" if shown.ephemeral else "",
        channel,
        shown.ts,
        "true" if shown.ephemeral else "false",
        strings.APP_TAG(language),
        _when(shown.ts, zone),
        note,
        body,
        thread,
    )


def pane(
    slack: FakeSlack, user: str, conv: str, zone: ZoneInfo, language: Language = Language.EN
) -> dict[str, Any]:
    """The main area: a conversation's messages, or the person's App Home."""
    users = {uid: str(u.get("name") or uid) for uid, u in slack.users.items()}
    if conv == HOME:
        home = slack.home_of(user)
        html = (
            Markup('<div class="home" data-container="view" data-view-id="{}">{}</div>').format(
                home["id"], render_view(home, users=users, language=language)
            )
            if home
            else Markup('<div class="empty">{}</div>').format(strings.OPENING_HOME(language))
        )
        subtitle = strings.APP_HOME(language)
        return {"id": HOME, "title": "paybot", "subtitle": subtitle, "html": str(html)}
    name = slack.channels.get(conv, conv)
    shown = lines(slack, user, conv)
    empty = Markup('<div class="empty">{}</div>').format(strings.NO_MESSAGES(language))
    html = Markup("").join(message_html(s, conv, users, zone, language) for s in shown) or empty
    title = f"# {name}" if conv.startswith("C") else "paybot"
    subtitle = strings.APP_MESSAGES(language)
    return {"id": conv, "title": title, "subtitle": subtitle, "html": str(html)}


def modal(
    slack: FakeSlack,
    user: str,
    errors: Mapping[str, str],
    client: str = "",
    language: Language = Language.EN,
) -> dict[str, Any] | None:
    """The modal on top of `user`'s stack in `client`, with the field errors of a refused
    submit."""
    view = slack.top_view(user, client)
    if view is None:
        return None
    users = {uid: str(u.get("name") or uid) for uid, u in slack.users.items()}
    chrome = view_chrome(view, language)
    return {
        "view_id": view["id"],
        "depth": len(slack.modal_stack(user, client)),
        "title": chrome["title"],
        "submit": chrome["submit"],
        "close": chrome["close"],
        "html": str(render_view(view, users=users, errors=errors, language=language)),
    }


def code_of(member: Member, now: datetime) -> dict[str, Any] | None:
    """A signer's current one-time code, as their phone shows it (the demo's clock)."""
    if member.device is None:
        return None
    step = member.device.interval
    left = step - int(now.timestamp()) % step
    return {"code": member.device.at(now), "seconds_left": left}


def state(
    slack: FakeSlack,
    members: Sequence[Member],
    *,
    user: str,
    conv: str,
    now: datetime,
    zone: ZoneInfo,
    errors: Mapping[str, str],
    client: str = "",
    language: Language = Language.EN,
) -> dict[str, Any]:
    """Everything the page (`client`) shows `user`, at `slack`'s current version, with the
    page's own words in `language`."""
    member = next((m for m in members if m.user_id == user), members[0])
    return {
        "version": slack.version,
        "user": member.user_id,
        "people": [
            {"id": m.user_id, "name": m.name, "title": m.title, "signs": m.device is not None}
            for m in members
        ],
        "code": code_of(member, now),
        "clock": strings.clock(now, language, zone),
        "conversations": conversations(slack, member.user_id, language),
        "pane": pane(slack, member.user_id, conv, zone, language),
        "modal": modal(slack, member.user_id, errors, client, language),
    }
