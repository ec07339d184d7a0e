"""Checking the details a person types when fixing a payment: account, reference type, reference,
the payee's name, and for a payment abroad the payee's details (core.payee_details) and whether
it is urgent."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from paybot.core.company import Language
from paybot.core.errors import Fault, FieldFault, ValidationFailed
from paybot.core.formatting import reference_type_name
from paybot.core.identifiers import account_fault, compact_account, kid_fault
from paybot.core.payee_details import (
    PayeeDetailsInvalid,
    check_name,
    payee_problems,
    purpose_problems,
    urgent_problem,
)
from paybot.core.payment_types import PaymentType, payment_type
from paybot.core.payments import NO_PAYEE_DETAILS, PayeeDetails, ReferenceType
from paybot.core.text import REFUSED_CATEGORIES, length_problem, text_problem

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
        ValidationFailed: only the account, reference type or reference are wrong. Either
            refusal's `faults` say why each of these three is wrong in such a form.
    """
    stored, problems = payee_problems(payee or {})
    if "country" in stored:
        country = stored["country"]  # a wrong new country: the account is judged by the old one
    faults: dict[str, FieldFault] = {}
    compact = compact_account(account) if account else None
    if fault := _text_fault(account):
        faults["account"] = fault
    elif not compact:
        faults["account"] = FieldFault(Fault.ACCOUNT_REQUIRED, "an account number is required")
    elif fault := _length_fault(compact, MAX_ACCOUNT) or account_fault(compact, country):
        faults["account"] = fault
    payment_kind: PaymentType | None = None
    if currency is not None and "account" not in faults:
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
        faults["reference_type"] = FieldFault(
            Fault.REFERENCE_TYPE_REQUIRED,
            "choose KID, message or invoice: a payment needs a reference",
        )
    if fault := _text_fault(reference) or _length_fault(text, MAX_MESSAGE):
        faults["reference"] = fault
    elif reference_type is ReferenceType.KID:
        text = text.replace(" ", "")
        if not text:
            faults["reference"] = FieldFault(
                Fault.KID_REQUIRED, "a KID is required when the reference type is KID"
            )
        elif fault := kid_fault(text):
            faults["reference"] = fault
    elif reference_type is not ReferenceType.EMPTY and not text:
        kind = reference_type_name(reference_type, Language.EN)
        faults["reference"] = FieldFault(
            Fault.REFERENCE_REQUIRED,
            f"a reference is required for the type {kind}",
            {"type": reference_type.value},
        )
    errors = {name: fault.message for name, fault in faults.items()}
    if problems:
        messages = {name: problem.message for name, problem in problems.items()}
        refused = PayeeDetailsInvalid({**errors, **messages}, problems)
        refused.faults = faults
        raise refused
    if errors:
        raise ValidationFailed(errors, faults=faults)
    checked: dict[str, Any] = {"account": compact, "reference_type": reference_type}
    checked |= {"reference": text, **stored}
    if urgent is not None:
        checked["urgent"] = urgent
    if named is not None:
        checked["payee"] = named
    return checked


def _text_fault(typed: str | None) -> FieldFault | None:
    """A control character in what was typed, counted from where the person's text starts."""
    if not typed:
        return None
    stripped = typed.strip()
    offset = len(typed) - len(typed.lstrip())
    said = text_problem(stripped, offset=offset)
    if said is None:
        return None
    index = next(
        i for i, char in enumerate(stripped) if unicodedata.category(char) in REFUSED_CATEGORIES
    )
    values: dict[str, str | int] = {
        "code": f"{ord(stripped[index]):04X}",
        "position": offset + index + 1,
    }
    return FieldFault(Fault.CHARACTER, said, values)


def _length_fault(text: str, limit: int) -> FieldFault | None:
    said = length_problem(text, limit)
    if said is None:
        return None
    return FieldFault(Fault.TOO_LONG, said, {"limit": limit, "got": len(text)})
