"""What a signature depends on, read in one statement (SignatureRepository.facts), is what the
one-payment reads say: known accounts, who signed the round, what the signer signed that day."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import update

from paybot.store.models import Payment
from paybot.store.uow import UnitOfWork
from tests.builders import (
    ACCOUNT_B,
    APPROVER,
    NOW,
    SIGNER,
    a_company,
    a_supplier,
    an_item,
    ledger_with,
)

OTHER = "987654325"  # a second supplier's org no


def test_facts_agree_with_the_reads_of_one_payment(uow: UnitOfWork) -> None:
    a_company(uow)
    found = ledger_with(
        uow,
        [
            an_item(reference="0000001230"),
            an_item(reference="0000001248"),
            an_item(reference="0000001255"),
            an_item(supplier_name="Other AS", supplier_org_no=OTHER, reference="0000001263"),
        ],
        [a_supplier(), a_supplier(line=3, name="Other AS", org_no=OTHER, account=None)],
    )
    first, second, paid, other = sorted(found.values(), key=lambda p: p.id)
    day = (NOW - timedelta(hours=1), NOW + timedelta(hours=1))
    with uow:
        signer = uow.users.find(SIGNER.slack_user_id)[0][0]
        approver = uow.users.find(APPROVER.slack_user_id)[0][0]
        company = uow.companies.get(first.company_org_no)
        assert company is not None
        # Paid earlier to another account: the supplier's last paid-to account.
        uow._session.execute(  # noqa: SLF001 - a state no use case here reaches quickly
            update(Payment)
            .where(Payment.id == paid.id)
            .values(status="paid", paid_at=NOW - timedelta(days=3), account=ACCOUNT_B)
        )
        sign = uow.signatures.add
        sign(payment_id=first.id, user_id=approver, company_id=company.id, round_no=1,
             signed_at=NOW, amount_company=Decimal("10.00"))  # fmt: skip
        sign(payment_id=first.id, user_id=signer, company_id=company.id, round_no=2,
             signed_at=NOW, amount_company=Decimal("20.00"))  # fmt: skip
        sign(payment_id=second.id, user_id=signer, company_id=company.id, round_no=1,
             signed_at=NOW - timedelta(days=1), amount_company=Decimal("40.00"))  # fmt: skip
        sign(payment_id=other.id, user_id=signer, company_id=company.id, round_no=1,
             signed_at=NOW, amount_company=Decimal("80.00"))  # fmt: skip
        sign(payment_id=other.id, user_id=approver, company_id=company.id, round_no=1,
             signed_at=NOW, amount_company=Decimal("160.00"))  # fmt: skip
        uow.signatures.void(second.id, NOW)
        uow.commit()
    ids = [first.id, second.id, paid.id, other.id]
    with uow:
        facts = uow.signatures.facts(signer, ids, *day)
        assert set(facts) == set(ids)
        for payment in (first, second, paid, other):
            view = uow.payments.get(payment.id)
            assert view is not None
            known = facts[payment.id]
            assert known.signature_round == view.signature_round
            assert (known.registered_account, known.last_paid_account) == (
                uow.ledger.known_accounts(company.id, view.supplier_id)
            )
            assert known.signers == uow.signatures.signers(view.id, view.signature_round)
            assert known.signed_in_period == uow.signatures.total_since(signer, company.id, *day)
    assert facts[first.id].signers == {approver}
    assert facts[second.id].signers == frozenset()  # voided
    assert facts[other.id].signers == {signer, approver}
    assert facts[first.id].last_paid_account == ACCOUNT_B
    assert facts[other.id].registered_account is None
    assert facts[first.id].signed_in_period == Decimal("100.00")  # this day's, not voided
