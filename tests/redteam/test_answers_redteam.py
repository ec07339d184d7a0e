"""The bank's answers in shapes and orders a bank really uses, on both databases: a block booked
whole (batch booking) after one of its payments was rejected; a settlement of the whole file read
after a rejection of one of its payments; part of the money coming back; a booking of a send
whose payment was changed since; a payment accepted for a later execution date. Each test here
fails today (xfail, strict) and says what happens instead."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from paybot.core.bankfiles.model import StatusReport
from paybot.core.policy import Role
from paybot.core.sends import SendState
from paybot.core.states import PaymentStatus
from paybot.services import netbank, payments, people, returns
from paybot.services.common import ActorRef
from paybot.store.uow import UnitOfWork
from tests.builders import (
    ACCOUNT_A,
    ACCOUNT_B,
    APPROVER,
    NOW,
    ORG_NO,
    OSLO,
    SIGNER,
    Authenticator,
    enrolled,
    sign_with,
)
from tests.redteam.conftest import (
    SENT,
    Folders,
    block,
    camt054,
    entry,
    group,
    ingest,
    pain002,
    rows,
    sends_of,
    signed,
    status_of,
    transaction,
)


def rejected_by_name(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, folders: Folders, *amounts: Decimal
) -> tuple[int, int, dict[str, object]]:
    """Two payments sent in one block; the bank rejects the second by its EndToEndId (AC04)."""
    kept, refused = signed(uow, phone, *amounts)
    folders.dispatch(uow)
    [good], [bad] = sends_of(engine, kept), sends_of(engine, refused)
    assert good["payment_info_id"] == bad["payment_info_id"]
    report = [group(bad, "PART"), block(bad, "PART"), transaction(bad, "RJCT", "AC04")]
    assert ingest(uow, "sts-rjct.xml", pain002("STS-RJCT", report)).failed == [refused]
    return kept, refused, good


@pytest.mark.xfail(
    strict=True,
    reason="a block booking is matched to every send paybot put in the block, rejected ones too",
)
@pytest.mark.parametrize(
    "amounts", [("100.00", "100.00"), ("100.00", "200.00")], ids=["same", "other"]
)
def test_a_block_booked_without_its_rejected_payment_pays_only_the_others(
    uow: UnitOfWork,
    engine: Engine,
    phone: Authenticator,
    folders: Folders,
    amounts: tuple[str, str],
) -> None:
    """With batch booking (BtchBookg) the bank books a block as one entry, its PmtInfId and the
    total of what it executed: the rejected payment is not in it."""
    kept, refused, good = rejected_by_name(
        uow, engine, phone, folders, *(Decimal(a) for a in amounts)
    )

    booking = entry(Decimal(amounts[0]), block_id=str(good["payment_info_id"]))
    ingest(uow, "camt-block.xml", camt054("NTF-BLOCK", [booking]))

    # Today: "same" makes the rejected payment Paid ("booked by the bank after all"), though
    # its money never left; "other" puts it On hold, "the bank booked NOK 100.00 for" it.
    assert status_of(uow, [kept, refused]) == [PaymentStatus.PAID, PaymentStatus.FAILED]
    assert [s["status"] for s in sends_of(engine, refused)] == [SendState.REJECTED.value]


@pytest.mark.xfail(
    strict=True,
    reason="a settlement of a whole file or block turns a send rejected by name into booked",
)
@pytest.mark.parametrize("level", ["group", "block"])
def test_a_settlement_of_the_file_read_after_a_rejection_by_name_does_not_pay_the_rejected(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, folders: Folders, level: str
) -> None:
    """Files read in another order than the bank wrote them (or a bank that reports its block
    settled for what it did execute): the rejection named the payment; the settlement names
    only the file or block, and must not override it."""
    kept, refused, good = rejected_by_name(
        uow, engine, phone, folders, Decimal("100.00"), Decimal("200.00")
    )

    reports: list[StatusReport] = (
        [group(good, "ACSC")] if level == "group" else [group(good, "PART"), block(good, "ACSC")]
    )
    ingest(uow, "sts-acsc.xml", pain002("STS-ACSC", reports))

    # Today the rejected payment becomes Paid ("booked by the bank after all"): it will be
    # posted as paid and its supplier never gets the money.
    assert status_of(uow, [kept, refused]) == [PaymentStatus.PAID, PaymentStatus.FAILED]


@pytest.mark.xfail(
    strict=True,
    reason="a return of any amount reopens the whole payment for signing and says all came back",
)
def test_part_of_the_money_coming_back_does_not_offer_the_whole_payment_again(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, folders: Folders
) -> None:
    """A camt.054 return carries its amount; a payment abroad may come back less the banks'
    charges, or a bank may return a part. Reopening the whole payment as Failed invites paying
    all of it again, and the alarm says the whole amount came back."""
    [payment_id] = signed(uow, phone, Decimal("1000.00"))
    folders.dispatch(uow)
    [send] = sends_of(engine, payment_id)
    e2e = str(send["end_to_end_id"])
    ingest(uow, "camt-1.xml", camt054("NTF-1", [entry(Decimal("1000.00"), end_to_end=e2e)]))
    assert status_of(uow, [payment_id]) == [PaymentStatus.PAID]

    back = entry(Decimal("1.00"), end_to_end=e2e, returned="AC04")
    result = ingest(uow, "camt-2.xml", camt054("NTF-2", [back]))

    # Today: Failed (returned), to be signed and sent again for NOK 1,000.00, with the alarm
    # "The money of payment 1 came back (PAYBOT-P1-1, NOK 1,000.00)".
    assert status_of(uow, [payment_id]) != [PaymentStatus.FAILED], result.warnings
    assert all("1,000.00" not in warning for warning in result.warnings)


@pytest.mark.xfail(
    strict=True,
    reason="a payment whose send may still leave can be fixed; its booking then records the fix",
)
def test_a_payment_paid_by_a_send_is_recorded_paid_to_that_sends_account(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, folders: Folders
) -> None:
    """No return came, so the payment is Failed (no return) while the bank may still pay its
    send; a fix of its account is allowed then. When the bank books the send, the payment is
    Paid with the fixed account: the record (and the supplier's last paid-to account, which
    dual control compares with) names an account the money never went to."""
    [payment_id] = signed(uow, phone, Decimal("1000.00"))
    folders.dispatch(uow)
    [send] = sends_of(engine, payment_id)
    later = SENT + timedelta(days=4)
    assert returns.check_missing(uow, now=later, zone=OSLO) == [payment_id]
    payments.fix(uow, actor=APPROVER, payment_id=payment_id, account=ACCOUNT_B, now=later)

    booking = entry(Decimal("1000.00"), end_to_end=str(send["end_to_end_id"]))
    ingest(uow, "camt-1.xml", camt054("NTF-1", [booking]), now=later + timedelta(hours=1))

    [paid] = rows(engine, "SELECT status, account FROM payments WHERE id = :p", p=payment_id)
    assert paid["status"] != "paid" or paid["account"] == ACCOUNT_A, paid


@pytest.mark.xfail(
    strict=True,
    reason="a booking of an earlier send pays the payment as it is now, fixed since that send",
)
def test_a_payment_paid_after_all_by_an_earlier_send_is_recorded_paid_to_that_sends_account(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, folders: Folders
) -> None:
    """The netbank showed the money had not left (it had not, yet); the account was fixed and the
    payment signed again; before the new send leaves, the bank books the first one after all.
    The payment is Paid ("booked after all", its re-send taken out) naming the fixed account."""
    [payment_id] = signed(uow, phone, Decimal("1000.00"))
    folders.dispatch(uow)
    [first] = sends_of(engine, payment_id)
    later = SENT + timedelta(days=4)
    returns.check_missing(uow, now=later, zone=OSLO)
    netbank.resolve_missing(uow, actor=SIGNER, payment_id=payment_id, money_left=False, now=later)
    payments.fix(uow, actor=APPROVER, payment_id=payment_id, account=ACCOUNT_B, now=later)
    second = enrolled_second_signer(uow)
    for signer in (phone, second):
        signer.at = max(signer.at, later)
        sign_with(uow, signer, [payment_id])
    assert status_of(uow, [payment_id]) == [PaymentStatus.DUE]

    booking = entry(Decimal("1000.00"), end_to_end=str(first["end_to_end_id"]))
    result = ingest(uow, "camt-1.xml", camt054("NTF-1", [booking]), now=later + timedelta(hours=1))

    assert result.paid == [payment_id]  # and nothing more leaves: the re-send is taken out
    [paid] = rows(engine, "SELECT status, account FROM payments WHERE id = :p", p=payment_id)
    assert paid["account"] == ACCOUNT_A, paid


def enrolled_second_signer(uow: UnitOfWork) -> Authenticator:
    people.add_user(
        uow,
        company_org_no=ORG_NO,
        slack_user_id="USIGNER2",
        name="Siri Second",
        roles=[Role.SIGNER],
        now=NOW,
    )
    return enrolled(uow, ActorRef("USIGNER2"))


@pytest.mark.xfail(
    strict=True,
    reason="the missing-return check counts from the upload, not the execution date, and "
    "ignores the bank's acceptance",
)
def test_a_payment_the_bank_accepted_for_a_later_execution_date_is_not_failed_as_unanswered(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, folders: Folders
) -> None:
    """Sent at once on signing (or 1-3 banking days ahead), a payment is executed on its due
    date; the bank accepts it (ACSP) and books it then. Two days after the upload paybot calls
    it Failed "No answer from the bank: check the netbank before paying again". The netbank
    truly shows that no money left yet; recorded so, the payment is signed and sent again, and
    on the due date the bank pays both (paybot's alarm comes with the first booking, when both
    are executed already)."""
    [payment_id] = signed(uow, phone, Decimal("1000.00"))  # due 1 December, a Tuesday
    folders.dispatch(uow)  # Monday 23 November
    [send] = sends_of(engine, payment_id)
    assert str(send["execution_date"]) == "2026-12-01"
    accepted = ingest(uow, "sts-acsp.xml", pain002("STS-ACSP", list(_accepted(send))))
    assert accepted.updated == 1 and accepted.failed == []

    failed = returns.check_missing(uow, now=SENT + timedelta(days=2), zone=OSLO)

    # Today: [payment_id], Failed (no return) with "No answer from the bank".
    assert failed == []
    assert status_of(uow, [payment_id]) == [PaymentStatus.PROCESSING]


def _accepted(send: dict[str, object]) -> list[StatusReport]:
    return [group(send, "PART"), block(send, "PART"), transaction(send, "ACSP")]
