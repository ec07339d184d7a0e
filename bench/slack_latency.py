"""Benchmark: how fast paybot acknowledges Slack when 20 people click at once, on PostgreSQL.

Slack wants every request answered within 3 s; paybot's target is a p99 under 300 ms. The bench
runs paybot as in production: `paybot serve --port P` in a child process (HTTP mode: gunicorn's
master and its threaded "gthread" workers, paybot/gunicorn_app.py, each with its PostgreSQL pool
of make_engine and a candidacy for the scheduled jobs; stopped with SIGTERM, as gunicorn stops),
against a throwaway PostgreSQL database `paybot_bench_<random>` (created on --postgres, dropped
WITH (FORCE) afterwards) and a local Slack Web API (paybot.sandbox FakeSlackServer, in this
process, as Slack is in another). The data: one company, N supplier payments (proposals) shown
on cards of 15 in a channel (so every action updates a card lazily, as in production), 20
approvers, and 20 signers per round with an enrolled authenticator (a signer may use one code
per 30 s, so each round has its own 20).

Each round, for each kind in turn, 20 threads wait on a barrier and then send one signed request
each, as Slack would (once paybot has finished the card updates and Home tabs of the burst
before; with --back-to-back at once, a harder load: 100 people within a few seconds):

  approve  an Approve click on a card, each on a different proposal
  search   `/bank search QUERY` (payee words, amounts, statuses; answered in the ack)
  status   `/bank status`
  home     an app_home_opened event (Home tab)
  sign     a Sign modal submitted with the right code for a different approved payment

The figure is the time from sending the request to having read paybot's HTTP answer (the ack),
per kind: count, median, p99 (nearest rank), max, and PASS/FAIL against p99 < 300 ms; the same
for the rounds after the first; and the slowest answer of each round. The first burst meets a
just-started server: its statements are compiled already (gunicorn's master warms up before it
forks, serving.warm_up), but a worker may still be opening its connections, and the scheduler
runs every job at once as it starts, so the first round is the slowest still. The lazy work
after the acks (card updates, Home tabs) is waited for and counted, and the database is checked
(every acked Approve approved, every acked Sign signed). Figures only: the exit code is 0
whether the target is met or not.

  .venv/bin/python bench/slack_latency.py
  .venv/bin/python bench/slack_latency.py --users 20 --rounds 5 --payments 2000 \\
      --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
  .venv/bin/python bench/slack_latency.py --kinds sign --users 5 --log /tmp/serve.log
  .venv/bin/python bench/slack_latency.py --workers 2 --threads 8 --back-to-back
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import math
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from importlib.metadata import version as package_version
from pathlib import Path
from statistics import median
from typing import Any

import pyotp
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from stdnum import luhn
from stdnum.no import kontonr, orgnr

from paybot.core.ledger_file import OpenItemRow, SupplierRow
from paybot.core.otp import code_at
from paybot.core.payments import Flag, ReferenceType
from paybot.core.policy import Role
from paybot.core.states import PaymentStatus
from paybot.sandbox.slack_api import FakeSlack
from paybot.sandbox.slack_http import FakeSlackServer
from paybot.services import companies, ledger, otp, payments, people, proposals, slack_records
from paybot.services.common import ActorRef
from paybot.services.secrets import SecretBox
from paybot.store import db
from paybot.store.uow import UnitOfWork

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("approve", "search", "status", "home", "sign")
TARGET_P99 = 0.300
SECRET = "bench-signing-secret"
CHANNEL = "C0PAYMENTS"
ORG_NO = "974760673"
COMPANY_ACCOUNT = "86011117947"
PER_CARD = 15  # payments per posted message (3 blocks each, within Slack's 50)
BANK_PREFIXES = ("1503", "1202", "9710", "3000", "1506", "6011")
WORDS = ("Nordic", "Fjord", "Bygg", "Elektro", "Rør", "Transport", "Maskin", "Data", "Lys", "Vei")
SEARCHES = (
    "amount:>10000",
    "amount:<500",
    "status:proposed",
    "status:approved",
    "Fjord",
    "Bygg Transport",
    "currency:NOK amount:>2500",
)


@dataclass
class Seed:
    """What the bench made: users, the payments to act on, and the card showing each."""

    approvers: list[ActorRef]
    signers: list[list[ActorRef]]  # per round
    secrets: dict[str, str]  # signer's Slack id -> authenticator secret
    to_approve: list[int]
    to_sign: list[int]
    card_of: dict[int, str]  # payment id -> ts of the message showing it
    everything: list[int]  # every proposal's id


@dataclass
class Sample:
    kind: str
    round: int
    seconds: float
    ok: bool
    problem: str = ""


@dataclass
class Results:
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)


# --- the database ----------------------------------------------------------------------------


@contextmanager
def throwaway_database(admin_url: str) -> Iterator[str]:
    """A new, migrated database on the server of `admin_url`, dropped afterwards."""
    admin = create_engine(make_url(admin_url), isolation_level="AUTOCOMMIT")
    name = f"paybot_bench_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        engine = db.make_engine(url)
        db.upgrade(engine)
        engine.dispose()
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _with_check_digit(rng: random.Random, prefix: str, length: int, valid: Any) -> str:
    while True:
        body = prefix + "".join(rng.choices("0123456789", k=length - len(prefix) - 1))
        for digit in "0123456789":
            if valid(body + digit):
                return body + digit


def seed(url: str, box: SecretBox, *, users: int, rounds: int, count: int, rng_seed: int) -> Seed:
    """The company, its people, N proposals (the sign ones approved already)."""
    rng = random.Random(rng_seed)
    engine = db.make_engine(url)
    uow = UnitOfWork(engine)
    now = datetime.now(UTC)
    companies.add_company(
        uow, org_no=ORG_NO, name="Bench Bygg AS", account=COMPANY_ACCOUNT, bank="DNB", now=now
    )
    approvers = [ActorRef(f"U0APPR{i:03d}") for i in range(users)]
    signers = [[ActorRef(f"U0SIGN{r:02d}{i:03d}") for i in range(users)] for r in range(rounds)]
    for who in approvers:
        people.add_user(
            uow,
            company_org_no=ORG_NO,
            slack_user_id=who.slack_user_id,
            name=f"Approver {who.slack_user_id[-3:]}",
            roles=[Role.APPROVER],
            now=now,
        )
    secrets: dict[str, str] = {}
    enrolled_at = now - timedelta(minutes=5)  # an old step: today's codes are all still unused
    for who in (s for round_ in signers for s in round_):
        people.add_user(
            uow,
            company_org_no=ORG_NO,
            slack_user_id=who.slack_user_id,
            name=f"Signer {who.slack_user_id[-5:]}",
            roles=[Role.SIGNER],
            now=now,
        )
        enrollment = otp.enroll(uow, box, company_org_no=ORG_NO, user=who, now=enrolled_at)
        secret = pyotp.parse_uri(enrollment.uri).secret
        otp.confirm(uow, box, user=who, code=code_at(secret, enrolled_at), now=enrolled_at)
        secrets[who.slack_user_id] = secret

    suppliers = []
    for index in range(max(20, count // 20)):
        name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {index} AS"
        org_no = _with_check_digit(rng, rng.choice("89"), 9, orgnr.is_valid)
        account = _with_check_digit(rng, rng.choice(BANK_PREFIXES), 11, kontonr.is_valid)
        suppliers.append(SupplierRow(line=index + 2, name=name, org_no=org_no, account=account))
    items = []
    for index in range(count):
        supplier = rng.choice(suppliers)
        body = f"{index:07d}{rng.randint(0, 999):03d}"
        items.append(
            OpenItemRow(
                line=index + 2,
                voucher_no=str(100000 + index),
                invoice_no=f"F-{200000 + index}",
                supplier_name=supplier.name,
                supplier_org_no=supplier.org_no,
                account=supplier.account,
                amount=Decimal(f"{min(rng.lognormvariate(8.0, 1.2), 900_000):.2f}"),
                currency="NOK",
                invoice_date=date(2026, 11, 1),
                due_date=date(2026, 12, 1) + timedelta(days=rng.randint(0, 20)),
                reference_type=ReferenceType.KID,
                reference=body + luhn.calc_check_digit(body),
            )
        )
    ledger.import_suppliers(uow, company_org_no=ORG_NO, source="s.csv", rows=suppliers, now=now)
    ledger.import_open_items(uow, company_org_no=ORG_NO, source="i.csv", rows=items, now=now)
    proposals.refresh(uow, company_org_no=ORG_NO, now=now)
    found = proposals.list_payments(uow, company_org_no=ORG_NO, statuses=[PaymentStatus.PROPOSED])
    blue = [p.id for p in found if p.flag is Flag.BLUE]
    needed = users * rounds
    if len(blue) < 2 * needed:
        raise SystemExit(f"only {len(blue)} blue proposals; need {2 * needed} (raise --payments)")
    to_approve, to_sign = blue[:needed], blue[needed : 2 * needed]
    for start in range(0, needed, 50):
        chunk = to_sign[start : start + 50]
        payments.approve(uow, actor=approvers[0], payment_ids=chunk, now=now)
    engine.dispose()
    return Seed(approvers, signers, secrets, to_approve, to_sign, {}, [p.id for p in found])


def post_cards(
    url: str, fake: FakeSlackServer, everything: list[int], now: datetime
) -> dict[int, str]:
    """Posts the proposals in messages of PER_CARD to the fake, remembered as the daily post
    remembers them (so an action updates its card)."""
    engine = db.make_engine(url)
    uow = UnitOfWork(engine)
    card_of: dict[int, str] = {}
    for start in range(0, len(everything), PER_CARD):
        ids = everything[start : start + PER_CARD]
        status, answer = fake.slack.answer(
            "chat.postMessage", {"channel": CHANNEL, "text": "Proposals"}, fake.slack.token
        )
        assert status == 200 and answer["ok"], answer
        ts = str(answer["ts"])
        slack_records.record_message(
            uow,
            company_org_no=ORG_NO,
            kind="proposals",
            channel=CHANNEL,
            ts=ts,
            thread_ts=None,
            intro=[],
            payment_ids=ids,
            now=now,
        )
        card_of |= dict.fromkeys(ids, ts)
    engine.dispose()
    return card_of


# --- paybot serve ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def paybot_serve(
    url: str,
    key: str,
    fake: FakeSlackServer,
    log: Path,
    workers: int | None = None,
    threads: int | None = None,
) -> Iterator[str]:
    """`paybot serve` in HTTP mode in a child process; yields its /slack/events URL."""
    port = _free_port()
    env = {
        **os.environ,
        "PAYBOT_DATABASE_URL": url,
        "PAYBOT_SECRET_KEY": key,
        "PAYBOT_SLACK_API_URL": fake.url,
        "SLACK_BOT_TOKEN": fake.slack.token,
        "SLACK_SIGNING_SECRET": SECRET,
    }
    env.pop("SLACK_APP_TOKEN", None)
    with log.open("wb") as output:
        child = subprocess.Popen(
            [sys.executable, "-m", "paybot", "serve", "--port", str(port)]
            + ([] if workers is None else ["--workers", str(workers)])
            + ([] if threads is None else ["--threads", str(threads)]),
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    endpoint = f"http://127.0.0.1:{port}/slack/events"
    try:
        deadline = time.monotonic() + 60
        while True:
            if child.poll() is not None:
                raise SystemExit(f"paybot serve stopped:\n{log.read_text()[-3000:]}")
            try:
                status = _post(endpoint, "{}", "application/json", sign=False)[0]
                if status == 401:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"paybot serve did not answer:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        yield endpoint
    finally:
        # gunicorn's graceful stop: the workers finish their requests and the work after them.
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=60)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


# --- Slack's requests --------------------------------------------------------------------------


def _post(url: str, body: str, content_type: str, *, sign: bool = True) -> tuple[int, str, float]:
    """Sends a request as Slack does; (status, answer, seconds from sending to the answer)."""
    timestamp = str(int(time.time()))
    headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": timestamp}
    if sign:
        base = f"v0:{timestamp}:{body}".encode()
        digest = hmac.new(SECRET.encode(), base, hashlib.sha256).hexdigest()
        headers["X-Slack-Signature"] = f"v0={digest}"
    request = urllib.request.Request(url, body.encode(), headers, method="POST")
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = response.read().decode()
            return response.status, answer, time.perf_counter() - started
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), time.perf_counter() - started


Request = tuple[str, str, Callable[[int, str], str]]  # body, content type, check -> problem


def _interaction(payload: dict[str, Any]) -> str:
    return "payload=" + urllib.parse.quote(json.dumps(payload))


def _empty_ok(status: int, answer: str) -> str:
    return "" if status == 200 else f"HTTP {status} {answer[:200]}"


def _ephemeral(status: int, answer: str) -> str:
    if status != 200:
        return f"HTTP {status} {answer[:200]}"
    return "" if json.loads(answer).get("response_type") == "ephemeral" else answer[:200]


def _signed(status: int, answer: str) -> str:
    if status != 200:
        return f"HTTP {status} {answer[:200]}"
    data = json.loads(answer) if answer.strip() else {}
    return "" if data.get("response_action") == "update" else answer[:300]


def approve_click(
    fake: FakeSlackServer, who: ActorRef, payment_id: int, ts: str, n: int
) -> Request:
    payload = {
        "type": "block_actions",
        "user": {"id": who.slack_user_id, "team_id": ""},
        "team": {"id": ""},
        "api_app_id": "A0PAYBOT",
        "trigger_id": fake.slack.new_trigger(),
        "container": {
            "type": "message",
            "channel_id": CHANNEL,
            "message_ts": ts,
            "is_ephemeral": False,
        },
        "channel": {"id": CHANNEL},
        "message": {"ts": ts, "text": ""},
        "response_url": fake.response_url(f"approve-{n}"),
        "actions": [
            {
                "type": "button",
                "action_id": "payment.approve",
                "block_id": f"p:{payment_id}:v1",
                "value": str(payment_id),
                "action_ts": str(time.time()),
            }
        ],
    }
    return _interaction(payload), "application/x-www-form-urlencoded", _empty_ok


def bank_command(fake: FakeSlackServer, who: ActorRef, words: str, n: int) -> Request:
    form = urllib.parse.urlencode(
        {
            "command": "/bank",
            "text": words,
            "user_id": who.slack_user_id,
            "team_id": "",
            "channel_id": CHANNEL,
            "response_url": fake.response_url(f"command-{n}"),
            "trigger_id": fake.slack.new_trigger(),
        }
    )
    return form, "application/x-www-form-urlencoded", _ephemeral


def home_opened(who: ActorRef) -> Request:
    body = {
        "type": "event_callback",
        "team_id": "",
        "api_app_id": "A0PAYBOT",
        "event_id": f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(time.time()),
        "event": {"type": "app_home_opened", "user": who.slack_user_id, "tab": "home"},
    }
    return json.dumps(body), "application/json", _empty_ok


def sign_submission(
    fake: FakeSlackServer, who: ActorRef, secret: str, payment_id: int, ts: str
) -> Request:
    code = code_at(secret, datetime.now(UTC))
    payload = {
        "type": "view_submission",
        "user": {"id": who.slack_user_id, "team_id": ""},
        "team": {"id": ""},
        "api_app_id": "A0PAYBOT",
        "trigger_id": fake.slack.new_trigger(),
        "view": {
            "id": f"V{payment_id}",
            "type": "modal",
            "callback_id": "sign",
            "private_metadata": json.dumps(
                {"ids": [payment_id], "lang": "en", "channel": CHANNEL, "ts": ts}
            ),
            "state": {"values": {"code": {"code": {"type": "plain_text_input", "value": code}}}},
        },
    }
    return _interaction(payload), "application/x-www-form-urlencoded", _signed


# --- the run ---------------------------------------------------------------------------------


def burst(endpoint: str, kind: str, round_: int, requests: list[Request], results: Results) -> None:
    """All requests at once (a barrier), one thread each, as a group of people clicking."""
    barrier = threading.Barrier(len(requests))

    def one(request: Request) -> None:
        body, content_type, check = request
        barrier.wait()
        try:
            status, answer, seconds = _post(endpoint, body, content_type)
            problem = check(status, answer)
        except OSError as error:
            seconds, problem = float("nan"), f"{type(error).__name__}: {error}"
        results.add(Sample(kind, round_, seconds, not problem, problem))

    threads = [threading.Thread(target=one, args=(r,)) for r in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def run(
    endpoint: str,
    fake: FakeSlackServer,
    data: Seed,
    *,
    users: int,
    rounds: int,
    kinds: Sequence[str] = KINDS,
    back_to_back: bool = False,
) -> Results:
    results = Results()
    n = 0
    for round_ in range(rounds):
        chunk = slice(round_ * users, (round_ + 1) * users)
        for kind in kinds:
            requests: list[Request] = []
            for i in range(users):
                n += 1
                approver = data.approvers[i]
                if kind == "approve":
                    pid = data.to_approve[chunk][i]
                    requests.append(approve_click(fake, approver, pid, data.card_of[pid], n))
                elif kind == "search":
                    words = "search " + SEARCHES[(i + round_) % len(SEARCHES)]
                    requests.append(bank_command(fake, approver, words, n))
                elif kind == "status":
                    requests.append(bank_command(fake, approver, "status", n))
                elif kind == "home":
                    requests.append(home_opened(approver if i % 2 else data.signers[0][i]))
                else:
                    signer = data.signers[round_][i]
                    pid = data.to_sign[chunk][i]
                    secret = data.secrets[signer.slack_user_id]
                    requests.append(sign_submission(fake, signer, secret, pid, data.card_of[pid]))
            if not back_to_back:
                drain(fake.slack, results)  # the last burst's card updates and Home tabs are done
            burst(endpoint, kind, round_, requests, results)
    return results


def drain(fake: FakeSlack, results: Results, limit: float = 120.0) -> float:
    """Seconds until the lazy work after the acks is done: a card update for every acked Approve
    and Sign, a Home tab for every acked Home open (or `limit`)."""
    ok = Counter(s.kind for s in results.samples if s.ok)
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if (
            len(fake.calls_to("chat.update")) >= ok["approve"] + ok["sign"]
            and len(fake.calls_to("views.publish")) >= ok["home"]
        ):
            break
        time.sleep(0.05)
    return time.monotonic() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _slowest_per_round(samples: list[Sample]) -> list[float]:
    rounds = sorted({s.round for s in samples})
    return [max((s.seconds for s in samples if s.ok and s.round == r), default=0.0) for r in rounds]


def _verdict(p99: float, failed: list[Sample]) -> str:
    return "PASS" if p99 < TARGET_P99 and not failed else "FAIL"


def report(results: Results, fake: FakeSlack, url: str, data: Seed, drained: float) -> None:
    print(
        f"{'kind':<8} {'count':>5} {'median':>9} {'p99':>9} {'max':>9}  target p99 < 300 ms"
        f"{'':7}{'warm p99':>9}  (rounds after the first)"
    )
    for kind in dict.fromkeys(s.kind for s in results.samples):
        samples = [s for s in results.samples if s.kind == kind]
        times = [s.seconds for s in samples if s.ok]
        failed = [s for s in samples if not s.ok]
        if not times:
            print(f"{kind:<8} {len(samples):>5}  no answer ok  FAIL")
            continue
        warm = [s.seconds for s in samples if s.ok and s.round > 0] or times
        p99, warm_p99 = percentile(times, 0.99), percentile(warm, 0.99)
        print(
            f"{kind:<8} {len(samples):>5} {median(times) * 1000:>7.1f}ms {p99 * 1000:>7.1f}ms "
            f"{max(times) * 1000:>7.1f}ms  {_verdict(p99, failed)}{'':17}"
            f"{warm_p99 * 1000:>7.1f}ms  {_verdict(warm_p99, failed)}"
            + (f"  ({len(failed)} not ok: {failed[0].problem})" if failed else "")
            + "  slowest per round: "
            + " ".join(f"{slowest * 1000:.0f}" for slowest in _slowest_per_round(samples))
        )
    engine = db.make_engine(url)
    uow = UnitOfWork(engine)
    everything = {p.id: p.status for p in proposals.list_payments(uow, company_org_no=ORG_NO)}
    engine.dispose()
    approved = sum(everything[p] is PaymentStatus.APPROVED for p in data.to_approve)
    signed = sum(
        everything[p] not in (PaymentStatus.PROPOSED, PaymentStatus.APPROVED) for p in data.to_sign
    )
    counts = {m: len(fake.calls_to(m)) for m in ("chat.update", "views.publish", "response_url")}
    print(
        f"after the acks: {approved}/{len(data.to_approve)} approved, "
        f"{signed}/{len(data.to_sign)} signed; the lazy work was done {drained:.1f} s after "
        f"the last answer: {counts['chat.update']} card updates, "
        f"{counts['views.publish']} Home tabs, {counts['response_url']} ephemeral answers, "
        f"{len(fake.ratelimited)} calls answered 429"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20, help="people clicking at once")
    parser.add_argument("--rounds", type=int, default=5, help="bursts of each kind")
    parser.add_argument("--payments", type=int, default=2000, help="proposals in the database")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "PAYBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
        help="a PostgreSQL URL whose server gets the throwaway database",
    )
    parser.add_argument("--log", type=Path, help="keep the output of paybot serve here")
    parser.add_argument("--workers", type=int, help="paybot serve --workers (default: one per CPU)")
    parser.add_argument(
        "--threads", type=int, help="paybot serve --threads (default: PAYBOT_THREADS)"
    )
    parser.add_argument(
        "--back-to-back",
        action="store_true",
        help="send each burst as soon as the last is answered, while paybot is still updating "
        "cards and Home tabs for it (by default a burst waits until that work is done)",
    )
    parser.add_argument(
        "--kinds", nargs="+", choices=KINDS, default=list(KINDS), help="only these kinds"
    )
    args = parser.parse_args()
    key = SecretBox.new_key()
    with throwaway_database(args.postgres) as url, tempfile.TemporaryDirectory() as tmp:
        setup_started = time.perf_counter()
        data = seed(
            url,
            SecretBox(key),
            users=args.users,
            rounds=args.rounds,
            count=args.payments,
            rng_seed=args.seed,
        )
        with FakeSlackServer() as fake:
            acted_on = {*data.to_approve, *data.to_sign}
            cards = sorted(acted_on) + [p for p in data.everything if p not in acted_on]
            data.card_of = post_cards(url, fake, cards, datetime.now(UTC))
            setup = time.perf_counter() - setup_started
            # The seed's fresh rows would have autovacuum analyse the tables mid-run (as a
            # database in use has long done): done now, outside the measurement.
            engine = create_engine(make_url(url), isolation_level="AUTOCOMMIT")
            with engine.connect() as connection:
                connection.execute(text("VACUUM ANALYZE"))
                server = connection.execute(text("SHOW server_version")).scalar()
            engine.dispose()
            print(
                f"paybot Slack ack latency: PostgreSQL {server}, slack-bolt "
                f"{package_version('slack-bolt')}, Python {sys.version.split()[0]}, "
                f"{os.cpu_count()} CPUs; "
                f"{args.users} people at once x {args.rounds} rounds per kind"
                f"{', back to back' if args.back_to_back else ''}; "
                f"{len(data.everything)} proposals on {len(set(data.card_of.values()))} cards "
                f"(setup {setup:.1f} s)"
            )
            log = args.log or Path(tmp) / "serve.log"
            with paybot_serve(url, key, fake, log, args.workers, args.threads) as endpoint:
                results = run(
                    endpoint,
                    fake,
                    data,
                    users=args.users,
                    rounds=args.rounds,
                    kinds=args.kinds,
                    back_to_back=args.back_to_back,
                )
                drained = drain(fake.slack, results)
                report(results, fake.slack, url, data, drained)
            errors = [line for line in log.read_text().splitlines() if "Error" in line]
            if errors:
                print(f"paybot serve logged {len(errors)} error line(s), e.g. {errors[0][:300]}")


if __name__ == "__main__":
    main()
