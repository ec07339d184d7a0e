"""Dual control through the services, on both databases: every editor is remembered, a signature
belongs to the version of the payment its signer was shown, a second signature is asked for with
its reason, and one code signs at most so many payments."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, text

from paybot.core.errors import ConcurrentChange, NotPermitted, ValidationFailed
from paybot.core.payments import Reason, ReferenceType
from paybot.core.policy import Role
from paybot.core.signing import ChangedSinceShown, SecondSigner
from paybot.core.states import PaymentStatus
from paybot.services import companies, ledger, payments, people, sign_preview, signing
from paybot.services.common import ActorRef
from paybot.store.uow import UnitOfWork
from tests.builders import (
    ACCOUNT_A,
    ACCOUNT_B,
    APPROVER,
    BOX,
    KID_MOD11,
    NOW,
    ORG_NO,
    OSLO,
    SIGNER,
    Authenticator,
    a_company,
    a_supplier,
    an_item,
    enrolled,
    ledger_with,
    sign_with,
)

SIGNER2 = ActorRef("USIGNER2")
SIGNER3 = ActorRef("USIGNER3")


@pytest.fixture
def phone(uow: UnitOfWork) -> Authenticator:
    found = a_company(uow)
    assert found is not None
    return found


def a_signer(uow: UnitOfWork, who: ActorRef, name: str) -> Authenticator:
    people.add_user(
        uow, company_org_no=ORG_NO, slack_user_id=who.slack_user_id, name=name,
        roles=[Role.SIGNER], now=NOW,
    )  # fmt: skip
    return enrolled(uow, who)


@pytest.fixture
def phone2(uow: UnitOfWork, phone: Authenticator) -> Authenticator:
    return a_signer(uow, SIGNER2, "Sam Second")


@pytest.fixture
def phone3(uow: UnitOfWork, phone2: Authenticator) -> Authenticator:
    return a_signer(uow, SIGNER3, "Tora Third")


def a_payment(uow: UnitOfWork, *, registered: str | None = ACCOUNT_A, **item: Any) -> int:
    row = an_item(**item)
    return int(ledger_with(uow, [row], [a_supplier(account=registered)])[row.voucher_no].id)


def user_id(engine: Engine, actor: ActorRef) -> int:
    with engine.connect() as connection:
        found = connection.scalar(
            text("SELECT id FROM users WHERE slack_user_id = :slack"),
            {"slack": actor.slack_user_id},
        )
    assert found is not None
    return int(found)


def signature_count(engine: Engine, payment_id: int) -> int:
    with engine.connect() as connection:
        found = connection.scalar(
            text("SELECT count(*) FROM signatures WHERE payment_id = :payment"),
            {"payment": payment_id},
        )
    return int(found or 0)


def show(uow: UnitOfWork, payment_id: int) -> Any:
    return payments.show(uow, payment_id=payment_id).payment


# Every editor is remembered


def test_a_signer_who_changed_the_account_cannot_sign_alone_after_someone_else_edits_too(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, phone2: Authenticator
) -> None:
    """The reported hole: S1 puts their own account on a payment of a supplier with no registered
    account; an approver then corrects the reference; S1 signed alone and it was Due."""
    payment_id = a_payment(uow, registered=None)
    payments.fix(uow, actor=SIGNER, payment_id=payment_id, account=ACCOUNT_B, now=NOW)
    fixed = payments.fix(uow, actor=APPROVER, payment_id=payment_id, reference=KID_MOD11, now=NOW)
    assert fixed.editors == (user_id(engine, SIGNER), user_id(engine, APPROVER))
    assert fixed.changed_by_id == user_id(engine, APPROVER)  # still "who changed it last"

    [first] = sign_with(uow, phone, [payment_id])

    assert (first.payment.status, first.signatures, first.required) == (
        PaymentStatus.APPROVED,
        1,
        2,
    )
    assert first.why.reasons == (SecondSigner.OWN_CHANGE,)
    [second] = sign_with(uow, phone2, [payment_id])
    assert second.payment.status is PaymentStatus.DUE


def test_a_fix_adds_the_fixer_once(uow: UnitOfWork, engine: Engine, phone: Authenticator) -> None:
    payment_id = a_payment(uow)
    payments.fix(uow, actor=SIGNER, payment_id=payment_id, reference=KID_MOD11, now=NOW)
    payments.fix(uow, actor=APPROVER, payment_id=payment_id, reference="0000001230", now=NOW)
    payments.fix(
        uow, actor=SIGNER, payment_id=payment_id, reference_type=ReferenceType.MESSAGE,
        reference="Faktura 2", now=NOW,
    )  # fmt: skip
    assert show(uow, payment_id).editors == (user_id(engine, SIGNER), user_id(engine, APPROVER))


def test_an_approval_by_someone_who_did_not_edit_clears_the_editors(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    payment_id = a_payment(uow)
    payments.fix(uow, actor=SIGNER, payment_id=payment_id, reference=KID_MOD11, now=NOW)
    [approved] = payments.approve(uow, actor=APPROVER, payment_ids=[payment_id], now=NOW)
    assert approved.editors == ()
    [signed] = sign_with(uow, phone, [payment_id])  # the approver checked the change
    assert (signed.payment.status, signed.required) == (PaymentStatus.DUE, 1)


def test_an_approval_by_an_editor_does_not_clear_the_editors(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, phone2: Authenticator
) -> None:
    people.set_user(
        uow, company_org_no=ORG_NO, user=SIGNER, roles=[Role.SIGNER, Role.APPROVER], now=NOW
    )
    payment_id = a_payment(uow)
    payments.fix(uow, actor=SIGNER, payment_id=payment_id, account=ACCOUNT_B, now=NOW)
    [approved] = payments.approve(uow, actor=SIGNER, payment_ids=[payment_id], now=NOW)
    assert approved.editors == (user_id(engine, SIGNER),)
    [first] = sign_with(uow, phone, [payment_id])
    assert not first.complete and SecondSigner.OWN_CHANGE in first.why.reasons


def test_someone_who_did_not_edit_completes_what_an_editor_signed_first(
    uow: UnitOfWork, phone: Authenticator, phone2: Authenticator
) -> None:
    payment_id = a_payment(uow)
    payments.fix(uow, actor=SIGNER, payment_id=payment_id, reference=KID_MOD11, now=NOW)
    [first] = sign_with(uow, phone, [payment_id])
    [second] = sign_with(uow, phone2, [payment_id])
    assert (first.complete, second.payment.status) == (False, PaymentStatus.DUE)
    assert (second.signatures, second.required) == (2, 2)


def test_two_editors_signing_is_not_two_independent_people(
    uow: UnitOfWork,
    engine: Engine,
    phone: Authenticator,
    phone2: Authenticator,
    phone3: Authenticator,
) -> None:
    payment_id = a_payment(uow)
    payments.fix(uow, actor=SIGNER, payment_id=payment_id, reference=KID_MOD11, now=NOW)
    payments.fix(uow, actor=SIGNER2, payment_id=payment_id, reference="0000001248", now=NOW)
    sign_with(uow, phone, [payment_id])

    with pytest.raises(NotPermitted) as refused:
        sign_with(uow, phone2, [payment_id])

    assert refused.value.user_message == (
        f"Payment {payment_id} needs a signature from someone who did not change its account "
        "or reference: you changed it, and so did everyone who has signed it so far."
    )
    assert show(uow, payment_id).status is PaymentStatus.APPROVED
    assert signature_count(engine, payment_id) == 1
    [third] = sign_with(uow, phone3, [payment_id])
    assert third.payment.status is PaymentStatus.DUE


def test_the_preview_leaves_out_what_only_another_editor_signed(
    uow: UnitOfWork, phone: Authenticator, phone2: Authenticator
) -> None:
    payment_id = a_payment(uow)
    payments.fix(uow, actor=SIGNER, payment_id=payment_id, reference=KID_MOD11, now=NOW)
    payments.fix(uow, actor=SIGNER2, payment_id=payment_id, reference="0000001248", now=NOW)
    sign_with(uow, phone, [payment_id])
    preview = sign_preview.to_sign(uow, actor=SIGNER2, payment_ids=[payment_id], now=NOW, zone=OSLO)
    assert [p.id for p in preview.left_out_for(sign_preview.Skip.ONLY_EDITORS)] == [payment_id]


# Why a second signer


def test_a_first_signature_says_which_rules_ask_for_a_second(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    companies.update_settings(uow, org_no=ORG_NO, dual_control_threshold=Decimal("100000"), now=NOW)
    payment_id = a_payment(uow, account=ACCOUNT_B, amount=Decimal("150000.00"))
    payments.fix(uow, actor=SIGNER, payment_id=payment_id, reference=KID_MOD11, now=NOW)

    [first] = sign_with(uow, phone, [payment_id])

    assert first.why.reasons == (
        SecondSigner.ACCOUNT_CHANGED,
        SecondSigner.ABOVE_THRESHOLD,
        SecondSigner.OWN_CHANGE,
    )
    assert first.why.sentence() == (
        "the account differs from the supplier's registered account or the account it was last "
        "paid to; the amount is above the company's dual-control threshold of NOK 100,000.00; "
        "and you changed the account or reference"
    )
    event = payments.show(uow, payment_id=payment_id).history[-1]
    assert event["action"] == "payment.first_signature"
    assert event["details"]["second_signer"] == {
        "reasons": ["account_changed", "above_threshold", "own_change"],
        "threshold": "100000.00",
        "currency": "NOK",
    }


def test_signing_twice_is_refused_naming_why_a_second_signer_is_needed(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    payment_id = a_payment(uow, account=ACCOUNT_B)
    sign_with(uow, phone, [payment_id])
    with pytest.raises(NotPermitted) as refused:
        sign_with(uow, phone, [payment_id])
    assert refused.value.user_message == (
        f"You have signed payment {payment_id} already; it needs a second signer because the "
        "account differs from the supplier's registered account or the account it was last "
        "paid to."
    )


def test_a_supplier_import_that_changes_the_registered_account_reflags_its_payments(
    uow: UnitOfWork, phone: Authenticator, phone2: Authenticator
) -> None:
    """The flag a person sees follows the facts the signing rule uses, in the same import."""
    payment_id = a_payment(uow)
    assert Reason.ACCOUNT_CHANGED not in show(uow, payment_id).reasons
    ledger.import_suppliers(
        uow, company_org_no=ORG_NO, source="s2.csv", rows=[a_supplier(account=ACCOUNT_B)], now=NOW
    )
    assert Reason.ACCOUNT_CHANGED in show(uow, payment_id).reasons
    [first] = sign_with(uow, phone, [payment_id])
    assert first.why.reasons == (SecondSigner.ACCOUNT_CHANGED,)
    ledger.import_suppliers(
        uow, company_org_no=ORG_NO, source="s3.csv", rows=[a_supplier()], now=NOW
    )
    assert Reason.ACCOUNT_CHANGED not in show(uow, payment_id).reasons


# A signature belongs to the version its signer was shown


def shown_versions(uow: UnitOfWork, who: ActorRef, payment_ids: list[int]) -> dict[int, int]:
    preview = sign_preview.to_sign(uow, actor=who, payment_ids=payment_ids, now=NOW, zone=OSLO)
    return {p.id: p.signature_round for p in preview.payments}


def test_a_payment_changed_after_the_signer_looked_is_not_signed_and_the_code_still_works(
    uow: UnitOfWork, engine: Engine, phone: Authenticator
) -> None:
    payment_id, other = a_payment(uow), a_payment(uow, reference="0000001230")
    seen = shown_versions(uow, SIGNER, [payment_id, other])
    payments.fix(uow, actor=APPROVER, payment_id=payment_id, account=ACCOUNT_B, now=NOW)
    code, at = phone.code()

    with pytest.raises(ChangedSinceShown) as refused:
        signing.sign(
            uow, BOX, actor=SIGNER, payment_ids=[other, payment_id], code=code, now=at,
            versions=seen,
            zone=OSLO,
        )  # fmt: skip

    assert isinstance(refused.value, ConcurrentChange)
    assert refused.value.user_message == (
        f"Payment {payment_id} changed since you opened this — look again."
    )
    assert signature_count(engine, payment_id) == signature_count(engine, other) == 0
    assert show(uow, other).status is PaymentStatus.PROPOSED
    again = shown_versions(uow, SIGNER, [payment_id, other])
    assert again == {payment_id: 2, other: 1}
    done = signing.sign(
        uow,
        BOX,
        actor=SIGNER,
        payment_ids=[payment_id, other],
        code=code,
        now=at,
        versions=again,
        zone=OSLO,
    )  # the same code: the refused attempt did not use it
    assert [s.payment.status for s in done] == [PaymentStatus.APPROVED, PaymentStatus.DUE]


def test_a_signature_by_someone_else_meanwhile_does_not_make_the_version_old(
    uow: UnitOfWork, phone: Authenticator, phone2: Authenticator
) -> None:
    payment_id = a_payment(uow, account=ACCOUNT_B)
    seen = shown_versions(uow, SIGNER2, [payment_id])
    sign_with(uow, phone, [payment_id])
    code, at = phone2.code()
    [done] = signing.sign(
        uow,
        BOX,
        actor=SIGNER2,
        payment_ids=[payment_id],
        code=code,
        now=at,
        versions=seen,
        zone=OSLO,
    )
    assert done.payment.status is PaymentStatus.DUE


def test_unsigning_makes_the_version_old(uow: UnitOfWork, phone: Authenticator) -> None:
    payment_id = a_payment(uow)
    seen = shown_versions(uow, SIGNER, [payment_id])
    sign_with(uow, phone, [payment_id])
    signing.unsign(uow, actor=SIGNER, payment_id=payment_id, now=phone.at)
    code, at = phone.code()
    with pytest.raises(ChangedSinceShown):
        signing.sign(
            uow,
            BOX,
            actor=SIGNER,
            payment_ids=[payment_id],
            code=code,
            now=at,
            versions=seen,
            zone=OSLO,
        )


def test_a_version_is_never_a_right(uow: UnitOfWork, phone: Authenticator) -> None:
    """The right version of a payment the person may not sign still signs nothing."""
    payment_id = a_payment(uow)
    approver_phone = enrolled(uow, APPROVER)
    code, at = approver_phone.code()
    with pytest.raises(NotPermitted, match="signer role"):
        signing.sign(
            uow, BOX, actor=APPROVER, payment_ids=[payment_id], code=code, now=at,
            versions={payment_id: 1},
            zone=OSLO,
        )  # fmt: skip


# At most so many with one code


def test_more_than_the_cap_is_refused_before_anything_else(
    uow: UnitOfWork, engine: Engine, phone: Authenticator
) -> None:
    ids = list(range(1, signing.MAX_AT_ONCE + 2))  # none of them exists; the code is wrong
    with pytest.raises(ValidationFailed) as refused:
        signing.sign(uow, BOX, actor=SIGNER, payment_ids=ids, code="000000", now=NOW, zone=OSLO)
    assert refused.value.user_message == (
        "One code signs at most 200 payments; 201 were given. Nothing was signed: sign them in "
        "smaller groups."
    )
    with engine.connect() as connection:
        failures = connection.scalar(text("SELECT failures FROM otp_devices"))
        refusals = connection.execute(
            text("SELECT payment_id, details FROM audit_events WHERE action = 'payment.refused'")
        ).all()
    assert failures == 0  # the code was never looked at
    [(payment_id, details)] = refusals  # one event, not one per claimed payment
    details = json.loads(details) if isinstance(details, str) else details
    assert payment_id is None and details["code"] == "validation_failed"
    assert signing.MAX_AT_ONCE == sign_preview.MAX_AT_ONCE == 200
