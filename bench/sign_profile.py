"""Profile: where the acknowledgement of a submitted Sign modal (and of `/bank search`) spends its
time, in process, on PostgreSQL.

The data of bench/slack_latency.py (its throwaway database and seed) and the Slack app that
`paybot serve` builds (create_app behind the Slack gate), called as a WSGI application with no
socket or server in between. Two modes:

- one request at a time (the default), the lazy work after each ack waited for before the next:
  per kind, the ack's wall and CPU time (median, max), the SQL statements the answering thread
  sends through SQLAlchemy (an event listener), the first ack's CPU time and how many statements
  it compiled (not found in the engine's statement cache), with --split the CPU time inside the
  sign's parts, with --profile cProfile's table (CPU time of the answering thread only);
- --burst N: rounds of N signs at once, a thread each (as a gthread worker answers them), and
  how long each waited for the audit chain's lock and held it.

--warm-up runs serving.warm_up first, as `paybot serve` does in gunicorn's master before it forks
its workers. CPU times are `time.thread_time`, which other work on a shared machine disturbs less
than wall time.

  .venv/bin/python bench/sign_profile.py
  .venv/bin/python bench/sign_profile.py --kinds sign --split --sql
  .venv/bin/python bench/sign_profile.py --kinds sign search --warm-up
  .venv/bin/python bench/sign_profile.py --kinds search --profile --sort tottime
  .venv/bin/python bench/sign_profile.py --burst 20 --requests 5
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import hmac
import io
import json
import pstats
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, wait
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from statistics import median
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt.lazy_listener.thread_runner import ThreadLazyListenerRunner
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.engine.default import CACHE_MISS

sys.path.insert(0, str(Path(__file__).resolve().parent))

import slack_latency as bench  # noqa: E402

from paybot.app import create_app  # noqa: E402
from paybot.core.otp import code_at  # noqa: E402
from paybot.handlers.deps import Deps  # noqa: E402
from paybot.sandbox.slack_http import FakeSlackServer  # noqa: E402
from paybot.services.secrets import SecretBox  # noqa: E402
from paybot.serving import slack_endpoint, warm_up  # noqa: E402
from paybot.store import db  # noqa: E402
from paybot.store.uow import UnitOfWork  # noqa: E402

ZONE = ZoneInfo("Europe/Oslo")


class Lazy(Executor):
    """Bolt's lazy-listener executor, counted: the next request waits until the work after the
    last ack is done (it would share the interpreter with the ack being measured)."""

    def __init__(self, executor: Executor) -> None:
        self._executor = executor
        self._futures: list[Future[Any]] = []
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = self._executor.submit(fn, *args, **kwargs)
        with self._lock:
            self._futures.append(future)
        return future

    def settle(self) -> None:
        while True:
            with self._lock:
                pending, self._futures = self._futures, []
            if not pending:
                return
            wait(pending, timeout=60)


class Statements:
    """The SQL statements the answering thread sends through SQLAlchemy, per request, and how
    many of them it compiled (not found in the engine's statement cache)."""

    def __init__(self) -> None:
        self.on = False
        self.thread = 0
        self.seen: list[str] = []
        self.compiled = 0

    def __call__(
        self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        if self.on and threading.get_ident() == self.thread:
            self.seen.append(" ".join(statement.split())[:160])
            if getattr(context, "cache_hit", None) is CACHE_MISS:
                self.compiled += 1


class Split:
    """CPU time of the calling thread inside chosen functions, per call."""

    def __init__(self) -> None:
        self.cpu: dict[str, list[float]] = {}

    def wrap(self, owner: Any, name: str) -> None:
        original = getattr(owner, name)
        spent = self.cpu.setdefault(f"{owner.__name__}.{name}", [])

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                spent.append(time.thread_time() - started)

        setattr(owner, name, timed)

    def report(self) -> str:
        lines = [f"{name} {median(t) * 1000:.2f} ms" for name, t in self.cpu.items() if t]
        for times in self.cpu.values():
            times.clear()
        return "; ".join(lines)


def _split_sign(split: Split) -> None:
    from slack_bolt.listener.thread_runner import ThreadListenerRunner

    from paybot.core import otp as core_otp
    from paybot.handlers.views import bank as bank_views
    from paybot.handlers.views import modals as modal_views
    from paybot.services import search, signing
    from paybot.store import payments as payment_store
    from paybot.store.audit import AuditRepository
    from paybot.store.payments import PaymentRepository

    split.wrap(ThreadListenerRunner, "run")
    split.wrap(ThreadListenerRunner, "_build_lazy_request")
    split.wrap(signing, "sign")
    for name in ("resolve_actor", "load_payment", "use_code", "_sign_one", "write_step"):
        split.wrap(signing, name)
    split.wrap(UnitOfWork, "commit")
    split.wrap(AuditRepository, "flush")
    split.wrap(core_otp, "verify")
    split.wrap(SecretBox, "decrypt")
    split.wrap(modal_views, "signed_view")
    split.wrap(search, "person_matches")
    split.wrap(search, "member_of")
    split.wrap(PaymentRepository, "page")
    split.wrap(payment_store, "list_conditions")
    split.wrap(bank_views, "search_answer")


class ChainLock:
    """Per transaction that appends to the audit chain: how long it took the chain's lock (with
    the read of its head) and how long it held it, until its COMMIT was sent."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.got: dict[int, float] = {}
        self.waits: list[float] = []
        self.holds: list[float] = []

    def watch(self, engine: Engine) -> None:
        from paybot.store.audit import AuditRepository

        original = AuditRepository._last_hash
        chain = self

        def last_hash(repository: AuditRepository) -> str:
            started = time.perf_counter()
            try:
                return original(repository)
            finally:
                now = time.perf_counter()
                chain.got[threading.get_ident()] = now
                with chain.lock:
                    chain.waits.append(now - started)

        AuditRepository._last_hash = last_hash  # type: ignore[method-assign, assignment]
        event.listen(engine, "commit", self.commit)

    def commit(self, conn: Any) -> None:
        got = self.got.pop(threading.get_ident(), None)
        if got is not None:
            with self.lock:
                self.holds.append(time.perf_counter() - got)

    def report(self) -> str:
        return (
            f"the audit chain's lock: taken in median {median(self.waits) * 1000:.0f} ms, "
            f"max {max(self.waits) * 1000:.0f} ms; held median {median(self.holds) * 1000:.1f} "
            f"ms, max {max(self.holds) * 1000:.1f} ms"
        )


def _environ(body: str, content_type: str) -> dict[str, Any]:
    timestamp = str(int(time.time()))
    base = f"v0:{timestamp}:{body}".encode()
    digest = hmac.new(bench.SECRET.encode(), base, hashlib.sha256).hexdigest()
    raw = body.encode()
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(raw)),
        "HTTP_X_SLACK_REQUEST_TIMESTAMP": timestamp,
        "HTTP_X_SLACK_SIGNATURE": f"v0={digest}",
        "wsgi.input": io.BytesIO(raw),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }


def _call(app: Any, request: bench.Request, *, sign: bool = False) -> str:
    """Sends the request; the problem with its answer ("" if none). `sign`: it must say signed."""
    body, content_type, check = request
    status: list[str] = []

    def start_response(line: str, headers: Any, exc_info: Any = None) -> None:
        status.append(line)

    answer = b"".join(app(_environ(body, content_type), start_response)).decode()
    problem = check(int(status[0].split()[0]), answer)
    if sign and not problem and "Signed" not in answer:
        problem = f"not signed: {answer[:300]}"
    return problem


def _sign_request(fake: FakeSlackServer, data: bench.Seed, n: int, now: datetime) -> bench.Request:
    """The n-th signer submits the Sign modal of the n-th approved payment, with the version
    of it shown, as the modal opened by Sign carries it."""
    signer = data.signers[0][n]
    pid = data.to_sign[n]
    secret = data.secrets[signer.slack_user_id]
    body, content_type, check = bench.sign_submission(fake, signer, secret, pid, data.card_of[pid])
    payload = json.loads(urllib.parse.unquote(body.removeprefix("payload=")))
    meta = json.loads(payload["view"]["private_metadata"])
    meta["v"] = [1]
    payload["view"]["private_metadata"] = json.dumps(meta)
    payload["view"]["state"]["values"]["code"]["code"]["value"] = code_at(secret, now)
    return "payload=" + urllib.parse.quote(json.dumps(payload)), content_type, check


@dataclass
class Endpoint:
    wsgi: Any
    lazy: Lazy
    fake: FakeSlackServer
    engine: Engine


@contextmanager
def endpoint(url: str, key: str, data: bench.Seed, *, warm: bool) -> Iterator[Endpoint]:
    """The app, warmed by one request (imports, the pool, and the compiled statements of a
    status); `warm`: and first by serving.warm_up, as `paybot serve` is before it forks."""
    engine = db.make_engine(url)
    deps = Deps(
        uow=lambda: UnitOfWork(engine),
        box=lambda: SecretBox(key),  # as the container makes one per use
        zone=ZONE,
    )
    with FakeSlackServer() as fake:
        data.card_of = bench.post_cards(url, fake, sorted(data.to_sign), datetime.now(UTC))
        # As the bench does: the seed's fresh rows analysed, outside the measurement.
        analyse = create_engine(make_url(url), isolation_level="AUTOCOMMIT")
        with analyse.connect() as connection:
            connection.execute(text("VACUUM ANALYZE"))
        analyse.dispose()
        app = create_app(
            token=fake.slack.token, signing_secret=bench.SECRET, api_url=fake.url, deps=deps
        )
        runner = app.listener_runner.lazy_listener_runner
        assert isinstance(runner, ThreadLazyListenerRunner)
        lazy = Lazy(runner.executor)
        runner.executor = lazy
        wsgi = slack_endpoint(app)
        if warm:
            took = warm_up(engine, deps)
            print(f"warm-up: {'failed' if took is None else f'{took * 1000:.0f} ms'}")
        _call(wsgi, bench.bank_command(fake, data.approvers[0], "status", 0))
        lazy.settle()
        yield Endpoint(wsgi, lazy, fake, engine)
    engine.dispose()


def one_at_a_time(here: Endpoint, data: bench.Seed, args: argparse.Namespace) -> None:
    statements = Statements()
    event.listen(here.engine, "before_cursor_execute", statements)
    statements.thread = threading.get_ident()
    split = Split()
    if args.split:
        _split_sign(split)
    for kind in args.kinds:
        profile = cProfile.Profile(time.thread_time)
        walls: list[float] = []
        cpus: list[float] = []
        counts: list[int] = []
        compiled: list[int] = []
        verbs: Counter[str] = Counter()
        for n in range(args.requests):
            if kind == "sign":
                request = _sign_request(here.fake, data, n, datetime.now(UTC))
            else:
                words = "search " + bench.SEARCHES[n % len(bench.SEARCHES)]
                approver = data.approvers[n % len(data.approvers)]
                request = bench.bank_command(here.fake, approver, words, n)
            statements.seen, statements.compiled, statements.on = [], 0, True
            wall, cpu = time.perf_counter(), time.thread_time()
            if args.profile:
                profile.enable()
            problem = _call(here.wsgi, request, sign=kind == "sign")
            if args.profile:
                profile.disable()
            cpus.append(time.thread_time() - cpu)
            walls.append(time.perf_counter() - wall)
            statements.on = False
            if problem:
                raise SystemExit(f"{kind} {n}: {problem}")
            counts.append(len(statements.seen))
            compiled.append(statements.compiled)
            verbs.update(s.split()[0] for s in statements.seen)
            if args.sql and n == args.requests - 1:
                print(f"--- the statements of one {kind}:")
                for line in statements.seen:
                    print("   ", line)
            here.lazy.settle()
        per_verb = ", ".join(f"{verb} {n / len(counts):.1f}" for verb, n in verbs.most_common())
        print(
            f"{kind}: {len(walls)} acks, wall median {median(walls) * 1000:.1f} ms, max "
            f"{max(walls) * 1000:.1f} ms; CPU median {median(cpus) * 1000:.1f} ms, min "
            f"{min(cpus) * 1000:.1f} ms; SQL statements through SQLAlchemy per ack "
            f"{median(counts):.0f} ({per_verb})"
        )
        print(
            f"  the first {kind}: CPU {cpus[0] * 1000:.1f} ms, {compiled[0]} statement(s) "
            f"compiled (not in the engine's cache); the later ones: {sum(compiled[1:])} in all"
        )
        if split.cpu:
            print("  CPU medians inside:", split.report())
        if args.profile:
            stats = pstats.Stats(profile).strip_dirs().sort_stats(args.sort)
            stats.print_stats(args.top)


def bursts(here: Endpoint, data: bench.Seed, size: int, rounds: int) -> None:
    """Rounds of `size` signs at once, each in a thread of its own."""
    chain = ChainLock()
    chain.watch(here.engine)
    db.warm_pool(here.engine, size)
    walls: list[float] = []
    cpus: list[float] = []
    problems: list[str] = []
    for round_ in range(rounds):
        now = datetime.now(UTC)
        requests = [_sign_request(here.fake, data, round_ * size + i, now) for i in range(size)]
        barrier = threading.Barrier(size)

        def one(request: bench.Request, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            wall, cpu = time.perf_counter(), time.thread_time()
            problem = _call(here.wsgi, request, sign=True)
            cpus.append(time.thread_time() - cpu)
            walls.append(time.perf_counter() - wall)
            if problem:
                problems.append(problem)

        threads = [threading.Thread(target=one, args=(r,)) for r in requests]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if problems:
            raise SystemExit(f"{len(problems)} not signed: {problems[0]}")
        here.lazy.settle()
    print(
        f"sign, {rounds} bursts of {size} at once: wall median {median(walls) * 1000:.0f} ms, "
        f"p99 {bench.percentile(walls, 0.99) * 1000:.0f} ms; CPU per ack median "
        f"{median(cpus) * 1000:.1f} ms; {chain.report()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--payments", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=40, help="per kind (bursts: rounds)")
    kinds = ["sign", "search"]
    parser.add_argument("--kinds", nargs="+", choices=kinds, default=kinds)
    parser.add_argument("--split", action="store_true", help="CPU time inside the parts")
    parser.add_argument("--sql", action="store_true", help="list one request's statements")
    parser.add_argument("--profile", action="store_true", help="cProfile's table")
    parser.add_argument("--sort", default="cumulative", help="the table's order")
    parser.add_argument("--top", type=int, default=40, help="the table's length")
    parser.add_argument("--burst", type=int, default=0, help="signs at once (a burst mode)")
    parser.add_argument(
        "--warm-up",
        action="store_true",
        help="run serving.warm_up first, as `paybot serve` does before it forks its workers",
    )
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    key = SecretBox.new_key()
    signers = args.requests * max(args.burst, 1)
    with bench.throwaway_database(args.postgres) as url:
        data = bench.seed(
            url, SecretBox(key), users=signers, rounds=1, count=args.payments, rng_seed=7
        )
        with endpoint(url, key, data, warm=args.warm_up) as here:
            if args.burst:
                bursts(here, data, args.burst, args.requests)
            else:
                one_at_a_time(here, data, args)


if __name__ == "__main__":
    main()
