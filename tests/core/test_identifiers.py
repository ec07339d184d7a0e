"""Account numbers (BBAN, IBAN), KID, organisation numbers, country codes and BICs."""

from __future__ import annotations

import itertools
import warnings

import pytest
from hypothesis import given
from hypothesis import strategies as st
from schwifty import IBAN
from schwifty.exceptions import NationalChecksumNotVerified
from stdnum import luhn

from paybot.core.identifiers import (
    account_fault,
    account_problem,
    compact_account,
    format_account,
    is_bic,
    is_country,
    kid_problem,
    normalize_org_no,
)

digits = st.text(alphabet="0123456789", min_size=1, max_size=24)


def mod11_check_digit(body: str) -> str:
    """The Norwegian KID MOD11 check digit: weights 2..7 from the right, '-' for 10."""
    weights = itertools.cycle([2, 3, 4, 5, 6, 7])
    total = sum(int(digit) * weight for digit, weight in zip(reversed(body), weights, strict=False))
    remainder = 11 - total % 11
    if remainder == 11:
        return "0"
    if remainder == 10:
        return "-"
    return str(remainder)


# A body whose MOD11 check is 10 (found by search, checked below), so its KID ends in '-'.
DASH_BODY = "1000000009"
KID_MOD10_ONLY = "23456767"  # Luhn-valid; the MOD11 check digit of 2345676 is 1
KID_MOD11_ONLY = "23456761"  # MOD11-valid; the Luhn check digit of 2345676 is 7


# --- Norwegian account numbers -----------------------------------------------------------------


@pytest.mark.parametrize(
    "account",
    ["12345678903", "1234.56.78903", "1234 56 78903", " 8601.11.17947 ", "1503-01-00007"],
)
def test_norwegian_account_with_dots_or_spaces_is_valid(account: str) -> None:
    assert account_problem(account) is None


def test_norwegian_account_with_a_wrong_check_digit_is_invalid() -> None:
    assert account_problem("1234.56.78904") == "1234.56.78904 has a wrong check digit"


@pytest.mark.parametrize("account", ["1234567890", "123456789031", "1234.56.789"])
def test_norwegian_account_of_the_wrong_length_is_invalid(account: str) -> None:
    assert account_problem(account) == f"{account} is not an 11-digit Norwegian account number"


@pytest.mark.parametrize("account", ["1234567890A", "1234.5X.78903"])
def test_norwegian_account_with_letters_is_invalid(account: str) -> None:
    problem = account_problem(account)
    assert problem is not None
    assert "11-digit Norwegian account number" in problem


@pytest.mark.parametrize("account", ["", "   ", " . - "])
def test_blank_account_says_there_is_no_account_number(account: str) -> None:
    assert account_problem(account) == "no account number"


def test_compact_account_drops_separators_and_upper_cases() -> None:
    assert compact_account(" no93 8601.1117-947 ") == "NO9386011117947"


# --- IBAN ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "iban",
    [
        "NO9386011117947",
        "NO93 8601 1117 947",
        "no9386011117947",
        "DE89370400440532013000",
        "DE89 3704 0044 0532 0130 00",
    ],
)
def test_valid_iban_is_accepted(iban: str) -> None:
    assert account_problem(iban) is None


def test_norwegian_iban_with_a_wrong_national_check_digit_is_invalid() -> None:
    # The IBAN checksum (66) is right for this BBAN, but 86011117948 fails MOD11.
    problem = account_problem("NO6686011117948")
    assert problem is not None
    assert problem.startswith("NO6686011117948 is not a valid IBAN")


def test_iban_with_wrong_checksum_digits_is_invalid() -> None:
    problem = account_problem("NO9386011117948")
    assert problem is not None
    assert "not a valid IBAN" in problem


def test_iban_of_the_wrong_length_for_its_country_is_invalid() -> None:
    assert account_problem("DE8937040044053201300") is not None


# Countries whose IBAN format has national check digits that schwifty has no algorithm for.
UNVERIFIABLE = ["SE4550000000058398257466", "HU42117730161111101800000000"]


@pytest.mark.parametrize("iban", UNVERIFIABLE)
def test_an_iban_whose_national_check_digits_cannot_be_verified_is_valid_and_quiet(
    iban: str,
) -> None:
    account_fault.cache_clear()  # a cached answer would not reach schwifty at all
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning that escaped would raise here
        assert account_problem(iban) is None


@pytest.mark.parametrize("iban", UNVERIFIABLE)
def test_its_iban_check_digits_are_still_checked(iban: str) -> None:
    wrong = iban[:2] + f"{(int(iban[2:4]) + 1) % 100:02d}" + iban[4:]
    problem = account_problem(wrong)
    assert problem is not None and "not a valid IBAN" in problem


def test_the_warning_is_ignored_only_while_paybot_validates() -> None:
    account_fault.cache_clear()
    account_problem(UNVERIFIABLE[0])
    with pytest.warns(NationalChecksumNotVerified):
        IBAN(UNVERIFIABLE[0], validate_bban=True)


# --- KID -----------------------------------------------------------------------------------------


def test_the_reference_mod11_helper_agrees_with_the_examples() -> None:
    assert mod11_check_digit(DASH_BODY) == "-"
    assert mod11_check_digit(KID_MOD11_ONLY[:-1]) == KID_MOD11_ONLY[-1]
    assert luhn.calc_check_digit(KID_MOD10_ONLY[:-1]) == KID_MOD10_ONLY[-1]


@pytest.mark.parametrize("kid", [KID_MOD10_ONLY, "12345678903", "00", "18"])
def test_kid_with_a_mod10_check_digit_is_valid(kid: str) -> None:
    assert luhn.is_valid(kid)
    assert kid_problem(kid) is None


@pytest.mark.parametrize("kid", [KID_MOD11_ONLY, "86011117947"])
def test_kid_with_a_mod11_check_digit_is_valid(kid: str) -> None:
    assert kid_problem(kid) is None


def test_kid_with_dash_as_mod11_check_digit_is_valid() -> None:
    assert kid_problem(DASH_BODY + "-") is None


def test_kid_ending_in_dash_whose_mod11_check_is_not_ten_is_invalid() -> None:
    assert (
        kid_problem("2345676-")
        == "KID '2345676-' has a wrong check digit (neither MOD10 nor MOD11)"
    )


def test_kid_with_neither_check_digit_is_invalid() -> None:
    # Luhn wants 7 and MOD11 wants 1.
    assert (
        kid_problem("23456762")
        == "KID '23456762' has a wrong check digit (neither MOD10 nor MOD11)"
    )


def test_kid_surrounded_by_whitespace_is_judged_without_it() -> None:
    assert kid_problem(f"  {KID_MOD10_ONLY}\n") is None


@pytest.mark.parametrize("kid", ["", "7", "1" * 26])
def test_kid_that_is_too_short_or_too_long_is_invalid(kid: str) -> None:
    assert kid_problem(kid) == f"KID {kid!r} must be 2 to 25 digits"


@pytest.mark.parametrize("kid", ["12A456", "1234 5678 903", "-1", "12.3"])
def test_kid_with_other_than_digits_is_invalid(kid: str) -> None:
    assert kid_problem(kid) == (
        f"KID {kid!r} may hold only digits (and '-' as a MOD11 check digit)"
    )


@given(body=digits)
def test_appending_the_luhn_check_digit_always_gives_a_valid_kid(body: str) -> None:
    assert kid_problem(body + luhn.calc_check_digit(body)) is None


@given(body=digits)
def test_appending_the_mod11_check_digit_always_gives_a_valid_kid(body: str) -> None:
    assert kid_problem(body + mod11_check_digit(body)) is None


# --- formatting and organisation numbers --------------------------------------------------------


@pytest.mark.parametrize(
    ("account", "expected"),
    [
        ("12345678903", "1234.56.78903"),
        ("1234 56 78903", "1234.56.78903"),
        ("NO9386011117947", "NO93 8601 1117 947"),
        ("de89370400440532013000", "DE89 3704 0044 0532 0130 00"),
        ("12345", "12345"),
    ],
)
def test_format_account_gives_the_human_form(account: str, expected: str) -> None:
    assert format_account(account) == expected


@pytest.mark.parametrize("text", ["974760673", "974 760 673", " 974760673 "])
def test_normalize_org_no_gives_the_compact_number(text: str) -> None:
    assert normalize_org_no(text) == "974760673"


@pytest.mark.parametrize("text", ["974760674", "97476067", "ABC760673", ""])
def test_normalize_org_no_refuses_an_invalid_number_saying_which(text: str) -> None:
    with pytest.raises(ValueError, match="is not a valid organisation number") as caught:
        normalize_org_no(text)
    assert repr(text) in str(caught.value)


# --- a payee's country and bank (payments abroad) ------------------------------------------------


@pytest.mark.parametrize("code", ["NO", "DE", "US", "XK"])
def test_iso_3166_codes_and_kosovos_are_countries(code: str) -> None:
    assert is_country(code)


@pytest.mark.parametrize("code", ["ZZ", "EU", "de", "D", "DEU", "ÅL", "", "XX"])
def test_other_codes_are_no_countries(code: str) -> None:
    assert not is_country(code)


@pytest.mark.parametrize("code", ["DNBANOKK", "DNBANOKKXXX", "CHASUS33", "RBKOXKPR"])
def test_bics_of_real_banks_are_bics(code: str) -> None:
    assert is_bic(code)


@pytest.mark.parametrize(
    "code",
    [
        "DNBANOK",  # too short
        "DNBANOKKX",  # a branch of one
        "dnbanokk",  # as stored: upper case
        "DNBA NOKK",  # as stored: compact
        "DNB4NOKK",  # a digit in the bank's code
        "DNBANO0K",  # a location starting with 0
        "DNBANOKO",  # a location whose second character is O (a test BIC)
        "DEUTZZFF",  # no country ZZ
    ],
)
def test_what_a_payment_file_would_refuse_is_no_bic(code: str) -> None:
    assert not is_bic(code)
