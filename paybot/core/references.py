"""Checking the details a person types when fixing a payment: account, reference type, reference."""

from __future__ import annotations

from typing import Any

from paybot.core.company import Language
from paybot.core.errors import ValidationFailed
from paybot.core.formatting import reference_type_name
from paybot.core.identifiers import account_problem, compact_account, kid_problem
from paybot.core.payments import ReferenceType
from paybot.core.text import length_problem, text_problem

# ISO 20022 unstructured remittance information holds at most 140 characters, and so does
# payments.reference; payments.account holds 40 (tests/core/test_text.py compares them).
MAX_MESSAGE = 140
MAX_ACCOUNT = 40


def check_payment_details(
    *, account: str | None, reference_type: ReferenceType, reference: str | None
) -> dict[str, Any]:
    """The details in stored form, or ValidationFailed naming each field that is wrong."""
    errors: dict[str, str] = {}
    compact = compact_account(account) if account else None
    if problem := _text_problem(account):
        errors["account"] = problem
    elif not compact:
        errors["account"] = "an account number is required"
    elif problem := length_problem(compact, MAX_ACCOUNT) or account_problem(compact):
        errors["account"] = problem
    text = (reference or "").strip()
    if reference_type is ReferenceType.EMPTY:
        errors["reference_type"] = "choose KID, message or invoice: a payment needs a reference"
    if problem := _text_problem(reference) or length_problem(text, MAX_MESSAGE):
        errors["reference"] = problem
    elif reference_type is ReferenceType.KID:
        text = text.replace(" ", "")
        if not text:
            errors["reference"] = "a KID is required when the reference type is KID"
        elif problem := kid_problem(text):
            errors["reference"] = problem
    elif reference_type is not ReferenceType.EMPTY and not text:
        kind = reference_type_name(reference_type, Language.EN)
        errors["reference"] = f"a reference is required for the type {kind}"
    if errors:
        raise ValidationFailed(errors)
    return {"account": compact, "reference_type": reference_type, "reference": text}


def _text_problem(typed: str | None) -> str | None:
    """A control character in what was typed, counted from where the person's text starts."""
    if not typed:
        return None
    stripped = typed.strip()
    return text_problem(stripped, offset=len(typed) - len(typed.lstrip()))
