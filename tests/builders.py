"""Test data, built with overrides: `an_item(amount=Decimal("-100"))`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from paybot.core.ledger_file import OpenItemRow, SupplierRow
from paybot.core.payments import ReferenceType
from paybot.core.policy import Role
from paybot.services import companies, ledger, proposals
from paybot.services.common import ActorRef
from paybot.store.uow import UnitOfWork

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
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


def a_company(uow: UnitOfWork, *, with_people: bool = True) -> None:
    companies.add_company(
        uow, org_no=ORG_NO, name="Acme AS", account=COMPANY_ACCOUNT, bank="DNB", now=NOW
    )
    if with_people:
        people = (
            (SIGNER, "Sigrid Signer", [Role.SIGNER]),
            (APPROVER, "Anders Approver", [Role.APPROVER]),
            (VIEWER, "Vera Viewer", [Role.VIEWER]),
        )
        for ref, name, roles in people:
            companies.add_user(
                uow,
                company_org_no=ORG_NO,
                slack_user_id=ref.slack_user_id,
                name=name,
                roles=roles,
                now=NOW,
            )


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
