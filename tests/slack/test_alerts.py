"""Alerts in the company's alerts channel, end to end on both databases: payments signed, sent to
the sandbox bank and answered; `send_alerts` posts to the local Slack Web API; the "did the money
leave?" buttons are clicked through paybot's real HTTP endpoint."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from paybot.app import web_client
from paybot.core.company import Language
from paybot.core.payments import PaymentView
from paybot.core.states import PaymentStatus
from paybot.handlers.alerting import send_alerts
from paybot.handlers.deps import Deps
from paybot.handlers.ids import Act
from paybot.handlers.proposal_posts import Pacer
from paybot.handlers.views import alerts as views
from paybot.services import payments, returns
from paybot.services.alerts import Alert, AlertKind, PaidBatch
from paybot.store.uow import UnitOfWork
from tests.builders import OSLO, SIGNER, VIEWER, Authenticator
from tests.services.test_alerts import (
    ALERTS,
    SENT,
    Bank,
    company,
    proposals,
    to_kid_only_with_a_message,
    to_silent,
)
from tests.slack.conftest import Clock, QuickClicker, SlackEndpoint, text_of

# Three days after the sends: the silent payment has had its missing-return check.
LATER = SENT + timedelta(days=3)


@dataclass
class Time:
    """The pacer's clock: sleeping moves it on at once, and is remembered."""

    now: float = 0.0
    slept: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@dataclass(frozen=True)
class Scene:
    paid: list[int]
    rejected: int
    silent: int


@pytest.fixture
def bank(tmp_path: Path) -> Bank:
    return Bank(tmp_path)


@pytest.fixture
def time_() -> Time:
    return Time()


@pytest.fixture
def post(endpoint: SlackEndpoint, deps: Deps, time_: Time) -> Any:
    """`send_alerts` as the scheduler runs it, against the local Slack; returns messages posted."""
    client = web_client(endpoint.slack.token, endpoint.fake.url)

    def run(now: datetime) -> int:
        pacer = Pacer(monotonic=time_.monotonic, sleep=time_.sleep)
        return send_alerts(client, deps, now=now, pacer=pacer)

    return run


def scene(uow: UnitOfWork, phone: Authenticator, bank: Bank) -> Scene:
    """A batch of two paid; then one rejected and one with no answer, Failed three days on."""
    paid = proposals(uow, {}, {"amount": Decimal("3750.00")})
    bank.send(uow, phone, paid, SENT)
    rejected, silent = proposals(uow, to_kid_only_with_a_message(), to_silent())
    bank.send(uow, phone, [rejected, silent], SENT + timedelta(minutes=10))
    assert returns.check_missing(uow, now=LATER, zone=OSLO) == [silent]
    return Scene(paid, rejected, silent)


def posted(endpoint: SlackEndpoint) -> dict[str, dict[str, Any]]:
    """What is in the alerts channel now, by the start of each message's text."""
    return {
        str(body["text"])[:1]: {"ts": ts, **body}
        for (channel, ts), body in endpoint.slack.messages.items()
        if channel == ALERTS
    }


def actions_of(message: dict[str, Any]) -> list[str]:
    return [
        element["action_id"]
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def view(uow: UnitOfWork, payment_id: int) -> PaymentView:
    return payments.show(uow, payment_id=payment_id).payment


def test_each_alert_is_posted_once_in_the_alerts_channel(
    uow: UnitOfWork, bank: Bank, endpoint: SlackEndpoint, post: Any, time_: Time
) -> None:
    found = scene(uow, company(uow), bank)

    assert post(LATER) == 3
    assert post(LATER + timedelta(minutes=1)) == 0

    calls = endpoint.slack.calls_to("chat.postMessage")
    assert [call["channel"] for call in calls] == [ALERTS] * 3
    messages = posted(endpoint)
    assert messages["❌"]["text"] == (
        f"❌ Payment #{found.rejected} to Kun KID AS, NOK 1,250.00, failed: See the bank's "
        "explanation (NARR) (bank: The payee only takes payments with KID)"
    )
    assert messages["❓"]["text"].startswith(
        f"❓ Payment #{found.silent} to Stille AS, NOK 1,250.00, sent 23 Nov 2026 11:10: "
        "no answer from the bank. Did the money leave?"
    )
    assert messages["✅"]["text"] == "✅ Batch 1 paid: 2 payments, NOK 5,000.00"
    # The payments' cards, with the buttons for their state.
    assert actions_of(messages["❌"]) == [Act.FIX, Act.SIGN_AGAIN, Act.MORE]
    assert actions_of(messages["❓"]) == [Act.MONEY_LEFT, Act.MONEY_NOT_LEFT, Act.MORE]
    assert "Did the money leave?" in text_of(messages["❓"]["blocks"])  # the confirm dialog
    assert actions_of(messages["✅"]) == [Act.POST_BATCH]  # a paid batch is posted from here
    # About one message a second in the channel.
    assert time_.slept == [1.0, 1.0]


def test_alerts_speak_norwegian_for_a_norwegian_company(
    uow: UnitOfWork, bank: Bank, endpoint: SlackEndpoint, post: Any
) -> None:
    found = scene(uow, company(uow, Language.NB), bank)

    assert post(LATER) == 3

    messages = posted(endpoint)
    assert messages["❌"]["text"] == (
        f"❌ Betaling #{found.rejected} til Kun KID AS, NOK 1 250,00, feilet: Se bankens "
        "forklaring (NARR) (banken: The payee only takes payments with KID)"
    )
    assert messages["❓"]["text"].startswith(
        f"❓ Betaling #{found.silent} til Stille AS, NOK 1 250,00, sendt 23. nov. 2026 kl. 11:10: "
        "intet svar fra banken. Gikk pengene?"
    )
    assert messages["✅"]["text"] == "✅ Bunt 1 betalt: 2 betalinger, NOK 5 000,00"
    assert "Pengene gikk ikke" in text_of(messages["❓"]["blocks"])


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_processes_at_once_post_each_alert_once(
    uow: UnitOfWork, bank: Bank, endpoint: SlackEndpoint, deps: Deps
) -> None:
    scene(uow, company(uow), bank)
    start = threading.Barrier(2)
    counts: list[int] = []

    def process() -> None:
        client = web_client(endpoint.slack.token, endpoint.fake.url)
        start.wait()
        counts.append(send_alerts(client, deps, now=LATER, pacer=Pacer(sleep=lambda s: None)))

    threads = [threading.Thread(target=process) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sum(counts) == 3
    assert len(endpoint.slack.calls_to("chat.postMessage")) == 3


def test_the_money_left_resolves_the_payment_and_updates_the_alert_in_place(
    uow: UnitOfWork, bank: Bank, endpoint: SlackEndpoint, post: Any, clock: Clock
) -> None:
    found = scene(uow, company(uow), bank)
    post(LATER)
    alert = posted(endpoint)["❓"]
    clock.at = LATER + timedelta(minutes=5)

    status, _ = endpoint.click(
        SIGNER.slack_user_id,
        Act.MONEY_LEFT.value,
        str(found.silent),
        channel=ALERTS,
        ts=alert["ts"],
    )

    assert status == 200
    [update] = endpoint.slack.wait_for("chat.update")
    assert (update["channel"], update["ts"]) == (ALERTS, alert["ts"])
    assert view(uow, found.silent).status is PaymentStatus.PAID
    now_shown = endpoint.slack.messages[(ALERTS, alert["ts"])]
    # The alert's sentence stays on top; the card below shows the payment as it is now.
    assert now_shown["blocks"][0]["text"]["text"].startswith(f"❓ Payment #{found.silent} ")
    text = text_of(now_shown["blocks"][1:])
    assert "*Paid*" in text and f"Checked by <@{SIGNER.slack_user_id}> at 11:05" in text
    assert actions_of(now_shown) == [Act.MORE]


def test_a_click_before_the_alert_is_written_down_still_shows_on_it(
    uow: UnitOfWork, bank: Bank, endpoint: SlackEndpoint, deps: Deps, clock: Clock
) -> None:
    found = scene(uow, company(uow), bank)
    clock.at = LATER + timedelta(minutes=5)
    client = QuickClicker(
        endpoint,
        SIGNER.slack_user_id,
        Act.MONEY_LEFT,
        found.silent,
        chosen=lambda posted: str(posted["text"]).startswith("❓"),
    )

    assert send_alerts(client, deps, now=LATER, pacer=Pacer(sleep=lambda s: None)) == 3

    assert client.clicked == [200] and client.on is not None
    assert view(uow, found.silent).status is PaymentStatus.PAID
    now_shown = endpoint.slack.messages[client.on]
    assert "*Paid*" in text_of(now_shown["blocks"][1:])
    assert actions_of(now_shown) == [Act.MORE]


def test_the_money_did_not_leave_leaves_it_failed_to_fix_and_sign_again(
    uow: UnitOfWork, bank: Bank, endpoint: SlackEndpoint, post: Any, clock: Clock
) -> None:
    found = scene(uow, company(uow), bank)
    post(LATER)
    alert = posted(endpoint)["❓"]
    clock.at = LATER + timedelta(minutes=5)

    endpoint.click(
        SIGNER.slack_user_id,
        Act.MONEY_NOT_LEFT.value,
        str(found.silent),
        channel=ALERTS,
        ts=alert["ts"],
    )

    endpoint.slack.wait_for("chat.update")
    payment = view(uow, found.silent)
    assert (payment.status, payment.failure_kind) == (PaymentStatus.FAILED, "checked_not_left")
    assert actions_of(endpoint.slack.messages[(ALERTS, alert["ts"])]) == [
        Act.FIX,
        Act.SIGN_AGAIN,
        Act.MORE,
    ]


def test_a_viewers_click_is_refused_to_the_viewer_alone(
    uow: UnitOfWork, bank: Bank, endpoint: SlackEndpoint, post: Any
) -> None:
    found = scene(uow, company(uow), bank)
    post(LATER)
    alert = posted(endpoint)["❓"]

    endpoint.click(
        VIEWER.slack_user_id,
        Act.MONEY_LEFT.value,
        str(found.silent),
        channel=ALERTS,
        ts=alert["ts"],
    )

    [answer] = endpoint.slack.wait_for("response_url")
    assert answer["response_type"] == "ephemeral" and "signer role" in answer["text"]
    endpoint.settle()
    assert endpoint.slack.calls_to("chat.update") == []
    payment = view(uow, found.silent)
    assert (payment.status, payment.failure_kind) == (PaymentStatus.FAILED, "no_return")
    history = payments.show(uow, payment_id=found.silent).history
    assert history[-1]["action"] == "payment.refused"


def test_a_payment_with_no_answer_is_announced_after_four_banking_hours_not_before(
    uow: UnitOfWork, bank: Bank, endpoint: SlackEndpoint, post: Any
) -> None:
    phone = company(uow)
    [silent] = proposals(uow, to_silent())
    bank.send(uow, phone, [silent], SENT)

    assert post(SENT + timedelta(hours=3, minutes=59)) == 0
    assert post(SENT + timedelta(hours=4)) == 1
    assert post(SENT + timedelta(hours=5)) == 0

    [message] = posted(endpoint).values()
    assert message["text"] == (
        f"⏳ Payment #{silent} to Stille AS, NOK 1,250.00, sent 23 Nov 2026 11:00, has had no "
        "answer from the bank for 4 banking hours."
    )


def test_more_than_twenty_are_summarised_in_one_message_once(
    uow: UnitOfWork, endpoint: SlackEndpoint, post: Any, tmp_path: Path
) -> None:
    phone = company(uow)
    ids = proposals(uow, *({} for _ in range(23)))
    Bank(tmp_path, balance=Decimal("0.00")).send(uow, phone, ids, SENT)

    assert post(SENT) == 21
    assert post(SENT + timedelta(minutes=1)) == 0

    last = endpoint.slack.calls_to("chat.postMessage")[-1]
    assert last["text"] == "…and 3 more failed payments — `/bank search status:failed`"


def test_a_batch_in_several_currencies_and_a_mixed_summary_read_well() -> None:
    paid = Alert(
        key="alert:paid:9",
        kind=AlertKind.PAID,
        company_org_no="974760673",
        channel=ALERTS,
        language=Language.EN,
        batch=PaidBatch(9, 7, 1, (("EUR", Decimal("10.50")), ("NOK", Decimal("45000.00")))),
    )
    said = views.message(paid, OSLO)["text"]
    assert said == "✅ Batch 7 paid: 1 payment, EUR 10.50, NOK 45,000.00"

    counts = {AlertKind.FAILED: 30, AlertKind.NO_RETURN: 5, AlertKind.STUCK: 1}
    assert views.summary(counts, Language.NB)["text"] == (
        "…og 35 feilede betalinger til — `/bank search status:failed`\n"
        "…og 1 betaling til uten svar fra banken — `/bank search status:processing`"
    )
