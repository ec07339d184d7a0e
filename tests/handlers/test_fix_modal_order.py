"""The Fix modal of a payment abroad asks first for what the payment is red for (its purpose,
its payee's bank, its address), then for the rest in the usual order."""

from __future__ import annotations

from typing import Any

import pytest

from paybot.core.company import Language
from paybot.core.payments import Flag, PayeeDetails, Reason
from paybot.handlers.views import fix_modal
from tests.handlers.test_sign_modal_abroad import US_ACCOUNT, a_payment

ADDRESS = ["street", "building_no", "post_code", "town", "country"]


def asked(*reasons: Reason) -> list[str]:
    details = PayeeDetails(town="New York", country="US", bic="CHASUS33")
    payment = a_payment(
        2,
        account=US_ACCOUNT,
        currency="USD",
        payee_details=details,
        flag=Flag.RED if reasons else Flag.BLUE,
        reasons=reasons,
    )
    view: dict[str, Any] = fix_modal.fix_modal(payment, Language.EN, metadata="{}")
    names = [block.get("block_id") for block in view["blocks"] if block["type"] == "input"]
    return [str(name) for name in names[3:]]  # after account, reference type and reference


@pytest.mark.parametrize(
    ("reasons", "order"),
    [
        ((), [*ADDRESS, "bic", "charge_bearer", "purpose_code", "purpose_text", "urgent"]),
        (
            (Reason.MISSING_PURPOSE,),
            ["purpose_code", "purpose_text", *ADDRESS, "bic", "charge_bearer", "urgent"],
        ),
        (
            (Reason.MISSING_PURPOSE, Reason.MISSING_BIC),
            ["bic", "purpose_code", "purpose_text", *ADDRESS, "charge_bearer", "urgent"],
        ),
    ],
)
def test_what_a_payment_is_red_for_is_asked_first(
    reasons: tuple[Reason, ...], order: list[str]
) -> None:
    assert asked(*reasons) == order
