"""Checking the details a person types when fixing a payment: account, reference type, reference."""

from __future__ import annotations

from typing import Any

from paybot.core.errors import ValidationFailed
from paybot.core.identifiers import account_problem, compact_account, kid_problem
from paybot.core.payments import ReferenceType

# ISO 20022 unstructured remittance information holds at most 140 characters.
MAX_MESSAGE = 140


def check_payment_details(
    *, account: str | None, reference_type: ReferenceType, reference: str | None
) -> dict[str, Any]:
    """The details in stored form, or ValidationFailed naming each field that is wrong."""
    errors: dict[str, str] = {}
    compact = compact_account(account) if account else None
    if not compact:
        errors["account"] = "an account number is required"
    elif problem := account_problem(compact):
        errors["account"] = problem
    text = (reference or "").strip()
    if reference_type is ReferenceType.KID:
        text = text.replace(" ", "")
        if not text:
            errors["reference"] = "a KID is required when the reference type is KID"
        elif problem := kid_problem(text):
            errors["reference"] = problem
    elif reference_type is ReferenceType.EMPTY:
        errors["reference_type"] = "choose KID, message or invoice: a payment needs a reference"
    elif not text:
        errors["reference"] = f"a reference is required for the type {reference_type.value}"
    elif len(text) > MAX_MESSAGE:
        errors["reference"] = f"at most {MAX_MESSAGE} characters (this is {len(text)})"
    if errors:
        raise ValidationFailed(errors)
    return {"account": compact, "reference_type": reference_type, "reference": text}
