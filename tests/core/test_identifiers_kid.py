"""The KID check on any text: an answer, never an exception (a digit of another script, such as
'²' or '٣', is refused as a character, not a crash), and a KID of ASCII digits is valid exactly
when its last digit is a MOD10 (Luhn) or MOD11 check digit."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st
from stdnum import luhn

from paybot.core.identifiers import _kid_mod11_check_digit, kid_problem

# Digits mostly, with the others str.isdigit admits (Arabic-Indic, superscript), '-' and spaces.
kid_texts = st.text(alphabet="0123456789-  ٣²۵a", max_size=28)


@given(kid_texts)
@example("²0")
@example("0²")
@example("٣٣")
@example("1234567890-")
def test_any_text_gets_an_answer(text: str) -> None:
    problem = kid_problem(text)
    kid = text.strip()
    if problem is None:
        assert kid.isascii() and 2 <= len(kid) <= 25


@given(st.text(alphabet="0123456789", min_size=1, max_size=24))
def test_a_kid_of_digits_is_valid_exactly_with_a_mod10_or_mod11_check_digit(body: str) -> None:
    for check in "0123456789-":
        kid = body + check
        expected = (check != "-" and luhn.is_valid(kid)) or _kid_mod11_check_digit(body) == check
        assert (kid_problem(kid) is None) == (expected and len(kid) >= 2), kid
