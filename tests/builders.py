"""Test data, built with overrides: `an_item(amount=Decimal("-100"))`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pyotp

from paybot.core.ledger_file import OpenItemRow, SupplierRow
from paybot.core.otp import STEP_SECONDS, code_at
from paybot.core.payments import ReferenceType
from paybot.core.policy import Role
from paybot.services import companies, ledger, otp, people, proposals, signing
from paybot.services.common import ActorRef
from paybot.services.secrets import SecretBox
from paybot.services.signing import Signed
from paybot.store.uow import UnitOfWork

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
# The business time zone the tests run in (PAYBOT_TIMEZONE's default).
OSLO = ZoneInfo("Europe/Oslo")
ORG_NO = "974760673"
COMPANY_ACCOUNT = "86011117947"
# Valid Norwegian accounts (MOD11) for payees.
ACCOUNT_A = "12345678903"
ACCOUNT_B = "15030100007"
KID_MOD10 = "12345678903"  # Luhn-valid
KID_MOD11 = "86011117947"
SIGNER = ActorRef("USIGNER")
APPROVER = ActorRef("UAPPROVER")
VIEWER = ActorRef("UVIEWER")

_voucher_counter = iter(range(1000, 10**9))


def a_supplier(**overrides: Any) -> SupplierRow:
    values: dict[str, Any] = {
        "line": 2,
        "name": "Leverandør AS",
        "org_no": "923609016",
        "account": ACCOUNT_A,
    }
    values.update(overrides)
    return SupplierRow(**values)


def an_item(**overrides: Any) -> OpenItemRow:
    voucher = str(next(_voucher_counter))
    values: dict[str, Any] = {
        "line": 2,
        "voucher_no": voucher,
        "invoice_no": f"INV-{voucher}",
        "supplier_name": "Leverandør AS",
        "supplier_org_no": "923609016",
        "account": ACCOUNT_A,
        "amount": Decimal("1250.00"),
        "currency": "NOK",
        "invoice_date": date(2026, 11, 1),
        "due_date": date(2026, 12, 1),
        "reference_type": ReferenceType.KID,
        "reference": KID_MOD10,
    }
    values.update(overrides)
    return OpenItemRow(**values)


BOX = SecretBox(SecretBox.new_key())


@dataclass
class Authenticator:
    """A signer's phone: gives the code of a later 30-second step each time it is asked."""

    actor: ActorRef
    secret: str
    at: datetime = NOW

    def code(self) -> tuple[str, datetime]:
        self.at += timedelta(seconds=STEP_SECONDS)
        return code_at(self.secret, self.at), self.at


def enrolled(uow: UnitOfWork, actor: ActorRef, company: str = ORG_NO) -> Authenticator:
    """Enrolls and confirms a device for someone who has a role in the company."""
    enrollment = otp.enroll(uow, BOX, company_org_no=company, user=actor, now=NOW)
    phone = Authenticator(actor, pyotp.parse_uri(enrollment.uri).secret)
    code, at = phone.code()
    otp.confirm(uow, BOX, user=actor, code=code, now=at)
    return phone


def sign_with(uow: UnitOfWork, phone: Authenticator, payment_ids: list[int]) -> list[Signed]:
    code, at = phone.code()
    return signing.sign(
        uow, BOX, actor=phone.actor, payment_ids=payment_ids, code=code, now=at, zone=OSLO
    )


def a_company(uow: UnitOfWork, *, with_people: bool = True) -> Authenticator | None:
    """Acme AS; with a signer (enrolled, no limits), an approver and a viewer."""
    companies.add_company(
        uow, org_no=ORG_NO, name="Acme AS", account=COMPANY_ACCOUNT, bank="DNB", now=NOW
    )
    if not with_people:
        return None
    staff = (
        (SIGNER, "Sigrid Signer", [Role.SIGNER]),
        (APPROVER, "Anders Approver", [Role.APPROVER]),
        (VIEWER, "Vera Viewer", [Role.VIEWER]),
    )
    for ref, name, roles in staff:
        people.add_user(
            uow,
            company_org_no=ORG_NO,
            slack_user_id=ref.slack_user_id,
            name=name,
            roles=roles,
            now=NOW,
        )
    return enrolled(uow, SIGNER)


def ledger_with(
    uow: UnitOfWork, items: list[OpenItemRow], suppliers: list[SupplierRow] | None = None
) -> dict[str, Any]:
    """Imports suppliers and items, refreshes proposals; returns payments by voucher no."""
    if suppliers:
        ledger.import_suppliers(uow, company_org_no=ORG_NO, source="s.csv", rows=suppliers, now=NOW)
    ledger.import_open_items(uow, company_org_no=ORG_NO, source="i.csv", rows=items, now=NOW)
    proposals.refresh(uow, company_org_no=ORG_NO, now=NOW)
    found = proposals.list_payments(uow, company_org_no=ORG_NO, statuses=None)
    return {payment.voucher_no: payment for payment in found}
