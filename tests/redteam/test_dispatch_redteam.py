"""Dispatch against one company's settings and against people acting at the same moment, on both
databases (the races on PostgreSQL: SQLite serializes every writer)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, text

from paybot.bank.sandbox import read_order
from paybot.core.company import DispatchTiming
from paybot.core.errors import PaybotError
from paybot.core.policy import Role
from paybot.core.states import PaymentStatus
from paybot.services import companies, ledger, payments, people, proposals, signing
from paybot.services.common import SYSTEM, ActorRef, audit
from paybot.store.uow import UnitOfWork
from tests.builders import (
    ACCOUNT_A,
    ACCOUNT_B,
    APPROVER,
    BOX,
    COMPANY_ACCOUNT,
    NOW,
    ORG_NO,
    OSLO,
    Authenticator,
    a_company,
    a_supplier,
    an_item,
    enrolled,
    ledger_with,
    sign_with,
)
from tests.redteam.conftest import SENT, Folders, a_kid, rows, signed, status_of

BETA, BETA_ACCOUNT = "920000002", "15030100023"


def beta_with_a_due_payment(uow: UnitOfWork) -> int:
    """Beta AS (sorted after Acme AS), sending at once, with one payment signed."""
    companies.add_company(
        uow, org_no=BETA, name="Beta AS", account=BETA_ACCOUNT, bank="DNB", now=NOW
    )
    companies.update_settings(uow, org_no=BETA, timing=DispatchTiming.IMMEDIATE, now=NOW)
    signer = ActorRef("UBETA")
    people.add_user(
        uow, company_org_no=BETA, slack_user_id="UBETA", name="Bente", roles=[Role.SIGNER], now=NOW
    )
    phone = enrolled(uow, signer, BETA)
    ledger.import_suppliers(uow, company_org_no=BETA, source="s.csv", rows=[a_supplier()], now=NOW)
    item = an_item(amount=Decimal("20.00"), reference=a_kid())
    ledger.import_open_items(uow, company_org_no=BETA, source="i.csv", rows=[item], now=NOW)
    proposals.refresh(uow, company_org_no=BETA, now=NOW)
    [payment] = proposals.list_payments(uow, company_org_no=BETA)
    sign_with(uow, phone, [payment.id])
    return payment.id


def test_one_company_without_an_outgoing_agreement_does_not_stop_the_others(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, folders: Folders
) -> None:
    """Acme's only account loses its outgoing agreement while a payment of Acme is Due (an admin
    changed it, or the bank ended it). The scheduled dispatch runs every company in one call:
    Beta's payments must still go, and Acme's must be said, not silently left Due."""
    [acme_payment] = signed(uow, phone, Decimal("10.00"))
    beta_payment = beta_with_a_due_payment(uow)
    companies.set_bank_account(
        uow, org_no=ORG_NO, account=COMPANY_ACCOUNT, values={"outgoing": False}, now=NOW
    )

    result = folders.dispatch(uow)

    assert status_of(uow, [beta_payment]) == [PaymentStatus.PROCESSING]
    assert status_of(uow, [acme_payment]) == [PaymentStatus.DUE]
    told = rows(engine, "SELECT kind FROM alarms WHERE company_id = 1")
    assert result.refused or told, "Acme's payment waits: someone must be told why"


Click = Callable[[UnitOfWork], object]


def at_once(engine: Engine, clicks: list[Click]) -> list[BaseException | None]:
    """Each click in its own thread and unit of work, released together; what each raised."""
    barrier = threading.Barrier(len(clicks), timeout=30)
    outcomes: list[BaseException | None] = [None] * len(clicks)

    def run(index: int, click: Click) -> None:
        uow = UnitOfWork(engine)
        barrier.wait()
        try:
            click(uow)
        except BaseException as exc:  # noqa: BLE001 - collected, and asserted on by the test
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(clicks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.parametrize("round_no", range(4))
def test_a_fix_racing_the_second_signature_and_the_dispatcher_never_sends_the_unsigned_account(
    engine: Engine, database_url: str, folders: Folders, round_no: int
) -> None:
    """An account changed (two signers needed), signed by one; then at the same moment the
    approver fixes the account back, the second signer signs the version they were shown, two
    dispatchers run, the first signer takes the signatures back (and the approver deletes it).
    Whatever wins, a file names only the account both signers signed, and a payment that went
    has its two signatures standing; otherwise nothing is due.

    (A deadlock between the dispatcher's company lock and the audit chain may abort one of the
    clicks: test_a_click_and_the_dispatcher_do_not_deadlock_on_the_company_and_the_audit_chain.
    A click so aborted changed nothing; what is checked here holds either way.)"""
    if "sqlite" in database_url:
        pytest.skip("races need row locks: PostgreSQL only (SQLite serializes every writer)")
    setup = UnitOfWork(engine)
    first = enrolled_acme(setup)
    people.add_user(
        setup,
        company_org_no=ORG_NO,
        slack_user_id="USIGNER2",
        name="Siri",
        roles=[Role.SIGNER],
        now=NOW,
    )
    second = enrolled(setup, ActorRef("USIGNER2"))
    item = an_item(account=ACCOUNT_B, reference=a_kid())
    payment_id = int(ledger_with(setup, [item], [a_supplier()])[item.voucher_no].id)
    [done] = sign_with(setup, first, [payment_id])
    assert not done.complete
    shown = payments.show(setup, payment_id=payment_id).payment.signature_round
    code, at = second.code()

    def fix(uow: UnitOfWork) -> object:
        return payments.fix(uow, actor=APPROVER, payment_id=payment_id, account=ACCOUNT_A, now=at)

    def sign(uow: UnitOfWork) -> object:
        return signing.sign(
            uow,
            BOX,
            actor=second.actor,
            payment_ids=[payment_id],
            code=code,
            now=at,
            zone=OSLO,
            versions={payment_id: shown},
        )

    def dispatch(uow: UnitOfWork) -> object:
        return folders.dispatch(uow, now=SENT)

    def unsign(uow: UnitOfWork) -> object:
        return signing.unsign(uow, actor=first.actor, payment_id=payment_id, now=at)

    def delete(uow: UnitOfWork) -> object:
        return payments.delete(uow, actor=APPROVER, payment_ids=[payment_id], now=at)

    clicks: list[Click] = [fix, sign, dispatch, dispatch, unsign]
    if round_no >= 2:
        clicks.append(delete)
    if round_no % 2:
        clicks.reverse()
    outcomes = at_once(engine, clicks)
    # Past the upload timeout: a batch left uploading by an aborted dispatcher is finished.
    folders.dispatch(setup, now=SENT + timedelta(minutes=10))

    unexpected = [
        e for e in outcomes if e is not None and not isinstance(e, PaybotError) and not _deadlock(e)
    ]
    assert not unexpected, unexpected
    sent = [p for f in folders.outbox.glob("PAYBOT-B*.xml") for p in read_order(f.read_bytes())]
    status = status_of(setup, [payment_id])[0]
    standing = rows(
        engine,
        "SELECT s.user_id FROM signatures s JOIN payments p ON p.id = s.payment_id "
        "WHERE s.payment_id = :p AND s.round = p.signature_round AND s.voided_at IS NULL",
        p=payment_id,
    )
    if sent:
        assert [p.creditor_account for p in sent] == [ACCOUNT_B]
        assert status in (PaymentStatus.PROCESSING, PaymentStatus.FAILED), status
        assert len(standing) == 2
    else:
        assert status in (PaymentStatus.PROPOSED, PaymentStatus.APPROVED, PaymentStatus.DELETED)
        assert len(standing) <= 1


def _deadlock(error: BaseException) -> bool:
    """PostgreSQL aborted the click's transaction to break a deadlock (raised by SQLAlchemy, or
    by psycopg itself where the audit chain is appended through the driver)."""
    return "deadlock detected" in str(error)


@pytest.mark.xfail(
    strict=True,
    reason="lock_company is FOR UPDATE: it blocks the FK check of an audit event holding the "
    "chain lock, in a ring",
)
def test_a_click_and_the_dispatcher_do_not_deadlock_on_the_company_and_the_audit_chain(
    uow: UnitOfWork, engine: Engine, database_url: str, phone: Authenticator
) -> None:
    """The dispatcher (and a return file, and a netbank check) locks the company's row, then
    writes its audit events, which append to the chain under the chain's lock. A person's
    action in that company, committing at that moment, holds the chain's lock while its audit
    event's foreign key waits for the company's row: each waits for the other. PostgreSQL aborts
    one: a person's click fails with a database error, or the dispatcher's transaction (after the
    upload, its file is then taken as broken off: Failed, no return, for a person to check)."""
    if "sqlite" in database_url:
        pytest.skip("row locks and advisory locks: PostgreSQL only")
    [payment_id] = signed(uow, phone, Decimal("10.00"))
    unsigned = UnitOfWork(engine)
    errors: list[BaseException] = []

    def take_it_back() -> None:
        try:
            signing.unsign(unsigned, actor=ActorRef("USIGNER"), payment_id=payment_id, now=NOW)
        except BaseException as exc:  # noqa: BLE001 - asserted on below
            errors.append(exc)

    dispatcher = UnitOfWork(engine)
    with dispatcher:
        company = dispatcher.companies.get(ORG_NO)
        assert company is not None
        dispatcher.bank.lock_company(company.id)  # as dispatching._prepare, first thing
        person = threading.Thread(target=take_it_back)
        person.start()
        _wait_until_blocked(engine)  # the unsign's audit event waits for the company's row
        try:
            audit(
                dispatcher,
                actor=SYSTEM,
                action="batch.prepare",
                now=NOW,
                company_id=company.id,
                details={},
            )
            dispatcher.commit()
        except BaseException as exc:  # noqa: BLE001 - asserted on below
            errors.append(exc)
        person.join(timeout=30)

    assert not errors, [str(getattr(e, "orig", e)).splitlines()[0] for e in errors]
    assert status_of(uow, [payment_id]) == [PaymentStatus.APPROVED]


def _wait_until_blocked(engine: Engine) -> None:
    """Until another session waits for a lock (at most 10 s)."""
    for _ in range(200):
        with engine.connect() as connection:
            waiting = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()"
                )
            ).scalar_one()
        if waiting:
            return
        time.sleep(0.05)
    raise AssertionError("nothing waited for a lock")


def enrolled_acme(uow: UnitOfWork) -> Authenticator:
    phone = a_company(uow)
    assert phone is not None
    companies.update_settings(uow, org_no=ORG_NO, timing=DispatchTiming.IMMEDIATE, now=NOW)
    return phone
