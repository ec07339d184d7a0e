"""Benchmark: the daily proposals post of 2,000 proposals, through the local Slack Web API.

Makes one company with N proposals (default 2,000: blue, orange and red, realistic Norwegian
payee names) in a temp SQLite database (or, with --postgres, a throwaway PostgreSQL database),
then posts them with paybot's own `post_proposals` through a `FakeSlackServer` on loopback, with
the real `Pacer` (real sleeps: at least a second between posts to one channel). The fake enforces
Slack's limits (50 blocks, 3,000-character texts, about 13,000 characters of blocks JSON) and is
set to answer 429 to a second chat.postMessage to one channel within a second, as Slack may.

Prints: messages used, proposals per message, seconds to build the messages and to post them,
and the highest posting rate per channel the fake saw (the shortest gap between two posts to the
channel, and the most posts in any one-second window): it must be at most 1 a second. Figures
only: the exit code is 0 unless a message was refused or a proposal was not shown exactly once.

  .venv/bin/python bench/slack_posting.py
  .venv/bin/python bench/slack_posting.py --count 500 --postgres
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from stdnum import luhn
from stdnum.no import kontonr, orgnr

from paybot.app import web_client
from paybot.core.ledger_file import OpenItemRow, SupplierRow
from paybot.core.payments import ReferenceType
from paybot.handlers.deps import Deps
from paybot.handlers.proposal_posts import Pacer, post_proposals
from paybot.handlers.views.digest import digest_messages
from paybot.sandbox.slack_api import FakeSlack
from paybot.sandbox.slack_http import FakeSlackServer
from paybot.services import companies, daily_post, ledger, proposals
from paybot.services.secrets import SecretBox
from paybot.store import db
from paybot.store.uow import UnitOfWork

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # 08:00 in Oslo, a Monday
OSLO = ZoneInfo("Europe/Oslo")
ORG_NO = "974760673"
CHANNEL = "C0PROPOSALS"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
NAMES = (
    "Bjørk Rør & Sønn AS", "Fjord Elektro AS", "Nordlys Transport AS", "Ålesund Maskin ASA",
    "Trøndelag Bygg og Anlegg AS", "Havbris Catering – Avd. Vest AS", "Skog og Fjell Regnskap DA",
    "O’Neill Ventilasjon Norge AS", "Sørlandet Glass og Maling AS", "Vestland Energi SA",
)  # fmt: skip


@dataclass
class TimedSlack(FakeSlack):
    """The fake, remembering when each accepted chat.postMessage arrived, per channel."""

    arrivals: dict[str, list[float]] = field(default_factory=dict)
    _times: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, method: str, body: dict[str, Any], token: str | None) -> tuple[int, Any]:
        arrived = time.monotonic()
        status, answer = super().answer(method, body, token)
        if method == "chat.postMessage" and answer.get("ok"):
            with self._times:
                self.arrivals.setdefault(str(body.get("channel")), []).append(arrived)
        return status, answer


def _account(rng: random.Random) -> str:
    while True:
        body = "1503" + "".join(rng.choices("0123456789", k=6))
        for digit in "0123456789":
            if kontonr.is_valid(body + digit):
                return body + digit


def make_data(count: int, seed: int) -> tuple[list[SupplierRow], list[OpenItemRow]]:
    """One supplier per name; a third of the items pay to another account (orange), one in ten
    has a KID with a wrong check digit (red), the rest are blue."""
    rng = random.Random(seed)
    suppliers = [
        SupplierRow(
            line=line + 2,
            name=name,
            org_no=_org_no(rng),
            account=_account(rng),
        )
        for line, name in enumerate(NAMES)
    ]
    items = []
    for number in range(count):
        supplier = suppliers[number % len(suppliers)]
        body = "".join(rng.choices("0123456789", k=rng.randint(6, 14)))
        kid = body + luhn.calc_check_digit(body)
        if number % 10 == 9:
            kid = body + str((int(luhn.calc_check_digit(body)) + 1) % 10)
        account = _account(rng) if number % 3 == 1 else supplier.account
        items.append(
            OpenItemRow(
                line=number + 2,
                voucher_no=str(100_000 + number),
                invoice_no=f"F-{2026_00000 + number}",
                supplier_name=supplier.name,
                supplier_org_no=supplier.org_no,
                account=account,
                amount=Decimal(f"{min(rng.lognormvariate(8.0, 1.3), 4_999_999.99):.2f}"),
                currency="NOK",
                invoice_date=date(2026, 11, 1),
                due_date=date(2026, 11, 24) + timedelta(days=number % 20),
                reference_type=ReferenceType.KID,
                reference=kid,
            )
        )
    return suppliers, items


def _org_no(rng: random.Random) -> str:
    while True:
        body = str(rng.randint(80_000_000, 99_999_999))
        for digit in "0123456789":
            if orgnr.is_valid(body + digit):
                return body + digit


@contextmanager
def database(postgres: bool) -> Iterator[str]:
    """A migrated, empty database: a temp SQLite file, or a throwaway PostgreSQL database."""
    if not postgres:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'bench.db'}"
            engine = db.make_engine(url)
            db.upgrade(engine)
            engine.dispose()
            yield url
        return
    admin_url = make_url(POSTGRES_URL)
    name = f"paybot_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    try:
        engine = db.make_engine(url)
        db.upgrade(engine)
        engine.dispose()
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def rates(arrivals: list[float]) -> tuple[float, int]:
    """The shortest gap between two posts, and the most posts within any one second."""
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:], strict=False)]
    most, start = 0, 0
    for end, at in enumerate(arrivals):
        while at - arrivals[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return (min(gaps) if gaps else float("inf")), most


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="proposals (default 2000)")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL at 127.0.0.1:5432")
    parser.add_argument("--seed", type=int, default=20261123)
    args = parser.parse_args()

    with database(args.postgres) as url:
        engine = db.make_engine(url)
        uow = UnitOfWork(engine)
        companies.add_company(uow, org_no=ORG_NO, name="Acme AS", account="86011117947", now=NOW)
        companies.update_settings(uow, org_no=ORG_NO, proposals_channel=CHANNEL, now=NOW)
        suppliers, items = make_data(args.count, args.seed)
        ledger.import_suppliers(uow, company_org_no=ORG_NO, source="s", rows=suppliers, now=NOW)
        ledger.import_open_items(uow, company_org_no=ORG_NO, source="i", rows=items, now=NOW)
        made = proposals.refresh(uow, company_org_no=ORG_NO, now=NOW)
        flags = ", ".join(f"{n} {flag.value}" for flag, n in made.flags.items())

        started = time.perf_counter()
        found = daily_post.digest(uow, company_org_no=ORG_NO, today=date(2026, 11, 23))
        built = digest_messages(found, found.company.language, OSLO)
        build_seconds = time.perf_counter() - started

        slack = TimedSlack(rate_limits={"chat.postMessage": 1.0})
        with FakeSlackServer(slack) as fake:
            client = web_client(slack.token, fake.url)
            deps = Deps(uow=lambda: UnitOfWork(engine), box=lambda: SecretBox(None), zone=OSLO)
            started = time.perf_counter()
            result = post_proposals(
                client, deps, company_org_no=ORG_NO, now=NOW, force=True, pacer=Pacer()
            )
            post_seconds = time.perf_counter() - started
        engine.dispose()

    assert result is not None
    shown = [
        int(match.group(1))
        for body in slack.messages.values()
        for block in body["blocks"]
        if (match := re.fullmatch(r"p:(\d+):v\d+", str(block.get("block_id", ""))))
    ]
    refused = len(slack.calls_to("chat.postMessage")) - len(slack.messages)
    gap, most = rates(slack.arrivals.get(CHANNEL, []))
    per_message = [len(message.payment_ids) for message in built]
    print(f"database           {'PostgreSQL' if args.postgres else 'SQLite'}")
    print(f"proposals          {result.payments} ({flags})")
    print(f"messages used      {result.messages} (1 in the channel, the rest in its thread)")
    print(
        f"per message        {min(per_message)}-{max(per_message)} proposals "
        f"(mean {sum(per_message) / len(per_message):.1f})"
    )
    print(f"build (digest)     {build_seconds:.2f} s")
    print(f"post (paced)       {post_seconds:.1f} s")
    print(f"shortest gap       {gap:.3f} s between two posts to {CHANNEL}")
    print(f"highest rate       {1 / gap:.2f} posts/s; at most {most} post(s) in any 1 s window")
    print(f"429 ratelimited    {len(slack.ratelimited)}; refused {refused}")
    ok = refused == 0 and sorted(shown) == sorted(set(shown)) and len(shown) == result.payments
    print(f"every proposal shown exactly once: {'yes' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
