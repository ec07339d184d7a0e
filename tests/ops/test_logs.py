"""paybot's log lines: a level name always; one JSON object per line when asked; a request id on
every record made for a Slack request, also on its lazy listener's thread; an audit line per
service outcome; and never a one-time code, a secret or a request body."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import re
import threading
import urllib.parse
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from slack_bolt import Ack

from paybot.config import Settings
from paybot.core.errors import InvalidOtp, NotPermitted
from paybot.core.otp import code_at
from paybot.ops import logs
from paybot.services import otp
from paybot.services.common import ActorRef, record_refusal, resolve_actor
from paybot.store.uow import UnitOfWork
from tests.builders import BOX, NOW, SIGNER, a_company, an_item, ledger_with, sign_with
from tests.ops.conftest import OpsEndpoint

PROBE = "tests.ops.logs"


class Lines:
    """Everything written through one handler made like `configure`'s, as text lines."""

    def __init__(self, log_format: str) -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(logs.formatter("json" if log_format == "json" else "text"))
        self.handler.addFilter(logs.RequestIdFilter())

    def text(self) -> str:
        return self.stream.getvalue()

    def json(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text().splitlines()]


@pytest.fixture
def json_lines() -> Iterator[Lines]:
    lines = Lines("json")
    root = logging.getLogger()
    level = root.level
    root.addHandler(lines.handler)
    root.setLevel(logging.DEBUG)
    yield lines
    root.removeHandler(lines.handler)
    root.setLevel(level)


def record(message: str, *args: object, level: int = logging.INFO) -> logging.LogRecord:
    return logging.LogRecord(PROBE, level, __file__, 1, message, args, None)


def test_text_lines_have_the_level_name_and_the_request_id_when_there_is_one() -> None:
    formatter, stamp = logs.TextFormatter(), logs.RequestIdFilter()
    plain = record("no request here", level=logging.WARNING)
    stamp.filter(plain)
    assert re.fullmatch(
        r"\S+ \S+ WARNING tests\.ops\.logs no request here", formatter.format(plain)
    )
    token = logs.REQUEST_ID.set("abc123")
    try:
        inside = record("in a request")
        stamp.filter(inside)
    finally:
        logs.REQUEST_ID.reset(token)
    assert formatter.format(inside).endswith("INFO tests.ops.logs in a request request_id=abc123")


def test_json_lines_carry_time_level_logger_message_and_request_id() -> None:
    formatter, stamp = logs.JsonLineFormatter(), logs.RequestIdFilter()
    token = logs.REQUEST_ID.set("abc123")
    try:
        inside = record("paid %s of %s", 2, 3)
        stamp.filter(inside)
    finally:
        logs.REQUEST_ID.reset(token)
    line = json.loads(formatter.format(inside))
    assert line == {
        "time": line["time"],
        "level": "INFO",
        "logger": PROBE,
        "message": "paid 2 of 3",
        "request_id": "abc123",
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["time"])
    outside = record("quiet")
    stamp.filter(outside)
    assert "request_id" not in json.loads(formatter.format(outside))


def test_settings_take_the_log_format_and_level_in_any_case() -> None:
    settings = Settings(log_format="JSON", log_level="debug")  # type: ignore[arg-type]
    assert (settings.log_format, settings.log_level) == ("json", "DEBUG")
    with pytest.raises(ValueError):
        Settings(log_format="xml")  # type: ignore[arg-type]


def test_configure_json_writes_one_object_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        logs.configure("json", "INFO")
        logging.getLogger(PROBE).info("hello %s", "world")
        logging.getLogger(PROBE).debug("not at INFO")
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(line["level"], line["message"]) for line in lines] == [("INFO", "hello world")]


def test_gunicorn_error_and_access_logs_go_through_the_same_formatter(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    saved_root = (root.handlers[:], root.level)
    named = [logging.getLogger(name) for name in ("gunicorn.error", "gunicorn.access")]
    saved = [(log.handlers[:], log.level, log.propagate) for log in named]
    try:
        logging.config.dictConfig(logs.gunicorn_logconfig("json"))
        logging.getLogger("gunicorn.error").info("Booting worker with pid: %s", 42)
        logging.getLogger("gunicorn.access").info('"GET /healthz HTTP/1.1" 200')
    finally:
        root.handlers[:] = saved_root[0]
        root.setLevel(saved_root[1])
        for log, (handlers, level, propagate) in zip(named, saved, strict=True):
            log.handlers[:], log.propagate = handlers, propagate
            log.setLevel(level)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(line["logger"], line["message"]) for line in lines] == [
        ("gunicorn.error", "Booting worker with pid: 42"),
        ("gunicorn.access", '"GET /healthz HTTP/1.1" 200'),
    ]


def test_a_context_executor_runs_tasks_in_the_submitters_context() -> None:
    executor = logs.context_executor(2, thread_name_prefix="lazy")
    token = logs.REQUEST_ID.set("from-request")
    try:
        inside = executor.submit(logs.REQUEST_ID.get)
    finally:
        logs.REQUEST_ID.reset(token)
    outside = executor.submit(logs.REQUEST_ID.get)
    assert (inside.result(timeout=10), outside.result(timeout=10)) == ("from-request", None)
    executor.shutdown()


def test_a_slack_request_and_its_lazy_listener_log_with_one_request_id(
    ops_endpoint: OpsEndpoint, json_lines: Lines
) -> None:
    done = threading.Event()
    log = logging.getLogger(PROBE)

    def ack_it(ack: Ack) -> None:
        log.info("acknowledged")
        ack()

    def later(body: dict[str, Any]) -> None:
        log.info("lazy work on %s", threading.current_thread().name)
        done.set()

    ops_endpoint.app.command("/opstest")(ack=ack_it, lazy=[later])
    for _ in range(2):
        done.clear()
        assert ops_endpoint.command(SIGNER.slack_user_id, "x", command="/opstest")[0] == 200
        assert done.wait(timeout=30)
    ours = [line for line in json_lines.json() if line["logger"] == PROBE]
    assert [line["message"].split(" on ")[0] for line in ours] == [
        "acknowledged",
        "lazy work",
    ] * 2
    assert ours[1]["message"].startswith("lazy work on lazy")  # another thread
    first, second = ours[0]["request_id"], ours[2]["request_id"]
    assert ours[1]["request_id"] == first and ours[3]["request_id"] == second
    assert first != second


def test_each_audit_event_is_one_info_line(uow: UnitOfWork, json_lines: Lines) -> None:
    a_company(uow, with_people=False)
    record_refusal(
        uow,
        actor=ActorRef("UNOBODY"),
        action="sign",
        payment_ids=[999],
        error=NotPermitted("You typed 424242, which is wrong."),
        now=NOW,
    )
    audit = [line for line in json_lines.json() if line["logger"] == "paybot.audit"]
    assert [line["action"] for line in audit] == ["company.add", "payment.refused"]
    added, refused = audit
    assert added["level"] == "INFO" and added["actor"] == "paybot"
    assert isinstance(added["company_id"], int)
    assert refused["message"] == "UNOBODY: payment.refused (sign refused: not_permitted)"
    assert "424242" not in json_lines.text()


def test_no_code_secret_or_body_reaches_a_log_line(
    ops_endpoint: OpsEndpoint, uow: UnitOfWork, json_lines: Lines
) -> None:
    phone = a_company(uow)
    assert phone is not None
    payments = ledger_with(uow, [an_item()])
    sign_with(uow, phone, [next(iter(payments.values())).id])
    # The codes the phone gave: to confirm the device, then to sign.
    codes = [code_at(phone.secret, NOW + timedelta(seconds=30 * k)) for k in (1, 2)]
    codes.append("975310")  # and a wrong one
    with uow, pytest.raises(InvalidOtp):
        otp.use_code(uow, BOX, resolve_actor(uow, SIGNER), codes[-1], NOW + timedelta(minutes=5))
    marker = "body-marker-7f3a91"
    assert ops_endpoint.command(SIGNER.slack_user_id, f"search {marker}")[0] == 200
    assert ops_endpoint.command(SIGNER.slack_user_id, marker, sign=False)[0] == 401
    assert ops_endpoint.post(urllib.parse.urlencode({"payload": "{" + marker}))[0] == 400
    written = json_lines.text()
    assert "payment.sign" in written and "otp.failure" in written  # both were logged
    # At every level: Bolt's DEBUG lines would quote the answers it sends.
    assert marker not in written
    assert phone.secret not in written
    for code in codes:
        assert not re.search(rf"\b{code}\b", written), code
