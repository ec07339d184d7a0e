"""The operator's routes in front of the Slack endpoint: GET /healthz, /readyz and /metrics. Each
Slack request gets a request id (in every log record made for it) and is measured: its kind,
its outcome and how long its acknowledgement took."""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING, Any

from paybot.http_limits import NOTE
from paybot.ops import logs, metrics
from paybot.ops.health import Health

if TYPE_CHECKING:
    from collections.abc import Iterable
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

    from paybot.container import Container

log = logging.getLogger("paybot.http")

# A Slack request's id, on its answer: the access line shows it beside the request's log lines.
REQUEST_ID_HEADER = "X-Request-Id"


def with_ops(slack: WSGIApplication, *, parts: Container, path: str) -> WSGIApplication:
    """`slack` (answering POST `path`) behind the operator's routes."""
    return OpsRoutes(slack, parts=parts, path=path)


class OpsRoutes:
    """WSGI: /healthz, /readyz and /metrics answered here; the rest goes to the Slack app."""

    def __init__(self, slack: WSGIApplication, *, parts: Container, path: str) -> None:
        self._slack, self._parts, self._path = slack, parts, path
        self._health = Health(parts.engine, parts.clock)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        route = environ.get("PATH_INFO") or "/"
        if route in ("/healthz", "/readyz", "/metrics"):
            if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
                return _answer(
                    start_response, "405 Method Not Allowed", b"GET only\n", "text/plain"
                )
            if route == "/metrics":
                return self._metrics(start_response)
            return self._healthz(start_response, ready_only=route == "/readyz")
        if route != self._path:
            return self._slack(environ, start_response)
        return self._slack_request(environ, start_response)

    def _healthz(self, start_response: StartResponse, *, ready_only: bool) -> list[bytes]:
        report = self._health.probe()
        if ready_only:
            report = report.readiness()
        status = "200 OK" if report.healthy else "503 Service Unavailable"
        body = json.dumps(report.body()).encode()
        return _answer(start_response, status, body, "application/json", cache=False)

    def _metrics(self, start_response: StartResponse) -> list[bytes]:
        body, content_type = metrics.render(self._parts.engine, self._parts.clock)
        return _answer(start_response, "200 OK", body, content_type, cache=False)

    def _slack_request(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        """The Slack app's answer, with a request id set while it runs, measured."""
        note: dict[str, str] = {}
        environ[NOTE] = note  # the gate (http_limits.SlackGate) says there what it let through
        answered: list[str] = []

        request_id = logs.new_request_id()

        def recording(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answered.append(status)
            # The access line (gunicorn_app.ACCESS_FORMAT) reads the id from the answer's header.
            return start_response(status, [*headers, (REQUEST_ID_HEADER, request_id)], exc_info)

        token = logs.REQUEST_ID.set(request_id)
        started = time.perf_counter()
        try:
            return self._slack(environ, recording)
        except BaseException:
            answered.append("500")
            raise
        finally:
            seconds = time.perf_counter() - started
            logs.REQUEST_ID.reset(token)
            kind = note.get("kind", "unknown")
            outcome = note.get("refused") or _status_class(answered[-1] if answered else "")
            metrics.observe_request(kind, outcome, seconds)


def _status_class(status: str) -> str:
    code = status.split(" ", 1)[0]
    return f"{code[0]}xx" if code[:1].isdigit() else "none"


def _answer(
    start_response: StartResponse,
    status: str,
    body: bytes,
    content_type: str,
    *,
    cache: bool = True,
) -> list[bytes]:
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    if not cache:
        headers.append(("Cache-Control", "no-store"))
    start_response(status, headers)
    return [body]
