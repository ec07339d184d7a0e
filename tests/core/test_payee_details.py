"""Checking the payee's details of a payment abroad: address, country, BIC, charge bearer,
purpose; and the fix's check of them beside the account (core.references)."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from paybot.core.errors import ValidationFailed
from paybot.core.payee_details import (
    LIMITS,
    PAYEE_FIELDS,
    PayeeDetailsInvalid,
    Problem,
    check_field,
    check_payee_details,
    with_changes,
)
from paybot.core.payments import NO_PAYEE_DETAILS, PayeeDetails, ReferenceType
from paybot.core.purpose_codes import purpose_codes
from paybot.core.references import check_payment_details
from paybot.core.text import text_problem

TEXT_FIELDS = ("street", "building_no", "post_code", "town", "purpose_text")
US_ACCOUNT = "000123456789"
DE_IBAN = "DE89370400440532013000"


def problem_of(name: str, typed: str) -> tuple[Problem, str]:
    with pytest.raises(PayeeDetailsInvalid) as caught:
        check_payee_details({name: typed})
    assert set(caught.value.errors) == {name}
    assert caught.value.code == "validation_failed"
    problem = caught.value.problems[name]
    assert caught.value.errors[name] == problem.message
    return problem.kind, problem.message


# --- accepted ------------------------------------------------------------------------------------


def test_a_whole_address_is_stored_as_typed_without_its_surrounding_blanks() -> None:
    stored = check_payee_details(
        {
            "street": "  Hauptstraße ",
            "building_no": "5 b",
            "post_code": "10115",
            "town": "Berlin",
            "country": " de ",
            "bic": "deut de ff 500",
            "charge_bearer": "shar",
            "purpose_code": "14",
            "purpose_text": "Maschinenteile, Rechnung 2024-117",
        }
    )
    assert stored == {
        "street": "Hauptstraße",
        "building_no": "5 b",
        "post_code": "10115",
        "town": "Berlin",
        "country": "DE",
        "bic": "DEUTDEFF500",
        "charge_bearer": "SHAR",
        "purpose_code": "14",
        "purpose_text": "Maschinenteile, Rechnung 2024-117",
    }


def test_fields_not_given_are_left_out_and_empty_ones_clear() -> None:
    assert check_payee_details({}) == {}
    assert check_payee_details({"town": None, "bic": ""}) == {"bic": None}
    assert check_payee_details({"street": "   ", "country": ""}) == {
        "street": None,
        "country": None,
    }


@pytest.mark.parametrize("name", TEXT_FIELDS)
def test_texts_of_exactly_the_column_length_are_accepted(name: str) -> None:
    text = "é" * LIMITS[name]  # written without its accent: as long in the file
    assert check_payee_details({name: text}) == {name: text}


@pytest.mark.parametrize("code", ["DEBT", "CRED", "SHAR", "debt", " Cred "])
def test_the_three_charge_bearers_are_accepted(code: str) -> None:
    assert check_payee_details({"charge_bearer": code}) == {"charge_bearer": code.strip().upper()}


def test_every_code_of_norges_banks_list_is_accepted() -> None:
    for entry in purpose_codes():
        assert check_payee_details({"purpose_code": entry.code}) == {"purpose_code": entry.code}


def test_kosovo_is_a_country_though_iso_3166_has_not_assigned_it_yet() -> None:
    # Banks, IBANs (XK05 ...) and BICs use XK.
    assert check_payee_details({"country": "xk", "bic": "rbkoxkpr"}) == {
        "country": "XK",
        "bic": "RBKOXKPR",
    }


@pytest.mark.parametrize("bic", ["DNBANOKK", "DNBANOKKXXX", "CHASUS33", "NDEAFIHH"])
def test_bics_of_real_banks_are_accepted(bic: str) -> None:
    assert check_payee_details({"bic": bic.lower()}) == {"bic": bic}


# --- refused, naming the field -------------------------------------------------------------------


@pytest.mark.parametrize("name", TEXT_FIELDS)
def test_a_text_longer_than_its_column_is_refused(name: str) -> None:
    limit = LIMITS[name]
    kind, message = problem_of(name, "x" * (limit + 1))
    assert kind is Problem.TOO_LONG
    assert message == f"at most {limit} characters (got {limit + 1})"


@pytest.mark.parametrize("name", PAYEE_FIELDS)
def test_a_control_or_bidi_character_is_refused_where_it_is(name: str) -> None:
    kind, message = problem_of(name, "  ab\u202ecd")
    assert kind is Problem.CHARACTER
    assert message == "control character U+202E at position 5 (right-to-left override)"


@pytest.mark.parametrize("typed", ["XX", "D", "D3", "ÆØ", "ıt", "Norge"])
def test_a_country_must_be_an_iso_3166_code(typed: str) -> None:
    kind, message = problem_of("country", typed)
    assert kind is Problem.COUNTRY
    assert "two-letter ISO 3166 code" in message


@pytest.mark.parametrize(("typed", "code"), [("Germany", "DE"), ("usa", "US"), ("276", "DE")])
def test_a_country_given_by_name_is_refused_saying_its_code(typed: str, code: str) -> None:
    kind, message = problem_of("country", typed)
    assert kind is Problem.COUNTRY_NAME
    assert message.endswith(f"{typed} is {code}")


@pytest.mark.parametrize(
    "typed",
    ["DNBANOK", "DNBANOKKX", "DNB4NOKK", "DNBANO0K", "DNBANOKO", "ÐNBANOKK", "ıNGBNL2A", "1234"],
)
def test_a_bic_must_have_the_form_a_payment_file_takes(typed: str) -> None:
    kind, message = problem_of("bic", typed)
    assert kind is Problem.BIC
    assert message.startswith(f"{typed} is not a BIC")


def test_a_bic_whose_country_is_no_country_is_refused_saying_so() -> None:
    kind, message = problem_of("bic", "DEUTZZFF")
    assert kind is Problem.BIC_COUNTRY
    assert "ZZ (its 5th and 6th characters) is no country's code" in message


@pytest.mark.parametrize("name", ["country", "bic", "charge_bearer"])
def test_a_long_refused_value_is_not_repeated_whole(name: str) -> None:
    _, message = problem_of(name, "X" * 500)
    assert message.startswith(f"{'X' * 39}… is ")
    assert "X" * 40 not in message


@pytest.mark.parametrize("typed", ["SLEV", "OUR", "BEN", "ſhar"])
def test_only_debt_cred_or_shar_bear_the_charges(typed: str) -> None:
    kind, _ = problem_of("charge_bearer", typed)
    assert kind is Problem.CHARGE_BEARER


@pytest.mark.parametrize("typed", ["99", "149", "1 4", "١٤"])
def test_a_purpose_code_must_be_in_norges_banks_list(typed: str) -> None:
    kind, message = problem_of("purpose_code", typed)
    assert kind is Problem.PURPOSE_CODE
    assert message == f"{typed} is not a purpose code of Norges Bank's list"


def test_a_purpose_code_longer_than_its_column_is_refused_as_too_long() -> None:
    assert problem_of("purpose_code", "1" * 11)[0] is Problem.TOO_LONG


def test_every_wrong_field_is_named_at_once() -> None:
    with pytest.raises(PayeeDetailsInvalid) as caught:
        check_payee_details({"country": "XX", "bic": "X", "town": "Oslo", "purpose_code": "0"})
    assert set(caught.value.errors) == {"country", "bic", "purpose_code"}


def test_an_unknown_field_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="not payee details: iban"):
        check_payee_details({"iban": "x"})


def test_with_changes_replaces_only_payee_fields() -> None:
    details = PayeeDetails(town="Berlin", country="DE")
    changed = with_changes(details, {"country": "AT", "town": None, "account": "1"})
    assert changed == PayeeDetails(country="AT")
    assert with_changes(NO_PAYEE_DETAILS, {"account": "1"}) is NO_PAYEE_DETAILS


# --- any text at all -----------------------------------------------------------------------------


@given(name=st.sampled_from(PAYEE_FIELDS), typed=st.text())
@example(name="bic", typed="\ud800")
@example(name="country", typed="\x1fDE")
@example(name="street", typed="Å\u2028")
@example(name="bic", typed="ß" * 8)
def test_any_text_is_stored_as_given_or_refused_naming_its_field(name: str, typed: str) -> None:
    try:
        stored = check_payee_details({name: typed})
    except ValidationFailed as error:
        assert isinstance(error, PayeeDetailsInvalid)
        assert set(error.errors) == {name} == set(error.problems)
        assert error.errors[name]
        return
    value = stored[name]
    text = typed.strip()
    if not text:
        assert value is None
    elif name in TEXT_FIELDS or name == "purpose_code":
        assert value == text
    elif name == "bic":
        assert value == "".join(text.split()).upper()
    else:
        assert value == text.upper()
    assert value is None or (len(value) <= LIMITS[name] and text_problem(value) is None)


# --- beside the account (references.check_payment_details) ---------------------------------------


def check(**given: object) -> dict[str, object]:
    values: dict[str, object] = {
        "account": US_ACCOUNT,
        "reference_type": ReferenceType.MESSAGE,
        "reference": "Invoice 7",
    }
    return check_payment_details(**{**values, **given})  # type: ignore[arg-type]


def test_a_foreign_account_number_is_valid_with_the_payees_country() -> None:
    assert check(payee={"country": "us"}, currency="USD")["country"] == "US"
    assert check(country="US")["account"] == US_ACCOUNT  # the country the payment has
    with pytest.raises(ValidationFailed) as caught:
        check()
    assert set(caught.value.errors) == {"account"}


def test_a_wrong_country_is_named_and_the_account_judged_by_the_old_one() -> None:
    with pytest.raises(PayeeDetailsInvalid) as caught:
        check(payee={"country": "USA"}, country="US")
    assert set(caught.value.errors) == {"country"}


def test_account_and_payee_errors_come_together() -> None:
    with pytest.raises(PayeeDetailsInvalid) as caught:
        check(account="", payee={"bic": "nope"})
    assert set(caught.value.errors) == {"account", "bic"}
    assert set(caught.value.problems) == {"bic"}


def test_urgent_only_for_a_cross_border_payment() -> None:
    assert check(country="US", currency="USD", urgent=True)["urgent"] is True
    assert check(account=DE_IBAN, currency="USD", urgent=True)["urgent"] is True
    assert check(account=DE_IBAN, currency="EUR", urgent=False)["urgent"] is False
    with pytest.raises(PayeeDetailsInvalid) as caught:
        check(account=DE_IBAN, currency="EUR", urgent=True)
    assert caught.value.errors == {
        "urgent": "only a cross-border payment can be sent as urgent; this is a SEPA payment"
    }
    with pytest.raises(PayeeDetailsInvalid) as caught:
        check(account="12345678903", currency="NOK", urgent=True)
    assert caught.value.problems["urgent"].values == {"kind": "domestic"}


def test_without_payee_details_the_result_is_as_before() -> None:
    assert check(country="US") == {
        "account": US_ACCOUNT,
        "reference_type": ReferenceType.MESSAGE,
        "reference": "Invoice 7",
    }


@pytest.mark.parametrize(
    ("field", "typed"),
    [
        ("purpose_text", "å" * 35),
        ("town", "Ærøskøbing Øster Åsgård Bygdeøy"),
        ("post_code", "ÆØÅ-ÆØÅ-ÆØÅ"),
    ],
)
def test_a_text_the_file_would_cut_after_spelling_it_out_is_refused(field: str, typed: str) -> None:
    # Within its column as typed, longer once written (å -> aa): the file would cut what the
    # signer saw, so it is refused, saying how long it is written.
    value, problem = check_field(field, typed)
    assert value is None and problem is not None
    assert problem.kind is Problem.WRITTEN_TOO_LONG
    assert problem.values["limit"] == LIMITS[field]
    assert int(problem.values["got"]) > LIMITS[field]
    assert "written" in problem.message


def test_a_spelled_out_text_that_still_fits_is_kept_as_typed() -> None:
    assert check_field("town", "Tromsø") == ("Tromsø", None)
    assert check_field("purpose_text", "Varer fra Ærø") == ("Varer fra Ærø", None)
