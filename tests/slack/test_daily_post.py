"""The daily proposals post against the local Slack Web API (which enforces Slack's limits), on
both databases: when it goes out, what it says, how it spreads over a thread, and that it goes
out once a day however many paybot processes run."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from paybot import jobs
from paybot.app import web_client
from paybot.cli import context
from paybot.cli.main import app as cli_app
from paybot.config import Settings
from paybot.container import Container
from paybot.container import reset as reset_container
from paybot.core.company import Language
from paybot.core.errors import ValidationFailed
from paybot.core.payments import ReferenceType
from paybot.core.states import PaymentStatus
from paybot.handlers import cards
from paybot.handlers.deps import Deps
from paybot.handlers.ids import Act
from paybot.handlers.proposal_posts import Pacer, PostResult, post_due, post_proposals
from paybot.sandbox.slack_api import FakeSlack
from paybot.sandbox.slack_http import FakeSlackServer
from paybot.services import companies, daily_post, payments, proposals, slack_records
from paybot.store.uow import UnitOfWork
from tests.builders import (
    ACCOUNT_B,
    APPROVER,
    BOX,
    ORG_NO,
    a_company,
    a_supplier,
    an_item,
    ledger_with,
)
from tests.slack.conftest import QuickClicker, SlackEndpoint, text_of

OSLO = ZoneInfo("Europe/Oslo")
PROPOSALS = "C0PROPOSALS"


def oslo(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    """A moment of 2026 in Oslo, as paybot keeps it (UTC)."""
    return datetime(2026, month, day, hour, minute, tzinfo=OSLO).astimezone(UTC)


MONDAY_EIGHT = oslo(23, 8)  # Monday 23 November 2026


@dataclass
class FakeTime:
    """A monotonic clock that only moves when the pacer sleeps."""

    now: float = 100.0
    slept: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def fake() -> Iterator[FakeSlackServer]:
    with FakeSlackServer() as server:
        yield server


@pytest.fixture
def slack(fake: FakeSlackServer) -> FakeSlack:
    return fake.slack


@pytest.fixture
def client(fake: FakeSlackServer) -> WebClient:
    return web_client(fake.slack.token, fake.url)


@pytest.fixture
def pacer() -> Pacer:
    time = FakeTime()
    return Pacer(monotonic=time.monotonic, sleep=time.sleep)


@pytest.fixture
def company(uow: UnitOfWork) -> None:
    a_company(uow)
    settings(uow, proposals_channel=PROPOSALS)


def settings(uow: UnitOfWork, **values: Any) -> None:
    companies.update_settings(uow, org_no=ORG_NO, now=MONDAY_EIGHT, **values)


def posted(slack: FakeSlack, channel: str = PROPOSALS) -> list[dict[str, Any]]:
    """The messages in the channel now, oldest first (threads included)."""
    found = [(ts, body) for (where, ts), body in slack.messages.items() if where == channel]
    return [body for _, body in sorted(found, key=lambda pair: float(pair[0]))]


def top_level(slack: FakeSlack) -> list[dict[str, Any]]:
    return [body for body in posted(slack) if not body.get("thread_ts")]


def blocks_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = message["blocks"]
    return list(json.loads(blocks) if isinstance(blocks, str) else blocks)


def shown_ids(message: dict[str, Any]) -> list[int]:
    """The payments whose entries (actions blocks `p:<id>:v<n>`) the message shows."""
    return [
        int(match.group(1))
        for block in blocks_of(message)
        if (match := re.fullmatch(r"p:(\d+):v\d+", str(block.get("block_id", ""))))
    ]


def some_proposals(uow: UnitOfWork, count: int) -> dict[str, Any]:
    """Blue, orange (a changed account) and red (a bad KID) proposals, in turn."""
    items = []
    for number in range(count):
        kind = number % 3
        if kind == 1:
            items.append(an_item(account=ACCOUNT_B, due_date=datetime(2026, 12, 2).date()))
        elif kind == 2:
            items.append(an_item(reference="12345", reference_type=ReferenceType.KID))
        else:
            items.append(an_item())
    return ledger_with(uow, items, [a_supplier()])


def post_now(client: WebClient, deps: Deps, pacer: Pacer, at: datetime = MONDAY_EIGHT) -> Any:
    return post_due(client, deps, at, pacer=pacer)


# When it goes out


@pytest.mark.usefixtures("company")
def test_the_post_goes_out_at_eight_in_oslo_on_a_banking_day(
    uow: UnitOfWork, deps: Deps, client: WebClient, slack: FakeSlack, pacer: Pacer
) -> None:
    some_proposals(uow, 3)

    assert post_now(client, deps, pacer, oslo(23, 7, 59)) == []
    assert posted(slack) == []

    [result] = post_now(client, deps, pacer, MONDAY_EIGHT)
    assert result.channel == PROPOSALS and result.payments == 3 and result.messages == 1
    [message] = posted(slack)
    assert "Payment proposals · Acme AS · 23 Nov 2026" in text_of(blocks_of(message))


@pytest.mark.usefixtures("company")
@pytest.mark.parametrize(
    ("when", "why"),
    [
        (oslo(28, 9), "a Saturday"),
        (oslo(25, 9, month=12), "Christmas Day"),
        (oslo(24, 9, month=12), "Christmas Eve: banks are closed"),
    ],
)
def test_there_is_no_post_on_a_day_the_banks_are_closed(
    uow: UnitOfWork,
    deps: Deps,
    client: WebClient,
    slack: FakeSlack,
    pacer: Pacer,
    when: datetime,
    why: str,
) -> None:
    some_proposals(uow, 2)
    assert post_now(client, deps, pacer, when) == [], why
    assert posted(slack) == []


@pytest.mark.usefixtures("company")
def test_the_company_chooses_its_time(
    uow: UnitOfWork, deps: Deps, client: WebClient, slack: FakeSlack, pacer: Pacer
) -> None:
    settings(uow, post_at="09:30")
    assert daily_post.due_companies(uow, now=oslo(23, 9, 29), zone=OSLO) == []
    [due] = daily_post.due_companies(uow, now=oslo(23, 9, 30), zone=OSLO)
    assert due.org_no == ORG_NO


def test_a_company_without_a_proposals_channel_is_not_posted_for(
    uow: UnitOfWork, deps: Deps, client: WebClient, slack: FakeSlack, pacer: Pacer
) -> None:
    a_company(uow)
    some_proposals(uow, 1)
    assert post_now(client, deps, pacer) == []
    with pytest.raises(ValidationFailed) as raised:
        post_proposals(client, deps, company_org_no=ORG_NO, now=MONDAY_EIGHT, pacer=pacer)
    assert (
        f"paybot company set --org-no {ORG_NO} --proposals-channel C" in raised.value.user_message
    )


# What it says


@pytest.mark.usefixtures("company")
def test_counts_per_flag_and_totals_per_currency_in_english(
    uow: UnitOfWork, deps: Deps, client: WebClient, slack: FakeSlack, pacer: Pacer
) -> None:
    ledger_with(
        uow,
        [
            an_item(amount=Decimal("10000.25")),
            an_item(amount=Decimal("2000.00"), account=ACCOUNT_B),
            an_item(amount=Decimal("345.25"), reference="12345"),
        ],
        [a_supplier()],
    )
    post_now(client, deps, pacer)

    [message] = posted(slack)
    summary = blocks_of(message)[1]
    text = summary["text"]["text"]
    assert "*3 proposal(s)*" in text
    assert "🔵 1 blue · 🟠 1 orange · 🔴 1 red" in text
    assert "*Total:* NOK 12,345.50" in text
    assert summary["accessory"]["action_id"] == Act.SIGN_ALL_BLUE.value
    assert summary["accessory"]["value"] == ORG_NO
    assert summary["accessory"]["text"]["text"] == "Sign all blue"  # as many as there are then
    assert "Counted when posted; each payment below shows its state now." in text_of(
        blocks_of(message)
    )
    assert "NOK 10,000.25" in text_of(blocks_of(message))


@pytest.mark.usefixtures("company")
def test_counts_and_totals_in_norwegian(
    uow: UnitOfWork, deps: Deps, client: WebClient, slack: FakeSlack, pacer: Pacer
) -> None:
    settings(uow, language=Language.NB)
    ledger_with(
        uow,
        [an_item(amount=Decimal("10000.25")), an_item(amount=Decimal("2345.25"))],
        [a_supplier()],
    )
    post_now(client, deps, pacer)

    [message] = posted(slack)
    everything = text_of(blocks_of(message))
    assert "Betalingsforslag · Acme AS · 23. nov. 2026" in everything
    assert "🔵 2 blå · 🟠 0 oransje · 🔴 0 røde" in everything
    assert "*Sum:* NOK 12 345,50" in everything
    assert "Signer alle blå" in everything and "Telt da meldingen ble sendt" in everything
    assert "Godkjenn" in everything


@pytest.mark.usefixtures("company")
@pytest.mark.parametrize(
    ("language", "overdue", "due"),
    [
        (Language.EN, "*overdue since 10 Nov 2026*", "due 1 Dec 2026"),
        (Language.NB, "*forfalt siden 10. nov. 2026*", "forfall 1. des. 2026"),
    ],
)
def test_overdue_proposals_come_first_and_say_since_when(
    uow: UnitOfWork,
    deps: Deps,
    client: WebClient,
    slack: FakeSlack,
    pacer: Pacer,
    language: Language,
    overdue: str,
    due: str,
) -> None:
    settings(uow, language=language)
    made = ledger_with(
        uow,
        [
            an_item(voucher_no="later", due_date=datetime(2026, 12, 1).date()),
            an_item(voucher_no="late", due_date=datetime(2026, 11, 20).date()),
            an_item(voucher_no="latest", due_date=datetime(2026, 11, 10).date()),
        ],
        [a_supplier()],
    )
    post_now(client, deps, pacer)  # Monday 23 November

    [message] = posted(slack)
    assert shown_ids(message) == [made[v].id for v in ("latest", "late", "later")]
    sections = [b["text"]["text"] for b in blocks_of(message) if b["type"] == "section"]
    entries = [text for text in sections if "#" in text]
    assert overdue in entries[0] and due in entries[2]


@pytest.mark.usefixtures("company")
def test_without_blue_proposals_there_is_no_sign_all_blue_button(
    uow: UnitOfWork, deps: Deps, client: WebClient, slack: FakeSlack, pacer: Pacer
) -> None:
    ledger_with(uow, [an_item(reference="12345")], [a_supplier()])
    post_now(client, deps, pacer)
    [message] = posted(slack)
    assert Act.SIGN_ALL_BLUE.value not in text_of(blocks_of(message))


@pytest.mark.usefixtures("company")
@pytest.mark.parametrize(
    ("language", "words"),
    [(Language.EN, "No proposals today."), (Language.NB, "Ingen betalingsforslag i dag.")],
)
def test_with_no_proposals_one_short_message_still_goes_out_once(
    uow: UnitOfWork,
    deps: Deps,
    client: WebClient,
    slack: FakeSlack,
    pacer: Pacer,
    language: Language,
    words: str,
) -> None:
    settings(uow, language=language)
    [result] = post_now(client, deps, pacer)
    assert post_now(client, deps, pacer) == []

    assert result.messages == 1 and result.payments == 0
    [message] = posted(slack)
    assert words in message["text"] and words in text_of(blocks_of(message))


# Many proposals


@pytest.mark.usefixtures("company")
def test_two_hundred_proposals_spread_over_a_thread_each_shown_once(
    uow: UnitOfWork, deps: Deps, client: WebClient, slack: FakeSlack
) -> None:
    made = some_proposals(uow, 205)
    time = FakeTime()
    [result] = post_now(client, deps, Pacer(monotonic=time.monotonic, sleep=time.sleep))

    messages = posted(slack)
    # Every message was accepted by the fake (it refuses what Slack refuses).
    assert len(messages) == result.messages == len(slack.calls_to("chat.postMessage")) > 1
    first, *rest = messages
    assert not first.get("thread_ts")
    assert all(message["thread_ts"] == result.ts for message in rest)
    shown = [pid for message in messages for pid in shown_ids(message)]
    assert sorted(shown) == sorted(p.id for p in made.values())
    for message in messages:
        blocks = blocks_of(message)
        assert len(blocks) <= 50 and len(json.dumps(blocks)) <= 12_000
    assert "Proposals 1–" in text_of(blocks_of(first))
    assert "of 205" in text_of(blocks_of(rest[-1])) and "–205 of 205" in rest[-1]["text"]
    # Paced: a second between posts to the channel (the fake clock moved only by sleeping).
    assert time.slept and all(seconds <= 1.0 for seconds in time.slept)
    assert time.now - 100.0 >= result.messages - 1


@pytest.mark.usefixtures("company")
def test_every_posted_message_is_recorded_so_clicks_can_update_it(
    uow: UnitOfWork, deps: Deps, client: WebClient, slack: FakeSlack, pacer: Pacer
) -> None:
    made = some_proposals(uow, 40)
    post_now(client, deps, pacer)

    ids = [p.id for p in made.values()]
    recorded = slack_records.messages_showing(uow, payment_ids=ids)
    assert {(m.channel, m.ts) for m in recorded} == set(slack.messages)
    assert sorted(p.id for m in recorded for p in m.payments) == sorted(ids)
    assert all(m.kind == "proposals" for m in recorded)


# Once a day


@pytest.mark.usefixtures("company")
def test_repeated_runs_post_once_a_day_and_again_the_next_banking_day(
    uow: UnitOfWork, deps: Deps, client: WebClient, slack: FakeSlack, pacer: Pacer
) -> None:
    some_proposals(uow, 2)
    assert len(post_now(client, deps, pacer, MONDAY_EIGHT)) == 1
    for minute in (1, 2, 30):
        assert post_now(client, deps, pacer, oslo(23, 8, minute)) == []
    assert len(top_level(slack)) == 1

    assert len(post_now(client, deps, pacer, oslo(24, 8))) == 1
    assert len(top_level(slack)) == 2


@pytest.mark.usefixtures("company")
def test_a_post_whose_process_died_is_taken_over_after_ten_minutes(
    uow: UnitOfWork, deps: Deps, client: WebClient, slack: FakeSlack, pacer: Pacer
) -> None:
    some_proposals(uow, 2)
    key = daily_post.post_key(ORG_NO, MONDAY_EIGHT.astimezone(OSLO).date())
    assert slack_records.claim(uow, key=key, now=MONDAY_EIGHT, company_org_no=ORG_NO)

    assert post_now(client, deps, pacer, oslo(23, 8, 5)) == []
    assert len(post_now(client, deps, pacer, oslo(23, 8, 11))) == 1
    assert post_now(client, deps, pacer, oslo(23, 8, 12)) == []
    assert len(top_level(slack)) == 1


@pytest.mark.usefixtures("company")
def test_posting_now_posts_every_time_and_leaves_the_daily_post_due(
    uow: UnitOfWork, deps: Deps, client: WebClient, slack: FakeSlack, pacer: Pacer
) -> None:
    some_proposals(uow, 2)
    for _ in range(2):
        post_proposals(
            client, deps, company_org_no=ORG_NO, now=oslo(23, 7), force=True, pacer=pacer
        )
    assert len(post_now(client, deps, pacer)) == 1
    assert len(top_level(slack)) == 3


@pytest.mark.usefixtures("company")
def test_racing_paybot_processes_post_exactly_once(
    database_url: str, engine: Engine, uow: UnitOfWork, fake: FakeSlackServer, slack: FakeSlack
) -> None:
    if "sqlite" in database_url:
        pytest.skip("racing writers need PostgreSQL (SQLite serializes every writer)")
    some_proposals(uow, 20)
    racers = 8
    barrier = threading.Barrier(racers, timeout=30)
    results: list[list[PostResult]] = []
    errors: list[BaseException] = []

    def process() -> None:
        client = web_client(fake.slack.token, fake.url)  # one process, one client
        deps = Deps(uow=lambda: UnitOfWork(engine), box=lambda: BOX, zone=OSLO)
        barrier.wait()
        try:
            results.append(post_due(client, deps, MONDAY_EIGHT, pacer=Pacer(sleep=_no_sleep)))
        except BaseException as error:  # noqa: BLE001 - asserted on below
            errors.append(error)

    threads = [threading.Thread(target=process) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(len(found) for found in results) == [0] * (racers - 1) + [1]
    assert len(top_level(slack)) == 1


def _no_sleep(_: float) -> None:
    return None


# After a click


@pytest.mark.usefixtures("company")
def test_approving_a_posted_proposal_updates_its_entry_in_place(
    uow: UnitOfWork, deps: Deps, client: WebClient, slack: FakeSlack, pacer: Pacer
) -> None:
    made = some_proposals(uow, 40)
    post_now(client, deps, pacer)
    target = sorted(made.values(), key=lambda p: p.id)[-1]
    [(channel, ts)] = [key for key, body in slack.messages.items() if target.id in shown_ids(body)]

    payments.approve(uow, actor=APPROVER, payment_ids=[target.id], now=oslo(23, 9, 12))
    assert cards.refresh(client, deps, [target.id]) == 1

    entry = _entry_of(blocks_of(slack.messages[(channel, ts)]), target.id)
    assert "Approved by <@UAPPROVER> at 09:12" in text_of(entry)
    assert Act.APPROVE.value not in text_of(entry) and Act.SIGN.value in text_of(entry)
    assert len(json.dumps(blocks_of(slack.messages[(channel, ts)]))) <= 12_000


def _entry_of(blocks: list[dict[str, Any]], payment_id: int) -> list[dict[str, Any]]:
    """The blocks of one payment's entry: from its section to its actions block."""
    end = next(
        i for i, b in enumerate(blocks) if str(b.get("block_id", "")).startswith(f"p:{payment_id}:")
    )
    start = max(i for i, b in enumerate(blocks[:end]) if b["type"] == "section")
    return blocks[start : end + 1]


@pytest.mark.usefixtures("company")
def test_clicking_approve_on_a_posted_entry_updates_it_in_place(
    uow: UnitOfWork, deps: Deps, endpoint: SlackEndpoint, pacer: Pacer
) -> None:
    made = some_proposals(uow, 5)
    client = web_client(endpoint.slack.token, endpoint.fake.url)
    [result] = post_now(client, deps, pacer)
    target = min(p.id for p in made.values())

    status, _ = endpoint.click(
        APPROVER.slack_user_id, Act.APPROVE.value, str(target), channel=PROPOSALS, ts=result.ts
    )
    if status == 404:
        pytest.skip("no Approve listener yet (the update path is tested above)")
    assert status == 200
    endpoint.slack.wait_for("chat.update")
    entry = _entry_of(blocks_of(endpoint.slack.messages[(PROPOSALS, result.ts)]), target)
    assert "Approved by <@UAPPROVER>" in text_of(entry)
    assert Act.APPROVE.value not in text_of(entry)


@pytest.mark.usefixtures("company")
def test_a_click_before_the_post_is_written_down_still_shows_on_the_message(
    uow: UnitOfWork, deps: Deps, endpoint: SlackEndpoint, pacer: Pacer
) -> None:
    made = some_proposals(uow, 5)
    target = min(p.id for p in made.values())
    client = QuickClicker(endpoint, APPROVER.slack_user_id, Act.APPROVE, target)

    [result] = post_now(client, deps, pacer)

    assert client.clicked == [200]
    [approved] = [p for p in proposals.list_payments(uow, company_org_no=ORG_NO) if p.id == target]
    assert approved.status is PaymentStatus.APPROVED
    entry = _entry_of(blocks_of(endpoint.slack.messages[(PROPOSALS, result.ts)]), target)
    assert "Approved by <@UAPPROVER>" in text_of(entry)
    assert Act.APPROVE.value not in text_of(entry)


# The command line and the job


@pytest.fixture
def cli_env(
    database_url: str, fake: FakeSlackServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[None]:
    monkeypatch.setenv("PAYBOT_DATABASE_URL", database_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", fake.slack.token)
    monkeypatch.setenv("PAYBOT_SLACK_API_URL", fake.url)
    monkeypatch.chdir(tmp_path)  # no .env from the working copy
    reset_container()
    monkeypatch.setattr(context, "now", lambda: MONDAY_EIGHT)
    yield
    reset_container()


@pytest.mark.usefixtures("company", "cli_env")
def test_the_cli_posts_the_proposals_now(uow: UnitOfWork, slack: FakeSlack) -> None:
    some_proposals(uow, 3)
    result = CliRunner().invoke(cli_app, ["proposals", "post", "--company", ORG_NO])
    assert result.exit_code == 0, result.output
    assert f"Posted 3 proposal(s) to {PROPOSALS} in 1 message(s)." in result.stdout
    assert len(top_level(slack)) == 1


@pytest.mark.usefixtures("cli_env")
def test_the_cli_says_how_to_set_a_missing_proposals_channel(uow: UnitOfWork) -> None:
    a_company(uow)
    result = CliRunner().invoke(cli_app, ["proposals", "post", "--company", ORG_NO])
    assert result.exit_code == 1
    assert "--proposals-channel" in result.output


@pytest.mark.usefixtures("company", "cli_env")
def test_the_cli_needs_the_bot_token(monkeypatch: pytest.MonkeyPatch, slack: FakeSlack) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    reset_container()
    result = CliRunner().invoke(cli_app, ["proposals", "post", "--company", ORG_NO])
    assert result.exit_code == 1 and "SLACK_BOT_TOKEN is not set" in result.output
    assert posted(slack) == []


def _at_monday_eight() -> Container:
    """paybot's parts from the environment, on a clock stopped at Monday 08:00."""
    return Container(Settings(), clock=lambda: MONDAY_EIGHT)


@pytest.mark.usefixtures("company", "cli_env")
def test_the_job_posts_what_is_due(uow: UnitOfWork, slack: FakeSlack) -> None:
    some_proposals(uow, 3)
    parts = _at_monday_eight()
    jobs.post_proposals(parts)
    jobs.post_proposals(parts)
    assert len(top_level(slack)) == 1


@pytest.mark.usefixtures("company", "cli_env")
def test_the_job_does_nothing_without_a_bot_token(
    uow: UnitOfWork, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    some_proposals(uow, 3)
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    reset_container()
    jobs.post_proposals(_at_monday_eight())
    assert posted(slack) == []
