"""`paybot demo`'s one process: a fresh database with the demo company, paybot's Slack app behind
the same WSGI entry point `paybot serve` runs (Bolt's signature check on), the local Slack Web
API, the workspace page, and the scheduled jobs running every few seconds — on one port.

Routes: `/` the page and `/static/…` its files; `/ui/…` what the page asks and does (JSON);
`/api/…`, `/response/…`, `/upload/…` the Slack Web API paybot calls; `/slack/events` (with
`/healthz`, `/readyz`, `/metrics`) paybot itself.
"""

from __future__ import annotations

import json
import logging
import secrets
import shutil
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs
from wsgiref.simple_server import make_server

from jinja2 import Environment, PackageLoader, select_autoescape

from paybot.container import Container
from paybot.core.banking_days import is_banking_day
from paybot.core.company import Language
from paybot.demo import page, seed, strings
from paybot.demo.workspace import ActionRefused, Workspace
from paybot.sandbox.slack_api import FakeSlack
from paybot.sandbox.slack_http import slack_api_wsgi
from paybot.serving import QuietHandler, ThreadingServer, wsgi_app

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

    from paybot.app import PaybotApp
    from paybot.jobs import JobRunner

log = logging.getLogger("paybot.demo")

TOKEN = "xoxb-paybot-demo"
MARKER = ".paybot-demo"
# Time moves fast in the demo: the jobs run every few seconds, a signed payment waits 5 s
# before it goes, and a payment the bank never answers counts as failed after 36 s.
JOB_EVERY = {
    "dispatch_due": timedelta(seconds=2),
    "post_proposals": timedelta(seconds=2),
    "send_alerts": timedelta(seconds=2),
    "poll_returns": timedelta(seconds=2),
    "check_missing_returns": timedelta(seconds=2),
    "post_incoming": timedelta(seconds=2),
}
UNDO_WINDOW_SECONDS = 5
NO_RETURN_HOURS = 0.01
LONG_POLL_SECONDS = 20.0
MAX_UI_BODY = 200_000
STATIC = {
    "workspace.js": "text/javascript",
    "workspace.css": "text/css",
    "blocks.css": "text/css",
}


class FolderRefused(Exception):
    """The folder given holds something else than an earlier demo."""


class StalePage(ActionRefused):
    """A request from a page this run of the demo did not serve (one left open while the demo
    was restarted): the page loads again, as a new client."""


def prepare_folder(folder: Path) -> Path:
    """A folder for a fresh demo: new, empty, or an earlier demo's (which is cleared)."""
    folder = folder.resolve()
    if folder.exists() and any(folder.iterdir()):
        if not (folder / MARKER).exists():
            raise FolderRefused(
                f"{folder} is not empty and holds no earlier demo: give an empty or new folder"
            )
        for entry in folder.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text("a paybot demo: `paybot demo` clears this folder at start\n")
    return folder


def demo_clock(today: datetime | None = None) -> Callable[[], datetime]:
    """The real clock, moved on to the next banking day when today is none (a weekend or a
    holiday), so that the bank answers and banking time passes while a person watches."""
    start = today or datetime.now(UTC)
    days = 0
    while not is_banking_day((start + timedelta(days=days)).date()):
        days += 1
    shift = timedelta(days=days)
    return lambda: datetime.now(UTC) + shift


@dataclass
class Demo:
    """The running demo: `start()` serves it in background threads, `stop()` ends it all."""

    folder: Path
    port: int = 3000
    host: str = "127.0.0.1"
    language: Language = Language.EN
    clock: Callable[[], datetime] = field(default_factory=demo_clock)
    no_return_hours: float = NO_RETURN_HOURS
    slack: FakeSlack = field(init=False)
    parts: Container = field(init=False)
    members: list[page.Member] = field(init=False)
    # A refused submit's field errors, by person and client: (view id, errors).
    _errors: dict[tuple[str, str], tuple[str, dict[str, str]]] = field(default_factory=dict)
    # Every load of the page is a client of its own (as a Slack client is): the ids given out.
    _clients: set[str] = field(default_factory=set)
    _paybot: WSGIApplication | None = None

    def start(self) -> str:
        """Builds everything and starts serving in background threads; returns the URL."""
        self.folder = prepare_folder(self.folder)
        self._server = make_server(self.host, self.port, self._route, ThreadingServer, QuietHandler)
        self.url = f"http://{self.host}:{self._server.server_port}"
        self.slack = FakeSlack(
            token=TOKEN,
            users={
                p.user_id: {"id": p.user_id, "name": p.name, "tz": "Europe/Oslo"}
                for p in seed.PEOPLE
            },
            channels=dict(seed.CHANNELS),
        )
        self.slack.upload_root = f"{self.url}/upload"
        self._slack_api = slack_api_wsgi(self.slack)
        self._templates = Environment(
            loader=PackageLoader("paybot.demo", "templates"), autoescape=select_autoescape()
        )
        # Serving starts now: Bolt asks the Web API (auth.test) while the app is built.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
        )
        self._thread.start()
        signing_secret = secrets.token_hex(16)
        settings = _settings(self.folder, self.url, signing_secret, self.no_return_hours)
        self.parts = Container(settings, clock=self.clock)
        from paybot.store import db

        db.upgrade(self.parts.engine)
        company = seed.seed(
            self.parts, now=self.clock(), language=self.language, team_id=self.slack.team_id
        )
        self.members = [
            page.Member(
                p.user_id,
                p.name,
                strings.title(p.title, self.language),
                company.devices.get(p.user_id),
            )
            for p in seed.PEOPLE
        ]
        self.workspace = Workspace(self.slack, root=self.url, signing_secret=signing_secret)
        self.app = _slack_app(self.parts, signing_secret, f"{self.url}/api/")
        self._paybot = wsgi_app(self.app, self.parts)
        self.jobs = _jobs(self.parts)
        return self.url

    def stop(self) -> None:
        """Stops the jobs, the server and the work after acknowledgements; closes the database."""
        self.jobs.stop(timeout=10)
        self._server.shutdown()
        self._server.server_close()
        self.app.finish_lazy_work(5)
        self.parts.engine.dispose()

    # --- HTTP ----------------------------------------------------------------------------------

    def _route(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        if path.startswith(("/api/", "/response/", "/upload/")):
            return self._slack_api(environ, start_response)
        if self._paybot is None:
            return _answer(start_response, "503 Service Unavailable", b"starting", "text/plain")
        if path.startswith("/ui/"):
            return self._ui(environ, start_response, path.removeprefix("/ui/"))
        if path == "/":
            return self._page(start_response)
        if path.startswith("/static/"):
            return self._static(start_response, path.removeprefix("/static/"))
        return self._paybot(environ, start_response)

    def _page(self, start_response: StartResponse) -> Iterable[bytes]:
        # A new client: no modal is open in it, whatever was left open in another page.
        client = secrets.token_urlsafe(12)
        self._clients.add(client)
        html = self._templates.get_template("workspace.html").render(
            people=self.members,
            first=self.members[0].user_id,
            channel=seed.PROPOSALS_CHANNEL,
            client=client,
            words=strings.page_words(self.language),
        )
        return _answer(start_response, "200 OK", html.encode(), "text/html; charset=utf-8")

    def _static(self, start_response: StartResponse, name: str) -> Iterable[bytes]:
        kind = STATIC.get(name)
        if kind is None:
            return _answer(start_response, "404 Not Found", b"not found", "text/plain")
        data = (Path(__file__).parent / "static" / name).read_bytes()
        return _answer(start_response, "200 OK", data, f"{kind}; charset=utf-8")

    def _ui(
        self, environ: WSGIEnvironment, start_response: StartResponse, what: str
    ) -> Iterable[bytes]:
        try:
            if environ["REQUEST_METHOD"] == "GET" and what == "state":
                query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING") or "").items()}
                answer = self.ui_state(query)
            elif environ["REQUEST_METHOD"] == "POST" and what in _UI_ACTIONS:
                length = int(environ.get("CONTENT_LENGTH") or 0)
                if length > MAX_UI_BODY:
                    raise ActionRefused("the request is too large")
                body = json.loads(environ["wsgi.input"].read(length) or b"{}")
                if not isinstance(body, dict):
                    raise ActionRefused("the request must be a JSON object")
                answer = _UI_ACTIONS[what](self, body)
            else:
                return _answer(start_response, "404 Not Found", b'{"ok": false}', _JSON)
        except StalePage as error:
            data = json.dumps({"ok": False, "error": error.message, "reload": True}).encode()
            return _answer(start_response, "409 Conflict", data, _JSON)
        except (ActionRefused, json.JSONDecodeError, ValueError, KeyError, TypeError) as error:
            said = error.message if isinstance(error, ActionRefused) else f"bad request: {error}"
            data = json.dumps({"ok": False, "error": said}).encode()
            return _answer(start_response, "400 Bad Request", data, _JSON)
        return _answer(start_response, "200 OK", json.dumps({"ok": True, **answer}).encode(), _JSON)

    # --- what the page asks and does --------------------------------------------------------------

    def _member(self, user: object) -> page.Member:
        member = next((m for m in self.members if m.user_id == user), None)
        if member is None:
            raise ActionRefused(f"there is nobody called {user} in this workspace")
        return member

    def _client(self, given: object) -> str:
        """The page's client id as it sent it ("" when it sent none: a caller of the API that
        is no page); one this run never gave out belongs to a page of an earlier run."""
        client = str(given or "")
        if client and client not in self._clients:
            raise StalePage("this page is from an earlier run of the demo: load it again")
        return client

    def ui_state(self, query: dict[str, str]) -> dict[str, Any]:
        """The page's view for one person; with `since`, it waits (long polling) until
        something changed or the signer's code turned."""
        member = self._member(query.get("as"))
        client = self._client(query.get("client"))
        since = int(query.get("since") or -1)
        if since >= 0:
            wait = LONG_POLL_SECONDS
            code = page.code_of(member, self.clock())
            if code:
                wait = min(wait, code["seconds_left"] + 0.05)
            self.slack.wait_change(since, wait)
        conv = query.get("conv") or seed.PROPOSALS_CHANNEL
        top = self.slack.top_view(member.user_id, client)
        shown_for, errors = self._errors.get((member.user_id, client), ("", {}))
        return page.state(
            self.slack,
            self.members,
            user=member.user_id,
            conv=conv,
            now=self.clock(),
            zone=self.parts.zone,
            errors=errors if top and top["id"] == shown_for else {},
            client=client,
            language=self.language,
        )

    def ui_click(self, body: dict[str, Any]) -> dict[str, Any]:
        member = self._member(body.get("as"))
        sent = self.workspace.click(
            member.user_id,
            body.get("container") or {},
            body.get("action") or {},
            body.get("values"),
            client=self._client(body.get("client")),
        )
        return {"status": sent.status}

    def ui_submit(self, body: dict[str, Any]) -> dict[str, Any]:
        member = self._member(body.get("as"))
        client = self._client(body.get("client"))
        view_id = str(body.get("view_id") or "")
        errors = self.workspace.submit(
            member.user_id, view_id, body.get("values") or {}, client=client
        )
        self._errors[(member.user_id, client)] = (view_id, errors)
        self.slack.touch()
        return {"errors": errors}

    def ui_close(self, body: dict[str, Any]) -> dict[str, Any]:
        member = self._member(body.get("as"))
        client = self._client(body.get("client"))
        self.workspace.close(member.user_id, str(body.get("view_id") or ""), client=client)
        return {}

    def ui_command(self, body: dict[str, Any]) -> dict[str, Any]:
        member = self._member(body.get("as"))
        client = self._client(body.get("client"))
        channel = str(body.get("channel") or "")
        if channel == page.HOME or channel not in self.slack.channels:
            channel = f"D{member.user_id}"
            self.slack.channels.setdefault(channel, "paybot")
        self.workspace.command(member.user_id, channel, str(body.get("text") or ""), client=client)
        return {"channel": channel}

    def ui_home(self, body: dict[str, Any]) -> dict[str, Any]:
        member = self._member(body.get("as"))
        self._client(body.get("client"))
        return {"status": self.workspace.open_home(member.user_id).status}


_UI_ACTIONS: dict[str, Callable[[Demo, dict[str, Any]], dict[str, Any]]] = {
    "click": Demo.ui_click,
    "submit": Demo.ui_submit,
    "close": Demo.ui_close,
    "command": Demo.ui_command,
    "home": Demo.ui_home,
}
_JSON = "application/json; charset=utf-8"


def _answer(
    start_response: StartResponse, status: str, data: bytes, content_type: str
) -> Iterable[bytes]:
    start_response(
        status,
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(data))),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
        ],
    )
    return [data]


def _settings(folder: Path, url: str, signing_secret: str, no_return_hours: float) -> Any:
    """The demo's settings, all given here: nothing is read from the environment or a `.env`
    (a PAYBOT_DATABASE_URL of a real install must never reach the demo)."""
    from paybot.config import Settings
    from paybot.services.secrets import SecretBox

    values: dict[str, Any] = {
        "database_url": f"sqlite:///{folder / 'paybot.db'}",
        "secret_key": SecretBox.new_key(),
        "timezone": "Europe/Oslo",
        "files_dir": folder / "files",
        "undo_window_seconds": UNDO_WINDOW_SECONDS,
        "no_return_hours": no_return_hours,
        "lease_check_seconds": 1,
        "schema_dir": None,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": signing_secret,
        "SLACK_APP_TOKEN": None,
        "slack_api_url": f"{url}/api/",
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def _slack_app(parts: Container, signing_secret: str, api_url: str) -> PaybotApp:
    from paybot.app import create_app

    return create_app(token=TOKEN, signing_secret=signing_secret, api_url=api_url, deps=parts.deps)


def _jobs(parts: Container) -> JobRunner:
    from paybot.jobs import JobRunner, scheduler

    return JobRunner(
        parts,
        check_every=1,
        make_scheduler=lambda runner: scheduler(runner.run_job, parts.zone, every=JOB_EVERY),
    ).start()


def default_folder() -> Path:
    """A new temporary folder for a demo."""
    import tempfile

    return Path(tempfile.mkdtemp(prefix="paybot-demo-"))
