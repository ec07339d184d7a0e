"""Checking the details a person types when fixing a payment: account, reference type, reference,
the payee's name, and for a payment abroad the payee's details (core.payee_details) and whether
it is urgent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from paybot.core.company import Language
from paybot.core.errors import ValidationFailed
from paybot.core.formatting import reference_type_name
from paybot.core.identifiers import account_problem, compact_account, kid_problem
from paybot.core.payee_details import (
    PayeeDetailsInvalid,
    check_name,
    payee_problems,
    purpose_problems,
    urgent_problem,
)
from paybot.core.payment_types import PaymentType, payment_type
from paybot.core.payments import NO_PAYEE_DETAILS, PayeeDetails, ReferenceType
from paybot.core.text import length_problem, text_problem

# ISO 20022 unstructured remittance information holds at most 140 characters, and so does
# payments.reference; payments.account holds 40 (tests/core/test_text.py compares them).
MAX_MESSAGE = 140
MAX_ACCOUNT = 40


def check_payment_details(
    *,
    account: str | None,
    reference_type: ReferenceType,
    reference: str | None,
    payee: Mapping[str, str | None] | None = None,
    country: str | None = None,
    currency: str | None = None,
    urgent: bool | None = None,
    current: PayeeDetails = NO_PAYEE_DETAILS,
    name: str | None = None,
) -> dict[str, Any]:
    """The details in stored form, or ValidationFailed naming each field that is wrong.

    Args:
        account, reference_type, reference: What the payment is to have (all three returned).
        payee: The payee's details to change (core.payee_details; "" clears a field), returned
            in stored form; a field not given (or None) is left as it is and not returned.
        country: The payee's country as the payment has it now; a valid country in `payee`
            replaces it. With a country other than NO, an account that is not an IBAN is a foreign
            account number (core.identifiers.account_problem).
        currency: The payment's currency, to tell its type (for `urgent`, and for a purpose:
            a domestic payment carries none).
        urgent: True: send as urgent, which only a cross-border payment may (returned, as False
            too); None: as it is.
        current: The payee's details the payment has now: a purpose code is kept with its text
            (core.payee_details.purpose_problems).
        name: The payee's new name (returned as "payee"), judged as the payment file of the
            payment's type (after the fix) writes it (core.payee_details.check_name); None: as
            it is.

    Raises:
        PayeeDetailsInvalid: a payee detail, the name or `urgent` is wrong (and perhaps other
            fields); its `problems` say why in a form a view can put in another language.
        ValidationFailed: only the account, reference type or reference are wrong.
    """
    stored, problems = payee_problems(payee or {})
    if "country" in stored:
        country = stored["country"]  # a wrong new country: the account is judged by the old one
    errors: dict[str, str] = {}
    compact = compact_account(account) if account else None
    if problem := _text_problem(account):
        errors["account"] = problem
    elif not compact:
        errors["account"] = "an account number is required"
    elif problem := length_problem(compact, MAX_ACCOUNT) or account_problem(compact, country):
        errors["account"] = problem
    payment_kind: PaymentType | None = None
    if currency is not None and "account" not in errors:
        payment_kind = payment_type(compact, currency, country)
    if urgent and payment_kind is not None:
        if wrong := urgent_problem(payment_kind):
            problems["urgent"] = wrong
    if not problems.keys() & {"purpose_code", "purpose_text"}:
        problems |= purpose_problems(current, stored, payment_kind)
    named: str | None = None
    if name is not None:
        named, wrong = check_name(name, payment_kind)
        if wrong is not None:
            problems["payee"] = wrong
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
    if problems:
        messages = {name: problem.message for name, problem in problems.items()}
        raise PayeeDetailsInvalid({**errors, **messages}, problems)
    if errors:
        raise ValidationFailed(errors)
    checked: dict[str, Any] = {"account": compact, "reference_type": reference_type}
    checked |= {"reference": text, **stored}
    if urgent is not None:
        checked["urgent"] = urgent
    if named is not None:
        checked["payee"] = named
    return checked


def _text_problem(typed: str | None) -> str | None:
    """A control character in what was typed, counted from where the person's text starts."""
    if not typed:
        return None
    stripped = typed.strip()
    return text_problem(stripped, offset=len(typed) - len(typed.lstrip()))
