"""Uploads that did not happen are tried again; uploads whose outcome is unknown go to a person;
an answer read before the send is recorded is applied, not lost. On both databases."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine

from paybot.bank.directory import DirectoryGateway
from paybot.bank.sandbox import SandboxBank, SandboxRules, read_order
from paybot.core.sends import AlarmKind
from paybot.core.states import PaymentStatus
from paybot.services import dispatching, returns
from paybot.services.dispatching import DispatchOptions, DispatchResult
from paybot.services.ports import GatewayFactory, UploadNotStarted
from paybot.store.uow import UnitOfWork
from tests.builders import ACCOUNT_B, OSLO, Authenticator
from tests.services.test_returns import (
    SENT,
    phone,
    rows,
    signed,
    status_of,
    view,
)

__all__ = ["phone"]


class FlakyBank:
    """Folders behind a connection that is refused `refusals` times, then works."""

    def __init__(self, root: Path, refusals: int) -> None:
        self.folders = DirectoryGateway(root / "outbox", root / "inbox")
        self.refusals = refusals
        self.tries = 0

    def gateways(self) -> GatewayFactory:
        return lambda account: self  # type: ignore[return-value]

    def upload(self, name: str, data_path: Path) -> None:
        self.tries += 1
        if self.tries <= self.refusals:
            raise UploadNotStarted("bank.example:22: connection refused")
        self.folders.upload(name, data_path)

    def __getattr__(self, name: str) -> object:
        return getattr(self.folders, name)


class CutOffBank(SandboxBank):
    """The bank takes the file and answers, but the connection drops before it says so."""

    def upload(self, name: str, data_path: Path) -> None:
        super().upload(name, data_path)
        raise ConnectionResetError("connection reset by peer")


def dispatch(uow: UnitOfWork, gateways: GatewayFactory, root: Path, at: datetime) -> DispatchResult:
    return dispatching.dispatch(
        uow, gateways, now=at, options=DispatchOptions(files_dir=root / "sent", zone=OSLO)
    )


def sent_ids(outbox: Path) -> Counter[str]:
    return Counter(
        p.end_to_end_id for f in outbox.glob("*.xml") for p in read_order(f.read_bytes())
    )


def test_an_upload_the_bank_refused_is_tried_again_later_and_sent_once(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, tmp_path: Path
) -> None:
    bank = FlakyBank(tmp_path, refusals=3)
    ids = signed(uow, phone, {}, {})

    first = dispatch(uow, bank.gateways(), tmp_path, SENT)
    assert (first.sent, first.unknown) == ([], [])
    [(message_id, why, retry_at)] = first.retrying
    assert "connection refused" in why and retry_at == SENT + timedelta(minutes=1)
    assert status_of(uow, ids) == [PaymentStatus.DUE, PaymentStatus.DUE]
    [batch] = rows(engine, "SELECT status, upload_attempts FROM batches")
    assert (batch["status"], batch["upload_attempts"]) == ("prepared", 1)

    # Not before its time; then with backoff: 1, 2, 4 minutes.
    assert dispatch(uow, bank.gateways(), tmp_path, SENT + timedelta(seconds=30)).retrying == []
    assert bank.tries == 1
    second = dispatch(uow, bank.gateways(), tmp_path, SENT + timedelta(minutes=1))
    assert second.retrying[0][2] == SENT + timedelta(minutes=3)
    third = dispatch(uow, bank.gateways(), tmp_path, SENT + timedelta(minutes=3))
    assert third.retrying[0][2] == SENT + timedelta(minutes=7)
    with uow:
        [alarm] = uow.alarms.latest()
    assert alarm.kind is AlarmKind.UPLOAD_FAILING and "3 attempts" in alarm.message

    done = dispatch(uow, bank.gateways(), tmp_path, SENT + timedelta(minutes=7))
    assert [s.message_id for s in done.sent] == [message_id]
    assert status_of(uow, ids) == [PaymentStatus.PROCESSING, PaymentStatus.PROCESSING]
    assert sent_ids(tmp_path / "outbox") == Counter({f"PAYBOT-P{i}-1": 1 for i in ids})
    with uow:
        assert len(uow.alarms.latest()) == 1  # said once


def test_an_upload_cut_off_is_never_sent_again_and_goes_to_a_person(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, tmp_path: Path
) -> None:
    bank = CutOffBank(tmp_path / "outbox", tmp_path / "inbox", SandboxRules())
    [payment] = signed(uow, phone)

    result = dispatch(uow, lambda account: bank, tmp_path, SENT)

    assert result.sent == [] and "connection reset" in result.unknown[0][1]
    shown = view(uow, payment)
    assert (shown.status, shown.failure_kind) == (PaymentStatus.FAILED, "no_return")
    assert "broke off" in (shown.failure_reason or "")
    [batch] = rows(engine, "SELECT status FROM batches")
    assert batch["status"] == "unknown"
    assert dispatch(uow, lambda account: bank, tmp_path, SENT + timedelta(hours=1)).sent == []
    # The bank had it after all: its answers are applied (the booking wins).
    returns.poll(uow, lambda account: bank, now=SENT + timedelta(hours=1))
    assert view(uow, payment).status is PaymentStatus.PAID


def test_an_answer_read_between_the_upload_and_its_record_is_applied(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, tmp_path: Path
) -> None:
    """The sandbox answers inside `upload`; a poll at that moment reads it before paybot has
    recorded the batch as sent."""
    rules = SandboxRules(kid_only_accounts=frozenset({ACCOUNT_B}), balance=Decimal("5000"))
    bank = SandboxBank(tmp_path / "outbox", tmp_path / "inbox", rules)
    booked, refused = signed(uow, phone, {}, {"amount": Decimal("9000.00")})
    polled: list[returns.IngestResult] = []

    def poll_now(step: str) -> None:
        if step == "uploaded":
            polled.extend(returns.poll(uow, lambda account: bank, now=SENT))

    options = DispatchOptions(files_dir=tmp_path / "sent", checkpoint=poll_now, zone=OSLO)
    dispatching.dispatch(uow, lambda account: bank, now=SENT, options=options)

    assert {r.kind for r in polled} == {"pain.002", "camt.054"}
    assert status_of(uow, [booked, refused]) == [PaymentStatus.PAID, PaymentStatus.FAILED]
    assert view(uow, refused).failure_reason == "Not enough money on the account (AM04)"
    sends = {r["payment_id"]: r["status"] for r in rows(engine, "SELECT * FROM batch_payments")}
    assert sends == {booked: "booked", refused: "rejected"}
