"""A local Slack Web API: answers like Slack, refuses what Slack refuses, records every call.

The tests and the local demo point `PAYBOT_SLACK_API_URL` here (served over HTTP by
paybot.sandbox.slack_http). It checks the bot token, knows a fixed set of methods, enforces the
Block Kit limits Slack enforces on messages and views, and makes trigger ids expire after 3
seconds and work once, as Slack does.

It also keeps what a person would see, for the demo's workspace page: the messages of each
channel (threads, ephemeral messages for one person), each person's App Home and open modals,
and a version number that moves on every change, which a page waits on (`wait_change`).

Modals belong to the client they were opened in, as in Slack: a trigger id comes from a click in
one client (one load of the demo's page), and the modal it opens (a stack, as `views.push` builds
it) shows there only. Another client of the same person, such as the page loaded again or in
another browser, starts with none. Calls that name no client (the tests) share one, "".
"""

from __future__ import annotations

import itertools
import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from paybot.sandbox.block_limits import message_problem, view_of, view_problem

TRIGGER_SECONDS = 3.0
# Slack keeps at most three views in a modal's stack.
MAX_MODAL_STACK = 3

Answer = dict[str, Any]
# Where a modal is open: a person, and the client (one page load) they opened it in.
Screen = tuple[str, str]


@dataclass
class Call:
    method: str
    body: dict[str, Any]
    token: str | None


@dataclass(frozen=True)
class Ephemeral:
    """A message only `user` sees, in `channel` (gone when the page reloads, in Slack)."""

    user: str
    channel: str
    ts: str
    body: dict[str, Any]


@dataclass(frozen=True)
class ResponseTarget:
    """Where an interaction's response_url points: the person, the channel, and the message
    (ephemeral or not) the interaction came from, if any."""

    user: str
    channel: str
    message_ts: str | None = None
    ephemeral: bool = False


@dataclass
class FakeSlack:
    """The state behind the fake: tokens it accepts, calls it got, triggers it issued."""

    token: str = "xoxb-paybot-test"
    team_id: str = "T0PAYBOT"
    bot_user_id: str = "U0PAYBOT"
    calls: list[Call] = field(default_factory=list)
    triggers: dict[str, float] = field(default_factory=dict)
    # What is in each channel now, by ts (chat.update replaces), and the views by id.
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    # files_upload_v2: bytes POSTed to an upload URL by file id, then the files shared by
    # files.completeUploadExternal ({"id", "title", "channel", "initial_comment", "content"}).
    uploads: dict[str, bytes] = field(default_factory=dict)
    files: list[dict[str, Any]] = field(default_factory=list)
    upload_root: str = "http://127.0.0.1/upload"  # the HTTP server sets its own
    # The next call of a method answers this error, as Slack does for e.g. missing_scope.
    refusals: dict[str, str] = field(default_factory=dict)
    # The workspace, when it has one (the demo): people by id ({"id", "name", "tz"}) and
    # channels by id (name). Empty: any user and channel id is taken (the tests).
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    channels: dict[str, str] = field(default_factory=dict)
    ephemerals: list[Ephemeral] = field(default_factory=list)
    # The modal stack (view ids, the top last) open in each person's client, and each person's
    # App Home view.
    modals: dict[Screen, list[str]] = field(default_factory=dict)
    homes: dict[str, str] = field(default_factory=dict)
    trigger_screens: dict[str, Screen] = field(default_factory=dict)
    response_targets: dict[str, ResponseTarget] = field(default_factory=dict)
    version: int = 0
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _changed: threading.Condition = field(init=False)
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    # Optional, as Slack does under load: calls per second allowed per channel for a method
    # (faster ones get HTTP 429 with Retry-After), and seconds a method takes to answer.
    rate_limits: dict[str, float] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)
    # Calls answered 429 ratelimited; not in `calls`, as Slack did nothing with them.
    ratelimited: list[Call] = field(default_factory=list)
    _throttled: dict[str, tuple[int, int]] = field(default_factory=dict)
    _last_allowed: dict[tuple[str, str], float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._changed = threading.Condition(self._lock)

    def throttle(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """The next `times` calls of `method` answer 429 ratelimited, Retry-After `retry_after`."""
        with self._lock:
            self._throttled[method] = (times, retry_after)

    def over_limit(self, method: str, body: dict[str, Any], token: str | None) -> int | None:
        """Retry-After seconds when this call must be answered 429 ratelimited, else None."""
        with self._lock:
            times, retry_after = self._throttled.get(method, (0, 1))
            if times > 0:
                self._throttled[method] = (times - 1, retry_after)
                self.ratelimited.append(Call(method, body, token))
                return retry_after
            rate = self.rate_limits.get(method)
            if not rate:
                return None
            key, now = (method, str(body.get("channel") or "")), time.monotonic()
            last = self._last_allowed.get(key)
            if last is not None and now - last < 1 / rate:
                self.ratelimited.append(Call(method, body, token))
                return max(1, math.ceil(1 / rate - (now - last)))
            self._last_allowed[key] = now
            return None

    def slow_down(self, method: str) -> None:
        """Takes the time `delays` gives the method, as a slow Slack would."""
        delay = self.delays.get(method)
        if delay:
            time.sleep(delay)

    def new_trigger(self, user: str | None = None, client: str = "") -> str:
        """A trigger id as Slack puts in an interaction payload (valid 3 s, once); a modal it
        opens is `user`'s, in the client the interaction came from."""
        with self._lock:
            trigger = f"{int(time.time())}.{next(self._ts)}.trigger"
            self.triggers[trigger] = time.monotonic()
            if user:
                self.trigger_screens[trigger] = (user, client)
        return trigger

    def new_response_url(self, root: str, target: ResponseTarget) -> str:
        """A response_url whose answers land where `target` says, as Slack's do."""
        with self._lock:
            name = f"r{next(self._ts)}"
            self.response_targets[name] = target
        return f"{root}/response/{name}"

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [call.body for call in self.calls if call.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
        """The calls to `method` once there are at least `count` (work after an ack is lazy)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.calls_to(method)
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.02)

    def wait_change(self, since: int, timeout: float) -> int:
        """The version once it is past `since`, or after `timeout` seconds whatever it is."""
        with self._changed:
            self._changed.wait_for(lambda: self.version > since, timeout=timeout)
            return self.version

    def touch(self) -> None:
        """Something a person sees changed: pages waiting on the version are woken."""
        with self._changed:
            self.version += 1
            self._changed.notify_all()

    def answer_response_url(self, path: str, body: dict[str, Any]) -> tuple[int, Answer]:
        """A `response_url` of an interaction payload: recorded as a call, and, when it is one
        this workspace issued, applied as Slack applies it."""
        with self._lock:
            self.calls.append(Call("response_url", {"path": path, **body}, None))
            target = self.response_targets.get(path.rsplit("/", 1)[-1])
        if target is None:
            return 200, {"ok": True}
        problem = message_problem(body) if not body.get("delete_original") else None
        if problem:
            return 400, {"ok": False, "error": problem}
        self._respond(target, body)
        return 200, {"ok": True}

    def answer(self, method: str, body: dict[str, Any], token: str | None) -> tuple[int, Answer]:
        with self._lock:
            self.calls.append(Call(method, body, token))
        handler = self._methods().get(method)
        if handler is None:
            return 404, {"ok": False, "error": "unknown_method"}
        if token != self.token:
            return 200, {"ok": False, "error": "invalid_auth"}
        with self._lock:
            refusal = self.refusals.pop(method, None)
        if refusal:
            return 200, {"ok": False, "error": refusal}
        try:
            problem = handler(body)
        except (json.JSONDecodeError, TypeError, AttributeError):
            # A blocks or view argument that is not the JSON Slack expects.
            return 200, {"ok": False, "error": "invalid_arguments"}
        if isinstance(problem, str):
            return 200, {"ok": False, "error": problem}
        self.touch()
        return 200, {"ok": True, **problem}

    def _methods(self) -> dict[str, Callable[[dict[str, Any]], Answer | str]]:
        return {
            "auth.test": lambda body: {
                "url": "https://paybot-test.slack.com/",
                "team": "paybot test",
                "user": "paybot",
                "team_id": self.team_id,
                "user_id": self.bot_user_id,
                "bot_id": "B0PAYBOT",
                "is_enterprise_install": False,
            },
            "chat.postMessage": self._post,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.update": self._update,
            "chat.delete": self._delete,
            "views.open": self._open,
            "views.push": self._push,
            "views.publish": self._publish,
            "views.update": self._update_view,
            "conversations.open": self._open_conversation,
            "users.info": self._user_info,
            "files.getUploadURLExternal": self._upload_url,
            "files.completeUploadExternal": self._complete_upload,
        }

    # --- people and conversations --------------------------------------------------------------

    def _known_user(self, user: object) -> bool:
        return not self.users or str(user) in self.users

    def _known_channel(self, channel: object) -> bool:
        return bool(channel) and (not self.channels or str(channel) in self.channels)

    def _user_info(self, body: dict[str, Any]) -> Answer | str:
        user = str(body.get("user") or "")
        if not self.users:
            return {"user": {"id": user, "tz": "Europe/Oslo"}}
        known = self.users.get(user)
        return {"user": known} if known else "user_not_found"

    def _open_conversation(self, body: dict[str, Any]) -> Answer | str:
        user = str(body.get("users") or "")
        if not user:
            return "invalid_arguments"
        if not self._known_user(user):
            return "user_not_found"
        channel = f"D{user}"
        if self.users:
            with self._lock:
                self.channels.setdefault(channel, f"@{self.users[user].get('name', user)}")
        return {"channel": {"id": channel}}

    # --- files ---------------------------------------------------------------------------------

    def _upload_url(self, body: dict[str, Any]) -> Answer | str:
        if not body.get("filename") or not str(body.get("length") or "").isdigit():
            return "invalid_arguments"
        file_id = f"F{next(self._ts):08d}"
        return {"upload_url": f"{self.upload_root}/{file_id}", "file_id": file_id}

    def receive_upload(self, file_id: str, data: bytes) -> None:
        """The bytes a client POSTs to an upload URL (step 2 of files_upload_v2)."""
        with self._lock:
            self.uploads[file_id] = data

    def _complete_upload(self, body: dict[str, Any]) -> Answer | str:
        try:
            wanted = json.loads(str(body.get("files") or "[]"))
        except json.JSONDecodeError:
            return "invalid_arguments"
        with self._lock:
            if not wanted or any(f.get("id") not in self.uploads for f in wanted):
                return "file_not_found"
            shared = [
                {
                    "id": f["id"],
                    "title": f.get("title"),
                    "channel": body.get("channel_id"),
                    "initial_comment": body.get("initial_comment"),
                    "content": self.uploads[f["id"]],
                }
                for f in wanted
            ]
            self.files += shared
        return {"files": [{"id": f["id"], "title": f["title"]} for f in shared]}

    # --- messages ------------------------------------------------------------------------------

    def _new_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    def _post(self, body: dict[str, Any]) -> Answer | str:
        if not self._known_channel(body.get("channel")):
            return "channel_not_found"
        problem = message_problem(body)
        if problem:
            return problem
        thread = body.get("thread_ts")
        with self._lock:
            if thread and (str(body["channel"]), str(thread)) not in self.messages:
                if self.channels:  # the demo's workspace: a thread needs its first message
                    return "thread_not_found"
            ts = self._new_ts()
            self.messages[(str(body["channel"]), ts)] = {"user": self.bot_user_id, **body}
        return {"channel": body["channel"], "ts": ts}

    def _post_ephemeral(self, body: dict[str, Any]) -> Answer | str:
        if not body.get("user") or not self._known_user(body.get("user")):
            return "user_not_in_channel"
        if not self._known_channel(body.get("channel")):
            return "channel_not_found"
        problem = message_problem(body)
        if problem:
            return problem
        ts = self._new_ts()
        with self._lock:
            shown = Ephemeral(str(body["user"]), str(body["channel"]), ts, body)
            self.ephemerals.append(shown)
        return {"message_ts": ts}

    def _update(self, body: dict[str, Any]) -> Answer | str:
        key = (str(body.get("channel")), str(body.get("ts")))
        with self._lock:
            if key not in self.messages:
                return "message_not_found"
        problem = message_problem(body)
        if problem:
            return problem
        with self._lock:
            self.messages[key] = {**self.messages[key], **body}
        return {"channel": body["channel"], "ts": body["ts"]}

    def _delete(self, body: dict[str, Any]) -> Answer | str:
        key = (str(body.get("channel")), str(body.get("ts")))
        with self._lock:
            if self.messages.pop(key, None) is None:
                return "message_not_found"
        return {"channel": key[0], "ts": key[1]}

    def _respond(self, target: ResponseTarget, body: dict[str, Any]) -> None:
        """An answer to a response_url: replaces or deletes the message it came from, or adds a
        message to the channel (in_channel) or one only the person sees (the default)."""
        with self._lock:
            key = (target.channel, target.message_ts or "")
            if body.get("delete_original"):
                self.messages.pop(key, None)
                self.ephemerals = [e for e in self.ephemerals if e.ts != target.message_ts]
            elif body.get("replace_original") and target.message_ts:
                shown = {k: v for k, v in body.items() if k != "replace_original"}
                if target.ephemeral:
                    self.ephemerals = [
                        Ephemeral(e.user, e.channel, e.ts, shown)
                        if e.ts == target.message_ts
                        else e
                        for e in self.ephemerals
                    ]
                elif key in self.messages:
                    self.messages[key] = {"user": self.bot_user_id, **shown}
            elif body.get("response_type") == "in_channel":
                self.messages[(target.channel, self._new_ts())] = {
                    "user": self.bot_user_id,
                    **body,
                }
            else:
                self.ephemerals.append(Ephemeral(target.user, target.channel, self._new_ts(), body))
        self.touch()

    def say_ephemeral(self, user: str, channel: str, body: dict[str, Any]) -> None:
        """A message only `user` sees, as Slack shows an app's answer to a slash command."""
        with self._lock:
            self.ephemerals.append(Ephemeral(user, channel, self._new_ts(), body))
        self.touch()

    # --- views ---------------------------------------------------------------------------------

    def _take_trigger(self, body: dict[str, Any]) -> tuple[Screen | None, str | None]:
        """(where the trigger's modal opens: its person and client, an error) for a trigger id,
        used up as Slack does."""
        trigger = str(body.get("trigger_id") or "")
        with self._lock:
            issued = self.triggers.pop(trigger, None)
            screen = self.trigger_screens.pop(trigger, None)
        if issued is None:
            return None, "invalid_trigger_id" if not trigger else "exchanged_trigger_id"
        if time.monotonic() - issued > TRIGGER_SECONDS:
            return None, "expired_trigger_id"
        return screen, None

    def _open(self, body: dict[str, Any]) -> Answer | str:
        screen, error = self._take_trigger(body)
        if error:
            return error
        answer = self._keep_view(body, f"V{next(self._ts)}")
        if screen and not isinstance(answer, str):
            with self._lock:
                self.modals[screen] = [answer["view"]["id"]]
        return answer

    def _push(self, body: dict[str, Any]) -> Answer | str:
        screen, error = self._take_trigger(body)
        if error:
            return error
        with self._lock:
            stack = self.modals.get(screen, []) if screen else []
            if screen and not stack:
                return "not_found"  # no modal open to push onto
            if len(stack) >= MAX_MODAL_STACK:
                return "push_limit_reached"
        answer = self._keep_view(body, f"V{next(self._ts)}")
        if screen and not isinstance(answer, str):
            with self._lock:
                self.modals[screen] = [*stack, answer["view"]["id"]]
        return answer

    def _publish(self, body: dict[str, Any]) -> Answer | str:
        user = str(body.get("user_id") or "")
        if not user:
            return "invalid_arguments"
        if not self._known_user(user):
            return "user_not_found"
        if self.users and view_of(body).get("type") != "home":
            return "invalid_arguments"
        with self._lock:
            view_id = self.homes.get(user) if self.users else None
        answer = self._keep_view(body, view_id or f"V{next(self._ts)}")
        if not isinstance(answer, str):
            with self._lock:
                self.homes[user] = answer["view"]["id"]
        return answer

    def _update_view(self, body: dict[str, Any]) -> Answer | str:
        view_id = str(body.get("view_id") or "")
        external = str(body.get("external_id") or "")
        with self._lock:
            if not view_id and external:
                view_id = next(
                    (i for i, v in self.views.items() if v.get("external_id") == external), ""
                )
            known = self.views.get(view_id)
        if known is None:
            return "not_found"
        wanted_hash = body.get("hash")
        if wanted_hash and wanted_hash != known.get("hash"):
            return "hash_conflict"
        return self._keep_view(body, view_id)

    def _keep_view(self, body: dict[str, Any], view_id: str) -> Answer | str:
        problem = view_problem(body)
        if problem:
            return problem
        view = {"id": view_id, "hash": f"{time.time():.6f}.{next(self._ts)}", **view_of(body)}
        with self._lock:
            self.views[view_id] = view
        return {"view": view}

    def replace_view(self, view_id: str, view: dict[str, Any]) -> str | None:
        """A modal's view replaced in place (`response_action: update`); an error, or None."""
        with self._lock:
            if view_id not in self.views:
                return "not_found"
        answer = self._keep_view({"view": view}, view_id)
        if isinstance(answer, str):
            return answer
        self.touch()
        return None

    def push_view(self, user: str, view: dict[str, Any], *, client: str = "") -> str | None:
        """A view pushed onto `user`'s modal stack in `client` (`response_action: push`)."""
        with self._lock:
            stack = self.modals.get((user, client), [])
            if len(stack) >= MAX_MODAL_STACK:
                return "push_limit_reached"
        answer = self._keep_view({"view": view}, f"V{next(self._ts)}")
        if isinstance(answer, str):
            return answer
        with self._lock:
            self.modals[(user, client)] = [*stack, answer["view"]["id"]]
        self.touch()
        return None

    def close_view(self, user: str, *, client: str = "", all_views: bool = False) -> None:
        """The top modal of `user` in `client` closed (or the whole stack: `response_action:
        clear`)."""
        with self._lock:
            stack = self.modals.pop((user, client), [])
            if stack[:-1] and not all_views:
                self.modals[(user, client)] = stack[:-1]
        self.touch()

    def conversation(
        self, channel: str, user: str
    ) -> tuple[list[tuple[str, dict[str, Any]]], list[Ephemeral]]:
        """A channel's messages (ts, body) and the ephemeral ones `user` sees there, as now."""
        with self._lock:
            messages = [(ts, dict(b)) for (c, ts), b in self.messages.items() if c == channel]
            mine = [e for e in self.ephemerals if e.channel == channel and e.user == user]
        return messages, mine

    def modal_stack(self, user: str, client: str = "") -> list[str]:
        """The view ids of the modals open for `user` in `client`, the top last."""
        with self._lock:
            return list(self.modals.get((user, client), []))

    def top_view(self, user: str, client: str = "") -> dict[str, Any] | None:
        """The modal `user` sees on top in `client` (None: no modal open there)."""
        with self._lock:
            stack = self.modals.get((user, client)) or []
            return self.views.get(stack[-1]) if stack else None

    def home_of(self, user: str) -> dict[str, Any] | None:
        with self._lock:
            view_id = self.homes.get(user)
            return self.views.get(view_id) if view_id else None
