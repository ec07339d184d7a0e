"""Signing with a one-time code, end to end on both databases: roles, limits, currencies,
approval, dual control, voiding by a fix, refusals, and the code device itself."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyotp
import pytest
from sqlalchemy import Engine, text

from paybot.core.errors import (
    CodeReplayed,
    InvalidOtp,
    LimitExceeded,
    MissingRate,
    NotEnrolled,
    NotPermitted,
    OtpLocked,
    PaybotError,
    ValidationFailed,
)
from paybot.core.otp import STEP_SECONDS, code_at
from paybot.core.payments import PaymentView
from paybot.core.policy import Role
from paybot.core.states import PaymentStatus
from paybot.services import otp, payments, people, rates, signing
from paybot.services.common import ActorRef
from paybot.services.secrets import SecretBox, SecretKeyMissing
from paybot.services.signing import Signed
from paybot.store.uow import UnitOfWork
from tests.builders import (
    ACCOUNT_B,
    APPROVER,
    BOX,
    KID_MOD11,
    NOW,
    ORG_NO,
    SIGNER,
    VIEWER,
    Authenticator,
    a_company,
    a_supplier,
    an_item,
    enrolled,
    ledger_with,
    sign_with,
)

OSLO = ZoneInfo("Europe/Oslo")
STEP = timedelta(seconds=STEP_SECONDS)
SIGNER2 = ActorRef("USIGNER2")
KIDS = ("0000001230", "0000001248", "0000001255", "0000001263")  # Luhn-valid, distinct


@pytest.fixture
def phone(uow: UnitOfWork) -> Authenticator:
    """Acme AS with its people; the signer's enrolled authenticator."""
    signer_phone = a_company(uow)
    assert signer_phone is not None
    return signer_phone


@pytest.fixture
def phone2(uow: UnitOfWork, phone: Authenticator) -> Authenticator:
    """A second signer, enrolled."""
    people.add_user(
        uow,
        company_org_no=ORG_NO,
        slack_user_id=SIGNER2.slack_user_id,
        name="Sam Second",
        roles=[Role.SIGNER],
        now=NOW,
    )
    return enrolled(uow, SIGNER2)


# Helpers


def a_proposal(uow: UnitOfWork, **overrides: Any) -> int:
    item = an_item(**overrides)
    return int(ledger_with(uow, [item], [a_supplier()])[item.voucher_no].id)


def proposals(uow: UnitOfWork, *amounts: str) -> list[int]:
    items = [
        an_item(amount=Decimal(amount), reference=kid)
        for amount, kid in zip(amounts, KIDS[: len(amounts)], strict=True)
    ]
    found = ledger_with(uow, items, [a_supplier()])
    return [int(found[item.voucher_no].id) for item in items]


def view(uow: UnitOfWork, payment_id: int) -> PaymentView:
    return payments.show(uow, payment_id=payment_id).payment


def history(uow: UnitOfWork, payment_id: int) -> list[dict[str, Any]]:
    return payments.show(uow, payment_id=payment_id).history


def events(uow: UnitOfWork, payment_id: int) -> list[str]:
    return [event["action"] for event in history(uow, payment_id)]


def audit_actions(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.scalars(text("SELECT action FROM audit_events ORDER BY id")))


def user_id(engine: Engine, actor: ActorRef) -> int:
    with engine.connect() as connection:
        found = connection.scalar(
            text("SELECT id FROM users WHERE slack_user_id = :slack"),
            {"slack": actor.slack_user_id},
        )
    assert found is not None
    return int(found)


def signature_rows(engine: Engine, payment_id: int) -> list[tuple[int, int, bool]]:
    """(user id, round, voided) of each signature on the payment."""
    query = text(
        "SELECT user_id, round, voided_at IS NOT NULL FROM signatures "
        "WHERE payment_id = :payment ORDER BY id"
    )
    with engine.connect() as connection:
        rows = connection.execute(query, {"payment": payment_id})
        return [(int(user), int(round_no), bool(voided)) for user, round_no, voided in rows]


def set_company(engine: Engine, **values: object) -> None:
    """Company settings that have no service yet, set straight in the database."""
    assignments = ", ".join(f"{column} = :{column}" for column in values)
    with engine.begin() as connection:
        connection.execute(text(f"UPDATE companies SET {assignments}"), values)


def limits(uow: UnitOfWork, *, per_payment: str | None = None, per_day: str | None = None) -> None:
    people.set_user(
        uow,
        company_org_no=ORG_NO,
        user=SIGNER,
        max_per_payment=None if per_payment is None else Decimal(per_payment),
        max_per_day=None if per_day is None else Decimal(per_day),
        now=NOW,
    )


def sign_at(
    uow: UnitOfWork, phone: Authenticator, payment_ids: list[int], at: datetime
) -> list[Signed]:
    """Signs with the code the phone shows at `at` (later than any code used before)."""
    phone.at = at
    code = code_at(phone.secret, at)
    return signing.sign(
        uow, BOX, actor=phone.actor, payment_ids=payment_ids, code=code, now=at, zone=OSLO
    )


def a_wrong_code(phone: Authenticator, at: datetime) -> str:
    window = {code_at(phone.secret, at + k * STEP) for k in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in window)


Snapshot = tuple[PaymentView, list[tuple[int, int, bool]]]


def snapshot(uow: UnitOfWork, engine: Engine, payment_id: int) -> Snapshot:
    return view(uow, payment_id), signature_rows(engine, payment_id)


def assert_refused_unchanged(
    uow: UnitOfWork, engine: Engine, payment_id: int, before: Snapshot, code: str
) -> None:
    """The payment and its signatures are as they were, and the refusal is audited."""
    assert snapshot(uow, engine, payment_id) == before
    last = history(uow, payment_id)[-1]
    assert last["action"] == "payment.refused"
    assert last["details"]["action"] == "sign"
    assert last["details"]["code"] == code


# Role and the plain path


def test_a_signer_signs_a_proposal_with_a_code_and_it_becomes_due(
    uow: UnitOfWork, engine: Engine, phone: Authenticator
) -> None:
    payment_id = a_proposal(uow)
    [signed] = sign_with(uow, phone, [payment_id])
    assert (signed.payment.status, signed.signatures, signed.required) == (PaymentStatus.DUE, 1, 1)
    assert signed.complete
    assert signature_rows(engine, payment_id) == [(user_id(engine, SIGNER), 1, False)]
    sign_event = history(uow, payment_id)[-1]
    assert sign_event["action"] == "payment.sign"
    assert sign_event["details"] == {
        "signatures": 1,
        "required": 1,
        "amount_company": "1250.00",
        "company_currency": "NOK",
    }


@pytest.mark.parametrize("actor", [APPROVER, VIEWER])
def test_signing_needs_the_signer_role_and_a_refusal_changes_nothing(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, actor: ActorRef
) -> None:
    payment_id = a_proposal(uow)
    other_phone = enrolled(uow, actor)
    before = snapshot(uow, engine, payment_id)
    with pytest.raises(NotPermitted, match="needs the signer role"):
        sign_with(uow, other_phone, [payment_id])
    assert_refused_unchanged(uow, engine, payment_id, before, "not_permitted")
    assert signature_rows(engine, payment_id) == []


# Limits


def test_above_the_per_payment_limit_is_refused_with_the_amounts_in_nok(
    uow: UnitOfWork, engine: Engine, phone: Authenticator
) -> None:
    limits(uow, per_payment="100000.00")
    payment_id = a_proposal(uow, amount=Decimal("250000.00"))
    before = snapshot(uow, engine, payment_id)
    with pytest.raises(LimitExceeded) as refused:
        sign_with(uow, phone, [payment_id])
    assert refused.value.user_message == (
        f"NOK 250,000.00 is above your limit of NOK 100,000.00 per payment (payment {payment_id})."
    )
    assert_refused_unchanged(uow, engine, payment_id, before, "limit_exceeded")
    assert history(uow, payment_id)[-1]["details"]["message"] == refused.value.user_message
    assert signature_rows(engine, payment_id) == []


def test_exactly_the_per_payment_limit_may_be_signed(uow: UnitOfWork, phone: Authenticator) -> None:
    limits(uow, per_payment="1250.00")
    [signed] = sign_with(uow, phone, [a_proposal(uow)])
    assert signed.payment.status is PaymentStatus.DUE


def test_the_daily_limit_adds_up_payments_signed_earlier_today(
    uow: UnitOfWork, engine: Engine, phone: Authenticator
) -> None:
    limits(uow, per_day="1000.00")
    first, second, third = proposals(uow, "600.00", "500.00", "400.00")
    sign_with(uow, phone, [first])
    before = snapshot(uow, engine, second)
    with pytest.raises(LimitExceeded) as refused:
        sign_with(uow, phone, [second])
    assert refused.value.user_message == (
        f"Signing NOK 500.00 (payment {second}) would take you above your limit of "
        "NOK 1,000.00 per day; NOK 400.00 is left today."
    )
    assert_refused_unchanged(uow, engine, second, before, "limit_exceeded")
    [signed] = sign_with(uow, phone, [third])  # exactly up to the limit
    assert signed.payment.status is PaymentStatus.DUE


def test_the_daily_limit_adds_up_payments_signed_with_one_code(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    limits(uow, per_day="1000.00")
    first, second = proposals(uow, "600.00", "600.00")
    with pytest.raises(LimitExceeded, match=f"payment {second}"):
        sign_with(uow, phone, [first, second])
    assert view(uow, first).status is PaymentStatus.PROPOSED
    assert view(uow, second).status is PaymentStatus.PROPOSED


def test_a_signature_before_oslo_midnight_does_not_count_the_next_day(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    limits(uow, per_day="1000.00")
    late, early = proposals(uow, "800.00", "800.00")
    # Both on the same UTC day (23 November), but on two Oslo days.
    sign_at(uow, phone, [late], datetime(2026, 11, 23, 23, 30, tzinfo=OSLO))
    [signed] = sign_at(uow, phone, [early], datetime(2026, 11, 24, 0, 5, tzinfo=OSLO))
    assert signed.payment.status is PaymentStatus.DUE


def test_signatures_on_one_oslo_day_count_together_across_utc_midnight(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    limits(uow, per_day="1000.00")
    night, morning = proposals(uow, "800.00", "800.00")
    # 00:30 Oslo is still 23 November in UTC; 10:00 Oslo is 24 November in both.
    sign_at(uow, phone, [night], datetime(2026, 11, 24, 0, 30, tzinfo=OSLO))
    with pytest.raises(LimitExceeded, match="NOK 200.00 is left today"):
        sign_at(uow, phone, [morning], datetime(2026, 11, 24, 10, 0, tzinfo=OSLO))


def test_a_voided_signature_no_longer_counts_towards_the_day(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    limits(uow, per_day="1000.00")
    changed = a_proposal(uow, amount=Decimal("800.00"), account=ACCOUNT_B)
    other = a_proposal(uow, amount=Decimal("800.00"), reference="0000001230")
    sign_with(uow, phone, [changed])  # first of two
    payments.fix(uow, actor=APPROVER, payment_id=changed, reference=KID_MOD11, now=NOW)
    [signed] = sign_with(uow, phone, [other])
    assert signed.payment.status is PaymentStatus.DUE


# Currencies


def test_a_payment_in_another_currency_is_checked_at_its_nok_value(
    uow: UnitOfWork, engine: Engine, phone: Authenticator
) -> None:
    rates.set_rate(uow, currency="EUR", rate=Decimal("11.5"), valid_from=date(2026, 11, 1), now=NOW)
    limits(uow, per_payment="1000.00")
    payment_id = a_proposal(uow, amount=Decimal("100.00"), currency="EUR")
    before = snapshot(uow, engine, payment_id)
    with pytest.raises(LimitExceeded, match=r"^NOK 1,150.00 is above your limit of NOK 1,000.00"):
        sign_with(uow, phone, [payment_id])
    assert_refused_unchanged(uow, engine, payment_id, before, "limit_exceeded")


def test_a_payment_in_another_currency_counts_at_its_nok_value_towards_the_day(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    rates.set_rate(uow, currency="EUR", rate=Decimal("11.5"), valid_from=date(2026, 11, 1), now=NOW)
    limits(uow, per_day="2000.00")
    in_euro = a_proposal(uow, amount=Decimal("100.00"), currency="EUR")
    in_nok = a_proposal(uow, amount=Decimal("900.00"), reference="0000001230")
    [signed] = sign_with(uow, phone, [in_euro])
    assert signed.payment.amount == Decimal("100.00")
    assert history(uow, in_euro)[-1]["details"]["amount_company"] == "1150.00"
    with pytest.raises(LimitExceeded, match="NOK 850.00 is left today"):
        sign_with(uow, phone, [in_nok])


@pytest.mark.parametrize("valid_from", [None, date(2026, 11, 24)], ids=["no-rate", "rate-later"])
def test_without_a_rate_in_force_nothing_is_signed(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, valid_from: date | None
) -> None:
    if valid_from is not None:
        rates.set_rate(uow, currency="EUR", rate=Decimal("11.5"), valid_from=valid_from, now=NOW)
    payment_id = a_proposal(uow, amount=Decimal("100.00"), currency="EUR")
    before = snapshot(uow, engine, payment_id)
    with pytest.raises(MissingRate, match="no exchange rate for EUR to NOK"):
        sign_with(uow, phone, [payment_id])
    assert_refused_unchanged(uow, engine, payment_id, before, "missing_rate")
    assert signature_rows(engine, payment_id) == []


# Approval required


def test_when_approval_is_required_a_proposal_must_be_approved_before_signing(
    uow: UnitOfWork, engine: Engine, phone: Authenticator
) -> None:
    set_company(engine, approval_required=True)
    payment_id = a_proposal(uow)
    before = snapshot(uow, engine, payment_id)
    with pytest.raises(ValidationFailed, match=f"Payment {payment_id} must be approved"):
        sign_with(uow, phone, [payment_id])
    assert_refused_unchanged(uow, engine, payment_id, before, "validation_failed")
    payments.approve(uow, actor=APPROVER, payment_ids=[payment_id], now=NOW)
    [signed] = sign_with(uow, phone, [payment_id])
    assert signed.payment.status is PaymentStatus.DUE


def test_when_approval_is_required_a_fix_after_approval_needs_a_new_approval(
    uow: UnitOfWork, engine: Engine, phone: Authenticator
) -> None:
    set_company(engine, approval_required=True)
    payment_id = a_proposal(uow)
    payments.approve(uow, actor=APPROVER, payment_ids=[payment_id], now=NOW)
    fixed = payments.fix(uow, actor=APPROVER, payment_id=payment_id, reference=KID_MOD11, now=NOW)
    assert fixed.status is PaymentStatus.PROPOSED
    fix_event = history(uow, payment_id)[-1]
    assert fix_event["details"] == {"voided_signatures": 0, "voided_approval": True}
    with pytest.raises(ValidationFailed, match="must be approved"):
        sign_with(uow, phone, [payment_id])


# Who changed it


def test_whoever_changed_the_reference_cannot_be_the_only_signer(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, phone2: Authenticator
) -> None:
    payment_id = a_proposal(uow)
    payments.fix(uow, actor=SIGNER, payment_id=payment_id, reference=KID_MOD11, now=NOW)
    [first] = sign_with(uow, phone, [payment_id])
    assert (first.payment.status, first.signatures, first.required) == (
        PaymentStatus.APPROVED,
        1,
        2,
    )
    assert events(uow, payment_id)[-1] == "payment.first_signature"
    [second] = sign_with(uow, phone2, [payment_id])
    assert second.payment.status is PaymentStatus.DUE
    assert {user for user, _, _ in signature_rows(engine, payment_id)} == {
        user_id(engine, SIGNER),
        user_id(engine, SIGNER2),
    }


def test_someone_other_than_the_changer_signs_alone(uow: UnitOfWork, phone: Authenticator) -> None:
    payment_id = a_proposal(uow)
    payments.fix(uow, actor=APPROVER, payment_id=payment_id, reference=KID_MOD11, now=NOW)
    [signed] = sign_with(uow, phone, [payment_id])
    assert (signed.payment.status, signed.required) == (PaymentStatus.DUE, 1)


# Dual control


def test_a_changed_account_needs_two_distinct_signers(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, phone2: Authenticator
) -> None:
    payment_id = a_proposal(uow, account=ACCOUNT_B)  # the supplier's registered account is A
    [first] = sign_with(uow, phone, [payment_id])
    assert (first.payment.status, first.signatures, first.required) == (
        PaymentStatus.APPROVED,
        1,
        2,
    )
    before = snapshot(uow, engine, payment_id)
    with pytest.raises(NotPermitted, match="signed payment .* already"):
        sign_with(uow, phone, [payment_id])
    assert_refused_unchanged(uow, engine, payment_id, before, "not_permitted")
    [second] = sign_with(uow, phone2, [payment_id])
    assert (second.payment.status, second.signatures, second.required) == (
        PaymentStatus.DUE,
        2,
        2,
    )
    assert events(uow, payment_id) == [
        "payment.propose",
        "payment.first_signature",
        "payment.refused",
        "payment.sign",
    ]
    assert len(signature_rows(engine, payment_id)) == 2


@pytest.mark.parametrize(
    ("amount", "after_one"),
    [("150000.00", PaymentStatus.APPROVED), ("100000.00", PaymentStatus.DUE)],
)
def test_amounts_above_the_dual_control_threshold_need_two_signers(
    uow: UnitOfWork,
    engine: Engine,
    phone: Authenticator,
    phone2: Authenticator,
    amount: str,
    after_one: PaymentStatus,
) -> None:
    set_company(engine, dual_control_threshold=1_000_000_000)  # NOK 100 000.00 in 1/10000
    payment_id = a_proposal(uow, amount=Decimal(amount))
    [first] = sign_with(uow, phone, [payment_id])
    assert first.payment.status is after_one
    if after_one is PaymentStatus.APPROVED:
        [second] = sign_with(uow, phone2, [payment_id])
        assert second.payment.status is PaymentStatus.DUE


# A fix voids what was given before it


def test_a_fix_after_a_first_signature_voids_it_and_fresh_signatures_are_needed(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, phone2: Authenticator
) -> None:
    payment_id = a_proposal(uow, account=ACCOUNT_B)
    sign_with(uow, phone, [payment_id])
    fixed = payments.fix(uow, actor=APPROVER, payment_id=payment_id, reference=KID_MOD11, now=NOW)
    assert (fixed.status, fixed.signature_round) == (PaymentStatus.PROPOSED, 2)
    fix_event = history(uow, payment_id)[-1]
    assert fix_event["action"] == "payment.fix"
    assert fix_event["details"]["voided_signatures"] == 1
    signer = user_id(engine, SIGNER)
    assert signature_rows(engine, payment_id) == [(signer, 1, True)]
    [again] = sign_with(uow, phone, [payment_id])  # the voided signature does not count
    assert (again.payment.status, again.signatures) == (PaymentStatus.APPROVED, 1)
    [done] = sign_with(uow, phone2, [payment_id])
    assert done.payment.status is PaymentStatus.DUE
    assert signature_rows(engine, payment_id) == [
        (signer, 1, True),
        (signer, 2, False),
        (user_id(engine, SIGNER2), 2, False),
    ]


def test_a_fix_after_only_a_first_signature_does_not_claim_to_void_an_approval(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    payment_id = a_proposal(uow, account=ACCOUNT_B)
    sign_with(uow, phone, [payment_id])  # first of two; nobody approved it
    payments.fix(uow, actor=APPROVER, payment_id=payment_id, reference=KID_MOD11, now=NOW)
    assert history(uow, payment_id)[-1]["details"] == {
        "voided_signatures": 1,
        "voided_approval": False,
    }


def test_a_fix_after_approval_voids_the_approval(uow: UnitOfWork, phone: Authenticator) -> None:
    payment_id = a_proposal(uow)
    payments.approve(uow, actor=APPROVER, payment_ids=[payment_id], now=NOW)
    fixed = payments.fix(uow, actor=APPROVER, payment_id=payment_id, reference=KID_MOD11, now=NOW)
    assert fixed.status is PaymentStatus.PROPOSED
    assert history(uow, payment_id)[-1]["details"] == {
        "voided_signatures": 0,
        "voided_approval": True,
    }


# Several payments with one code


def test_one_code_signs_several_payments(
    uow: UnitOfWork, engine: Engine, phone: Authenticator
) -> None:
    ids = proposals(uow, "100.00", "200.00", "300.00")
    signed = sign_with(uow, phone, ids)
    assert [result.payment.id for result in signed] == ids
    assert {result.payment.status for result in signed} == {PaymentStatus.DUE}
    assert audit_actions(engine).count("payment.sign") == 3


def test_one_refused_payment_leaves_all_unsigned_and_the_error_names_it(
    uow: UnitOfWork, engine: Engine, phone: Authenticator
) -> None:
    limits(uow, per_payment="1000.00")
    small, large = proposals(uow, "500.00", "5000.00")
    before = {payment_id: snapshot(uow, engine, payment_id) for payment_id in (small, large)}
    with pytest.raises(LimitExceeded, match=f"payment {large}"):
        sign_with(uow, phone, [small, large])
    for payment_id in (small, large):
        assert_refused_unchanged(uow, engine, payment_id, before[payment_id], "limit_exceeded")
        assert signature_rows(engine, payment_id) == []


# The one-time code


@pytest.mark.parametrize("steps", [-1, 1])
def test_a_code_one_step_off_is_accepted(uow: UnitOfWork, phone: Authenticator, steps: int) -> None:
    payment_id = a_proposal(uow)
    at = NOW + timedelta(minutes=10)
    code = code_at(phone.secret, at + steps * STEP)
    [signed] = signing.sign(
        uow, BOX, actor=SIGNER, payment_ids=[payment_id], code=code, now=at, zone=OSLO
    )
    assert signed.payment.status is PaymentStatus.DUE


@pytest.mark.parametrize("steps", [-2, 2])
def test_a_code_two_steps_off_is_refused_and_audited_as_a_failure(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, steps: int
) -> None:
    payment_id = a_proposal(uow)
    before = snapshot(uow, engine, payment_id)
    at = NOW + timedelta(minutes=10)
    code = code_at(phone.secret, at + steps * STEP)
    with pytest.raises(InvalidOtp, match="not right"):
        signing.sign(uow, BOX, actor=SIGNER, payment_ids=[payment_id], code=code, now=at, zone=OSLO)
    assert snapshot(uow, engine, payment_id) == before
    assert audit_actions(engine)[-1] == "otp.failure"  # a code failure, not a payment refusal


def test_a_code_already_used_is_refused(uow: UnitOfWork, phone: Authenticator) -> None:
    first, second = proposals(uow, "100.00", "200.00")
    code, at = phone.code()
    signing.sign(uow, BOX, actor=SIGNER, payment_ids=[first], code=code, now=at, zone=OSLO)
    with pytest.raises(InvalidOtp, match="used already"):
        signing.sign(uow, BOX, actor=SIGNER, payment_ids=[second], code=code, now=at, zone=OSLO)
    assert view(uow, second).status is PaymentStatus.PROPOSED


def test_a_right_code_sent_again_and_again_does_not_lock_signing(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    first, second = proposals(uow, "100.00", "200.00")
    code, at = phone.code()
    signing.sign(uow, BOX, actor=SIGNER, payment_ids=[first], code=code, now=at, zone=OSLO)
    for _ in range(6):  # a double click, many times over
        with pytest.raises(CodeReplayed):
            signing.sign(uow, BOX, actor=SIGNER, payment_ids=[second], code=code, now=at, zone=OSLO)
    [signed] = sign_with(uow, phone, [second])
    assert signed.payment.status is PaymentStatus.DUE


def test_five_wrong_codes_lock_signing_for_fifteen_minutes(
    uow: UnitOfWork, engine: Engine, phone: Authenticator
) -> None:
    payment_id = a_proposal(uow)
    at = NOW + timedelta(minutes=10)
    for attempt in range(5):
        with pytest.raises(InvalidOtp):
            signing.sign(
                uow,
                BOX,
                actor=SIGNER,
                payment_ids=[payment_id],
                code=a_wrong_code(phone, at),
                now=at + attempt * timedelta(seconds=5),
                zone=OSLO,
            )
    locked_at = at + timedelta(minutes=1)
    with pytest.raises(OtpLocked, match="locked after 5 wrong codes"):
        sign_at(uow, phone, [payment_id], locked_at)
    actions = audit_actions(engine)
    assert actions.count("otp.failure") == 5
    assert actions.count("otp.locked") == 1
    assert actions.index("otp.locked") == actions.index("otp.failure") + 5
    assert actions[-1] == "otp.refused_locked"
    assert view(uow, payment_id).status is PaymentStatus.PROPOSED
    with pytest.raises(OtpLocked):
        sign_at(uow, phone, [payment_id], at + timedelta(minutes=14, seconds=59))
    [signed] = sign_at(uow, phone, [payment_id], at + timedelta(minutes=15, seconds=30))
    assert signed.payment.status is PaymentStatus.DUE


def test_an_admin_unlock_lifts_the_lock_at_once(uow: UnitOfWork, phone: Authenticator) -> None:
    payment_id = a_proposal(uow)
    at = NOW + timedelta(minutes=10)
    for _ in range(5):
        with pytest.raises(InvalidOtp):
            code = a_wrong_code(phone, at)
            signing.sign(
                uow, BOX, actor=SIGNER, payment_ids=[payment_id], code=code, now=at, zone=OSLO
            )
    with pytest.raises(OtpLocked):
        sign_at(uow, phone, [payment_id], at + STEP)
    otp.unlock(uow, user=SIGNER, now=at + 2 * STEP)
    [signed] = sign_at(uow, phone, [payment_id], at + 3 * STEP)
    assert signed.payment.status is PaymentStatus.DUE


def test_a_right_code_resets_the_wrong_codes_in_a_row(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    first, second = proposals(uow, "100.00", "200.00")
    at = NOW + timedelta(minutes=10)

    def four_wrong(when: datetime, payment_id: int) -> None:
        for _ in range(4):
            with pytest.raises(InvalidOtp):
                code = a_wrong_code(phone, when)
                signing.sign(
                    uow, BOX, actor=SIGNER, payment_ids=[payment_id], code=code, now=when, zone=OSLO
                )

    four_wrong(at, first)
    sign_at(uow, phone, [first], at)
    four_wrong(at + STEP, second)
    [signed] = sign_at(uow, phone, [second], at + STEP)
    assert signed.payment.status is PaymentStatus.DUE


def test_after_a_reset_the_signer_is_not_enrolled(
    uow: UnitOfWork, engine: Engine, phone: Authenticator
) -> None:
    payment_id = a_proposal(uow)
    otp.reset(uow, user=SIGNER, now=NOW)
    before = snapshot(uow, engine, payment_id)
    with pytest.raises(NotEnrolled):
        sign_with(uow, phone, [payment_id])
    assert_refused_unchanged(uow, engine, payment_id, before, "not_enrolled")
    with pytest.raises(NotEnrolled):
        otp.reset(uow, user=SIGNER, now=NOW)


def test_a_signer_who_never_enrolled_is_not_enrolled(uow: UnitOfWork, phone: Authenticator) -> None:
    payment_id = a_proposal(uow)
    people.add_user(
        uow, company_org_no=ORG_NO, slack_user_id="UNEW", name="New", roles=[Role.SIGNER], now=NOW
    )
    with pytest.raises(NotEnrolled, match="no confirmed one-time-code device"):
        signing.sign(
            uow,
            BOX,
            actor=ActorRef("UNEW"),
            payment_ids=[payment_id],
            code="123456",
            now=NOW,
            zone=OSLO,
        )


def test_a_device_not_yet_confirmed_cannot_sign(uow: UnitOfWork, phone: Authenticator) -> None:
    payment_id = a_proposal(uow)
    otp.reset(uow, user=SIGNER, now=NOW)  # a lost phone; the new one is not confirmed yet
    enrollment = otp.enroll(uow, BOX, company_org_no=ORG_NO, user=SIGNER, now=NOW)
    new_phone = Authenticator(SIGNER, pyotp.parse_uri(enrollment.uri).secret)
    with pytest.raises(NotEnrolled):
        sign_with(uow, new_phone, [payment_id])
    assert view(uow, payment_id).status is PaymentStatus.PROPOSED


# Secrets at rest


def stored_secret(engine: Engine) -> str:
    with engine.connect() as connection:
        token = connection.scalar(text("SELECT secret_encrypted FROM otp_devices"))
    assert isinstance(token, str)
    return token


def test_the_database_holds_no_readable_secret(
    uow: UnitOfWork, engine: Engine, database_url: str, phone: Authenticator
) -> None:
    token = stored_secret(engine)
    assert token != phone.secret
    assert phone.secret not in token
    assert BOX.decrypt(token) == phone.secret
    if database_url.startswith("sqlite"):
        engine.dispose()
        path = Path(database_url.removeprefix("sqlite:///"))
        dump = b"".join(file.read_bytes() for file in path.parent.glob(f"{path.name}*"))
        assert b"Sigrid Signer" in dump  # the dump does hold the data
        assert phone.secret.encode() not in dump


def test_a_box_with_the_new_and_old_keys_reads_tokens_of_the_old_key() -> None:
    old_key, new_key = SecretBox.new_key(), SecretBox.new_key()
    token = SecretBox(old_key).encrypt("JBSWY3DPEHPK3PXP")
    assert SecretBox(f"{new_key},{old_key}").decrypt(token) == "JBSWY3DPEHPK3PXP"
    with pytest.raises(SecretKeyMissing):
        SecretBox(new_key).decrypt(token)


def test_rotating_the_key_lets_a_box_with_only_the_new_key_sign(
    uow: UnitOfWork, engine: Engine
) -> None:
    old_key, new_key = SecretBox.new_key(), SecretBox.new_key()
    old_box, new_box = SecretBox(old_key), SecretBox(new_key)
    a_company(uow, with_people=False)
    people.add_user(
        uow,
        company_org_no=ORG_NO,
        slack_user_id=SIGNER.slack_user_id,
        name="Sig",
        roles=[Role.SIGNER],
        now=NOW,
    )
    enrollment = otp.enroll(uow, old_box, company_org_no=ORG_NO, user=SIGNER, now=NOW)
    phone = Authenticator(SIGNER, pyotp.parse_uri(enrollment.uri).secret)
    code, at = phone.code()
    otp.confirm(uow, old_box, user=SIGNER, code=code, now=at)
    payment_id = a_proposal(uow)
    with pytest.raises(SecretKeyMissing):
        new_box.decrypt(stored_secret(engine))

    assert otp.rotate_key(uow, SecretBox(f"{new_key},{old_key}"), now=NOW) == 1

    assert new_box.decrypt(stored_secret(engine)) == phone.secret
    code, at = phone.code()
    [signed] = signing.sign(
        uow, new_box, actor=SIGNER, payment_ids=[payment_id], code=code, now=at, zone=OSLO
    )
    assert signed.payment.status is PaymentStatus.DUE
    assert "otp.rotate_key" in audit_actions(engine)


# Errors


def test_signing_nothing_or_an_unknown_payment_is_refused_with_a_sentence(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    with pytest.raises(PaybotError) as refused:
        sign_with(uow, phone, [])
    assert refused.value.user_message
    with pytest.raises(PaybotError, match="no payment 999"):
        sign_with(uow, phone, [999])


def test_enrolling_again_does_not_silently_replace_an_active_device(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    with pytest.raises(ValidationFailed, match="active one-time-code device already"):
        otp.enroll(uow, BOX, company_org_no=ORG_NO, user=SIGNER, now=NOW)
    [signed] = sign_with(uow, phone, [a_proposal(uow)])
    assert signed.payment.status is PaymentStatus.DUE


def test_enrolling_with_another_key_than_the_stored_secrets_use_is_refused(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    with pytest.raises(SecretKeyMissing):
        otp.enroll(
            uow, SecretBox(SecretBox.new_key()), company_org_no=ORG_NO, user=APPROVER, now=NOW
        )
