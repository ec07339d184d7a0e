"""A refused account, reference type or reference says why as a kind with values (a FieldFault),
beside its English text, which stays as it was: a view says the kind in another language."""

from __future__ import annotations

import pytest

from paybot.core.errors import Fault, FieldFault, ValidationFailed
from paybot.core.identifiers import account_fault, account_problem, kid_fault, kid_problem
from paybot.core.payee_details import PayeeDetailsInvalid
from paybot.core.payments import ReferenceType
from paybot.core.references import check_payment_details

ACCOUNT = "12345678903"
KID = "23456767"


def refused(
    *,
    account: str | None = ACCOUNT,
    reference_type: ReferenceType = ReferenceType.KID,
    reference: str | None = KID,
    payee: dict[str, str | None] | None = None,
) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        check_payment_details(
            account=account, reference_type=reference_type, reference=reference, payee=payee
        )
    return caught.value


@pytest.mark.parametrize(
    ("given", "field", "expected"),
    [
        (
            {"account": "1234.56.78900"},
            "account",
            FieldFault(
                Fault.ACCOUNT_CHECK_DIGIT,
                "12345678900 has a wrong check digit",
                {"typed": "12345678900"},
            ),
        ),
        (
            {"account": "1234"},
            "account",
            FieldFault(
                Fault.ACCOUNT_DIGITS,
                "1234 is not an 11-digit Norwegian account number",
                {"typed": "1234"},
            ),
        ),
        (
            {"account": " . "},
            "account",
            FieldFault(Fault.ACCOUNT_REQUIRED, "an account number is required"),
        ),
        (
            {"account": "1" * 41},
            "account",
            FieldFault(Fault.TOO_LONG, "at most 40 characters (got 41)", {"limit": 40, "got": 41}),
        ),
        (
            {"account": " 1234\u202e5678903"},
            "account",
            FieldFault(
                Fault.CHARACTER,
                "control character U+202E at position 6 (right-to-left override)",
                {"code": "202E", "position": 6},
            ),
        ),
        (
            {"reference": "12345678902"},
            "reference",
            FieldFault(
                Fault.KID_CHECK_DIGIT,
                "KID '12345678902' has a wrong check digit (neither MOD10 nor MOD11)",
                {"kid": "12345678902"},
            ),
        ),
        (
            {"reference": "1"},
            "reference",
            FieldFault(Fault.KID_LENGTH, "KID '1' must be 2 to 25 digits", {"kid": "1"}),
        ),
        (
            {"reference": "12A4"},
            "reference",
            FieldFault(
                Fault.KID_CHARACTERS,
                "KID '12A4' may hold only digits (and '-' as a MOD11 check digit)",
                {"kid": "12A4"},
            ),
        ),
        (
            {"reference": "  "},
            "reference",
            FieldFault(Fault.KID_REQUIRED, "a KID is required when the reference type is KID"),
        ),
        (
            {"reference_type": ReferenceType.MESSAGE, "reference": ""},
            "reference",
            FieldFault(
                Fault.REFERENCE_REQUIRED,
                "a reference is required for the type Message",
                {"type": "message"},
            ),
        ),
        (
            {"reference_type": ReferenceType.MESSAGE, "reference": "x" * 141},
            "reference",
            FieldFault(
                Fault.TOO_LONG, "at most 140 characters (got 141)", {"limit": 140, "got": 141}
            ),
        ),
        (
            {"reference_type": ReferenceType.EMPTY},
            "reference_type",
            FieldFault(
                Fault.REFERENCE_TYPE_REQUIRED,
                "choose KID, message or invoice: a payment needs a reference",
            ),
        ),
    ],
)
def test_each_refusal_carries_its_kind_and_values_beside_the_same_english(
    given: dict[str, object], field: str, expected: FieldFault
) -> None:
    error = refused(**given)  # type: ignore[arg-type]
    assert error.faults == {field: expected}
    assert error.errors == {field: expected.message}


def test_an_iban_says_which_check_failed() -> None:
    error = refused(account="NO9486011117947")  # the IBAN's own check digits are wrong
    fault = error.faults["account"]
    assert fault.kind is Fault.IBAN
    assert fault.values["typed"] == "NO9486011117947"
    assert fault.values["cause"] == "InvalidChecksumDigits"
    assert fault.message == f"NO9486011117947 is not a valid IBAN ({fault.values['why']})"
    assert error.errors["account"] == fault.message


def test_a_foreign_account_that_is_no_account_says_so() -> None:
    fault = account_fault("12/34", "US")
    assert fault == FieldFault(
        Fault.FOREIGN_ACCOUNT,
        "12/34 is not an account number (1-34 letters and digits)",
        {"typed": "12/34"},
    )


def test_account_and_reference_faults_come_with_refused_payee_details() -> None:
    error = refused(account="12345678900", reference="12345678902", payee={"country": "Xx"})
    assert isinstance(error, PayeeDetailsInvalid)
    assert set(error.problems) == {"country"}
    assert error.faults["account"].kind is Fault.ACCOUNT_CHECK_DIGIT
    assert error.faults["reference"].kind is Fault.KID_CHECK_DIGIT
    assert error.errors["account"] == "12345678900 has a wrong check digit"


@pytest.mark.parametrize(
    "account", ["12345678903", "12345678900", "1234", "", "NO9386011117947", "NO9486011117947"]
)
def test_account_problem_is_the_faults_english(account: str) -> None:
    fault = account_fault(account)
    assert account_problem(account) == (None if fault is None else fault.message)


@pytest.mark.parametrize("kid", [KID, "12345678902", "1", "12A4", "2345676-"])
def test_kid_problem_is_the_faults_english(kid: str) -> None:
    fault = kid_fault(kid)
    assert kid_problem(kid) == (None if fault is None else fault.message)


def test_a_refusal_made_of_faults_says_their_english_by_field() -> None:
    fault = FieldFault(Fault.NOTHING_CHANGES, "nothing would change")
    error = ValidationFailed.of_faults({"fix": fault})
    assert error.errors == {"fix": "nothing would change"}
    assert error.user_message == "fix: nothing would change"
    assert error.faults == {"fix": fault}


def test_a_refusal_without_faults_has_none() -> None:
    assert ValidationFailed({"x": "wrong"}).faults == {}
