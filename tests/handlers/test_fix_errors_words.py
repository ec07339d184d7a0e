"""The Fix modal's errors on the account and the reference, and a fix that changes nothing, in
the company's language: said from the refusal's kind and values (core.errors.FieldFault), the
English as the core says it."""

from __future__ import annotations

import pytest

from paybot.core.company import Language
from paybot.core.errors import Fault, FieldFault, ValidationFailed
from paybot.core.payments import ReferenceType
from paybot.core.references import check_payment_details
from paybot.handlers.ids import Block
from paybot.handlers.views import fix_modal

SHOWN = [Block.ACCOUNT.value, Block.REFERENCE_TYPE.value, Block.REFERENCE.value]


def said(language: Language, **given: object) -> dict[str, str]:
    details: dict[str, object] = {
        "account": "12345678903",
        "reference_type": ReferenceType.KID,
        "reference": "23456767",
        **given,
    }
    with pytest.raises(ValidationFailed) as caught:
        check_payment_details(**details)  # type: ignore[arg-type]
    return fix_modal.fix_errors(caught.value, language, SHOWN)


@pytest.mark.parametrize(
    ("given", "english", "norwegian"),
    [
        (
            {"reference": "12345678902"},
            {"reference": "KID '12345678902' has a wrong check digit (neither MOD10 nor MOD11)"},
            {"reference": "KID «12345678902» har feil kontrollsiffer (verken MOD10 eller MOD11)"},
        ),
        (
            {"account": "12345678900"},
            {"account": "12345678900 has a wrong check digit"},
            {"account": "12345678900 har feil kontrollsiffer"},
        ),
        (
            {"account": "1234"},
            {"account": "1234 is not an 11-digit Norwegian account number"},
            {"account": "1234 er ikke et norsk kontonummer med 11 sifre"},
        ),
        (
            {"account": ""},
            {"account": "An account number is required"},
            {"account": "Kontonummeret må fylles ut"},
        ),
        (
            {"reference": "1"},
            {"reference": "KID '1' must be 2 to 25 digits"},
            {"reference": "KID «1» må ha 2 til 25 sifre"},
        ),
        (
            {"reference": ""},
            {"reference": "A KID is required when the reference type is KID"},
            {"reference": "KID må fylles ut når referansetypen er KID"},
        ),
        (
            {"reference_type": ReferenceType.MESSAGE, "reference": ""},
            {"reference": "A reference is required for the type Message"},
            {"reference": "Referansen må fylles ut for typen Melding"},
        ),
        (
            {"account": "NO9486011117947"},
            {"account": "NO9486011117947 is not a valid IBAN (Invalid checksum digits)"},
            {"account": "NO9486011117947 er ikke et gyldig IBAN (feil kontrollsifre)"},
        ),
        (
            {"account": "1234\x1b5678903"},
            {
                "account": "Control character U+001B at position 5 (escape, as in terminal colour "
                "codes)"
            },
            {"account": "Tegnet U+001B på plass 5 er ikke tillatt (kontrolltegn)"},
        ),
    ],
)
def test_account_and_reference_errors_are_said_in_the_companys_language(
    given: dict[str, object], english: dict[str, str], norwegian: dict[str, str]
) -> None:
    assert said(Language.EN, **given) == english
    assert said(Language.NB, **given) == norwegian


def test_both_fields_wrong_are_each_said_on_their_own_field() -> None:
    assert said(Language.NB, account="12345678900", reference="12345678902") == {
        "account": "12345678900 har feil kontrollsiffer",
        "reference": "KID «12345678902» har feil kontrollsiffer (verken MOD10 eller MOD11)",
    }


@pytest.mark.parametrize(
    ("language", "expected"),
    [(Language.EN, "Nothing would change"), (Language.NB, "Ingenting ville bli endret")],
)
def test_a_fix_that_changes_nothing_is_said_on_the_account(
    language: Language, expected: str
) -> None:
    error = ValidationFailed.of_faults(
        {"fix": FieldFault(Fault.NOTHING_CHANGES, "nothing would change")}
    )
    assert fix_modal.fix_errors(error, language, SHOWN) == {Block.ACCOUNT.value: expected}


def test_an_error_without_a_kind_is_shown_as_the_core_says_it() -> None:
    error = ValidationFailed({"reference": "something new is wrong"})
    assert fix_modal.fix_errors(error, Language.NB, SHOWN) == {
        Block.REFERENCE.value: "Something new is wrong"
    }


def test_every_fault_is_said_in_norwegian() -> None:
    assert set(fix_modal.FAULTS) == set(Fault)
    for phrase in fix_modal.FAULTS.values():
        assert phrase.en == "{message}"
        assert "{message}" not in phrase.nb
