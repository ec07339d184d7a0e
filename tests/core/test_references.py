"""Checking the details a person types when fixing a payment."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from paybot.core.company import Language
from paybot.core.errors import ValidationFailed
from paybot.core.formatting import reference_type_name
from paybot.core.payments import ReferenceType
from paybot.core.references import MAX_ACCOUNT, MAX_MESSAGE, check_payment_details

ACCOUNT = "12345678903"
KID = "23456767"


def errors_of(
    *, account: str | None, reference_type: ReferenceType, reference: str | None
) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        check_payment_details(account=account, reference_type=reference_type, reference=reference)
    assert caught.value.code == "validation_failed"
    return caught.value.errors


# --- accepted ------------------------------------------------------------------------------------


def test_valid_account_and_kid_are_returned_in_stored_form() -> None:
    details = check_payment_details(
        account="1234.56.78903", reference_type=ReferenceType.KID, reference=" 2345 6767 "
    )
    assert details == {"account": ACCOUNT, "reference_type": ReferenceType.KID, "reference": KID}


def test_iban_is_compacted_and_upper_cased() -> None:
    details = check_payment_details(
        account="no93 8601 1117 947", reference_type=ReferenceType.KID, reference=KID
    )
    assert details["account"] == "NO9386011117947"


@pytest.mark.parametrize("reference_type", [ReferenceType.MESSAGE, ReferenceType.INVOICE])
def test_message_or_invoice_reference_is_trimmed_but_keeps_inner_spaces(
    reference_type: ReferenceType,
) -> None:
    details = check_payment_details(
        account=ACCOUNT, reference_type=reference_type, reference="  Faktura 2024 17  "
    )
    assert details == {
        "account": ACCOUNT,
        "reference_type": reference_type,
        "reference": "Faktura 2024 17",
    }


def test_message_of_exactly_the_maximum_length_is_accepted() -> None:
    message = "x" * MAX_MESSAGE
    details = check_payment_details(
        account=ACCOUNT, reference_type=ReferenceType.MESSAGE, reference=message
    )
    assert details["reference"] == message


# --- refused, naming the field -------------------------------------------------------------------


@pytest.mark.parametrize("account", [None, "", "  ", " . "])
def test_missing_account_is_required(account: str | None) -> None:
    errors = errors_of(account=account, reference_type=ReferenceType.KID, reference=KID)
    assert errors == {"account": "an account number is required"}


def test_account_with_a_wrong_check_digit_is_refused_saying_why() -> None:
    errors = errors_of(account="1234.56.78904", reference_type=ReferenceType.KID, reference=KID)
    assert errors == {"account": "12345678904 has a wrong check digit"}


def test_iban_with_a_wrong_national_check_digit_is_refused() -> None:
    errors = errors_of(account="NO6686011117948", reference_type=ReferenceType.KID, reference=KID)
    assert set(errors) == {"account"}
    assert "not a valid IBAN" in errors["account"]


@pytest.mark.parametrize("reference", [None, "", "   "])
def test_kid_type_without_a_kid_is_refused(reference: str | None) -> None:
    errors = errors_of(account=ACCOUNT, reference_type=ReferenceType.KID, reference=reference)
    assert errors == {"reference": "a KID is required when the reference type is KID"}


def test_kid_with_a_wrong_check_digit_is_refused() -> None:
    errors = errors_of(account=ACCOUNT, reference_type=ReferenceType.KID, reference="2345 6762")
    assert errors == {
        "reference": "KID '23456762' has a wrong check digit (neither MOD10 nor MOD11)"
    }


def test_empty_reference_type_is_refused_on_the_reference_type_field() -> None:
    errors = errors_of(account=ACCOUNT, reference_type=ReferenceType.EMPTY, reference="anything")
    assert errors == {
        "reference_type": "choose KID, message or invoice: a payment needs a reference"
    }


@pytest.mark.parametrize("reference_type", [ReferenceType.MESSAGE, ReferenceType.INVOICE])
def test_message_or_invoice_type_without_text_is_refused(reference_type: ReferenceType) -> None:
    errors = errors_of(account=ACCOUNT, reference_type=reference_type, reference="  ")
    kind = reference_type_name(reference_type, Language.EN)  # "Message", not "message"
    assert errors == {"reference": f"a reference is required for the type {kind}"}


def test_message_of_141_characters_is_refused() -> None:
    errors = errors_of(
        account=ACCOUNT, reference_type=ReferenceType.MESSAGE, reference="x" * (MAX_MESSAGE + 1)
    )
    assert errors == {"reference": "at most 140 characters (got 141)"}


def test_every_wrong_field_is_named_at_once_in_a_readable_message() -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_payment_details(account="123", reference_type=ReferenceType.KID, reference="1")
    assert set(caught.value.errors) == {"account", "reference"}
    message = caught.value.user_message
    assert message.startswith("account: 123 is not an 11-digit Norwegian account number")
    assert "; reference: KID '1' must be 2 to 25 digits" in message


# --- longer than the column, or holding characters that render oddly ----------------------------


def test_an_account_longer_than_its_column_is_refused_by_length_without_echoing_it() -> None:
    errors = errors_of(account="9" * 5000, reference_type=ReferenceType.KID, reference=KID)
    assert errors == {"account": f"at most {MAX_ACCOUNT} characters (got 5000)"}


def test_a_long_kid_is_refused_by_length_before_its_digits_are_judged() -> None:
    errors = errors_of(account=ACCOUNT, reference_type=ReferenceType.KID, reference="1" * 141)
    assert errors == {"reference": "at most 140 characters (got 141)"}


@pytest.mark.parametrize(
    ("field", "typed", "problem"),
    [
        ("reference", "Takk\u202e 7", "control character U+202E at position 5"),
        ("reference", "  \x1b[2JFaktura", "control character U+001B at position 3"),
        ("reference", "Faktura\n17", "control character U+000A at position 8 (line break)"),
        ("account", "1234.56\t.78903", "control character U+0009 at position 8 (tab)"),
        ("account", "NO93\u200b86011117947", "control character U+200B at position 5"),
    ],
)
def test_control_characters_are_a_field_error_naming_the_position(
    field: str, typed: str, problem: str
) -> None:
    details = {"account": ACCOUNT, "reference": "Faktura 17", field: typed}
    errors = errors_of(
        account=details["account"],
        reference_type=ReferenceType.MESSAGE,
        reference=details["reference"],
    )
    assert set(errors) == {field}
    assert errors[field].startswith(problem)


def test_norwegian_text_in_a_message_is_kept() -> None:
    details = check_payment_details(
        account=ACCOUNT,
        reference_type=ReferenceType.MESSAGE,
        reference="Faktura 17 – år 2026, håndverk ’ok’ é ü",
    )
    assert details["reference"] == "Faktura 17 – år 2026, håndverk ’ok’ é ü"


def test_a_bad_reference_with_reference_type_empty_names_both_fields() -> None:
    errors = errors_of(account=ACCOUNT, reference_type=ReferenceType.EMPTY, reference="a\u202eb")
    assert set(errors) == {"reference_type", "reference"}


REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}
ODD_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(),
        st.characters(categories=["Cc", "Cf", "Cs", "Co", "Zl", "Zp", "Zs", "Mn"]),
    ),
    max_size=160,
)


@given(
    reference_type=st.sampled_from([ReferenceType.MESSAGE, ReferenceType.INVOICE]),
    reference=ODD_TEXT,
    account=st.one_of(st.just(ACCOUNT), ODD_TEXT.map(lambda text: ACCOUNT[:4] + text)),
)
@example(ReferenceType.MESSAGE, "Takk\u202e", ACCOUNT)
@example(ReferenceType.MESSAGE, "Faktura", "1234\x1f5678903")
def test_every_accepted_detail_fits_its_column_and_renders_plainly(
    reference_type: ReferenceType, reference: str, account: str
) -> None:
    try:
        details = check_payment_details(
            account=account, reference_type=reference_type, reference=reference
        )
    except ValidationFailed as refusal:
        assert set(refusal.errors) <= {"account", "reference"}
        return
    assert len(details["account"]) <= MAX_ACCOUNT
    assert len(details["reference"]) <= MAX_MESSAGE
    for text in (details["account"], details["reference"]):
        assert not any(unicodedata.category(char) in REFUSED_CATEGORIES for char in text)
