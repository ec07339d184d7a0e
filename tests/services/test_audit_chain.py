"""The audit trail's hash chain on both databases: intact after use, and any change or removal
of an event is found and named."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import JSON, Engine, bindparam, text
from sqlalchemy.orm import Session

from paybot.core.audit_chain import GENESIS, HASHED_FIELDS, event_hash
from paybot.core.errors import InvalidOtp, LimitExceeded
from paybot.services import audit_trail, otp, payments, people, rates, signing
from paybot.store.models import AuditEvent
from paybot.store.uow import UnitOfWork
from tests.builders import (
    ACCOUNT_B,
    APPROVER,
    BOX,
    KID_MOD11,
    NOW,
    ORG_NO,
    OSLO,
    SIGNER,
    a_company,
    a_supplier,
    an_item,
    ledger_with,
    sign_with,
)


def stored_events(engine: Engine) -> list[tuple[int, str, str, str]]:
    """(id, action, prev_hash, hash) of every audit event, oldest first."""
    query = text("SELECT id, action, prev_hash, hash FROM audit_events ORDER BY id")
    with engine.connect() as connection:
        return [(int(row[0]), row[1], row[2], row[3]) for row in connection.execute(query)]


@pytest.fixture
def event_ids(uow: UnitOfWork, engine: Engine) -> list[int]:
    """A company used for a while: people, a code device, imports, an approval, signatures, a fix,
    a wrong code, a refusal and a rate. Returns the audit event ids, oldest first."""
    phone = a_company(uow)
    assert phone is not None
    items = [an_item(), an_item(reference="0000001230"), an_item(account=ACCOUNT_B)]
    found = ledger_with(uow, items, [a_supplier()])
    first, second, changed = (int(found[item.voucher_no].id) for item in items)
    payments.approve(uow, actor=APPROVER, payment_ids=[first], now=NOW)
    sign_with(uow, phone, [first])
    sign_with(uow, phone, [changed])  # the first of two signatures: the account changed
    payments.fix(uow, actor=APPROVER, payment_id=changed, reference=KID_MOD11, now=NOW)
    for _ in range(5):  # wrong codes, up to a lock (its details hold a time)
        with pytest.raises(InvalidOtp):
            signing.sign(
                uow, BOX, actor=SIGNER, payment_ids=[second], code="00000", now=phone.at, zone=OSLO
            )
    otp.unlock(uow, user=SIGNER, now=NOW)
    people.set_user(uow, company_org_no=ORG_NO, user=SIGNER, max_per_payment=Decimal("10"), now=NOW)
    with pytest.raises(LimitExceeded):
        sign_with(uow, phone, [second])
    rates.set_rate(uow, currency="EUR", rate=Decimal("11.5"), valid_from=NOW.date(), now=NOW)
    euro = an_item(amount=Decimal("0.50"), currency="EUR", reference="0000001255")
    euro_id = int(ledger_with(uow, [euro])[euro.voucher_no].id)
    code, at = phone.code()
    in_oslo = at.astimezone(ZoneInfo("Europe/Oslo"))  # a time given in another zone
    signing.sign(uow, BOX, actor=SIGNER, payment_ids=[euro_id], code=code, now=in_oslo, zone=OSLO)
    return [event_id for event_id, *_ in stored_events(engine)]


def middle(ids: list[int]) -> int:
    return ids[len(ids) // 2]


def test_the_chain_is_intact_after_normal_use(
    uow: UnitOfWork, engine: Engine, event_ids: list[int]
) -> None:
    result = audit_trail.verify(uow)
    assert (result.intact, result.broken_at, result.problem) == (True, None, None)
    assert result.events == len(event_ids) >= 20
    actions = {action for _, action, _, _ in stored_events(engine)}
    assert {"payment.sign", "payment.first_signature", "payment.fix", "payment.refused"} <= actions
    assert {
        "otp.enroll",
        "otp.confirm",
        "otp.failure",
        "otp.locked",
        "otp.unlock",
        "user.set",
        "rate.set",
    } <= actions


def test_each_event_holds_the_hash_of_the_one_before(engine: Engine, event_ids: list[int]) -> None:
    events = stored_events(engine)
    assert events[0][2] == GENESIS
    for (_, _, _, before_hash), (_, _, prev_hash, _) in zip(events, events[1:], strict=False):
        assert prev_hash == before_hash
    assert len({event_hash for *_, event_hash in events}) == len(events)


def test_an_empty_trail_is_intact(uow: UnitOfWork) -> None:
    result = audit_trail.verify(uow)
    assert (result.intact, result.events) == (True, 0)


def test_changed_details_of_a_middle_event_are_found_and_named(
    uow: UnitOfWork, engine: Engine, event_ids: list[int]
) -> None:
    target = middle(event_ids)
    update = text("UPDATE audit_events SET details = :details WHERE id = :id").bindparams(
        bindparam("details", type_=JSON)
    )
    with engine.begin() as connection:
        connection.execute(update, {"details": {"note": "nothing to see"}, "id": target})
    result = audit_trail.verify(uow)
    assert not result.intact
    assert result.broken_at == target
    assert result.problem is not None and "changed" in result.problem
    assert result.events == len(event_ids)


def test_a_changed_actor_of_a_middle_event_is_found_and_named(
    uow: UnitOfWork, engine: Engine, event_ids: list[int]
) -> None:
    target = middle(event_ids)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_events SET actor_label = 'Someone Else' WHERE id = :id"),
            {"id": target},
        )
    assert audit_trail.verify(uow).broken_at == target


def test_a_change_with_a_recomputed_hash_is_found_at_the_next_event(
    uow: UnitOfWork, engine: Engine, event_ids: list[int]
) -> None:
    target = middle(event_ids)
    with Session(engine) as session, session.begin():
        event = session.get_one(AuditEvent, target)
        event.actor_label = "Someone Else"
        content = {name: getattr(event, name) for name in HASHED_FIELDS}
        event.hash = event_hash(event.prev_hash, content)  # the forger covers the change
    result = audit_trail.verify(uow)
    assert result.broken_at == event_ids[event_ids.index(target) + 1]
    assert result.problem is not None and "does not follow" in result.problem


def test_a_deleted_middle_event_is_found_at_the_one_after_it(
    uow: UnitOfWork, engine: Engine, event_ids: list[int]
) -> None:
    target = middle(event_ids)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": target})
    result = audit_trail.verify(uow)
    assert result.broken_at == event_ids[event_ids.index(target) + 1]
    assert result.problem is not None and "removed" in result.problem
    assert result.events == len(event_ids) - 1


def test_a_deleted_first_event_is_found(
    uow: UnitOfWork, engine: Engine, event_ids: list[int]
) -> None:
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": event_ids[0]})
    assert audit_trail.verify(uow).broken_at == event_ids[1]


def test_events_written_after_a_change_do_not_hide_it(
    uow: UnitOfWork, engine: Engine, event_ids: list[int]
) -> None:
    target = middle(event_ids)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_events SET actor_label = 'Someone Else' WHERE id = :id"),
            {"id": target},
        )
    rates.set_rate(uow, currency="SEK", rate=Decimal("0.98"), valid_from=NOW.date(), now=NOW)
    assert audit_trail.verify(uow).broken_at == target


def test_garbled_stored_data_is_named_not_crashed_on(
    uow: UnitOfWork, engine: Engine, event_ids: list[int], database_url: str
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's json type refuses such a change itself")
    target = middle(event_ids)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_events SET details = 'not json' WHERE id = :id"), {"id": target}
        )
    result = audit_trail.verify(uow)
    assert result.broken_at == target
    assert "cannot even be read" in (result.problem or "")
