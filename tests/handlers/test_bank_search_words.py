"""`/bank`'s words about the search fields in the person's language: the help names the fields in
Norwegian too, and a term whose word is no field is refused listing them."""

from __future__ import annotations

import pytest

from paybot.core.company import Language
from paybot.core.errors import NotFound, QueryError
from paybot.core.search_query import DIRECTION, FIELD_ALIASES, SEARCH_FIELDS, parse_query
from paybot.handlers.views import bank


def refused(text: str) -> QueryError:
    with pytest.raises(QueryError) as caught:
        parse_query(text)
    return caught.value


def test_every_norwegian_field_name_shown_is_one_the_query_takes() -> None:
    assert set(bank.FIELD_NAMES_NB) == {*SEARCH_FIELDS, DIRECTION}
    for field, name in bank.FIELD_NAMES_NB.items():
        assert FIELD_ALIASES.get(name, name) == field


def test_the_norwegian_help_gives_norwegian_field_names() -> None:
    text = bank.help_answer(Language.NB)["blocks"][0]["text"]["text"]
    assert "mottaker:acme beløp:>1000" in text
    assert "Søkefelt: til (to), mottaker (company), beløp (amount), forfall (due)" in text


def test_the_norwegian_help_examples_are_queries_paybot_takes() -> None:
    example = "mottaker:acme beløp:>1000 status:feil,behandler forfall:2026-12-01..2026-12-31"
    assert example in bank.HELP.nb
    query = parse_query(example + " konto:1234.56.78903 valuta:EUR side:2")
    assert query.company_texts == ("acme",) and query.page == 2


def test_the_english_help_is_as_before() -> None:
    text = bank.help_answer(Language.EN)["blocks"][0]["text"]["text"]
    assert "`company:acme amount:>1000 status:failed,processing" in text
    assert text.endswith(f"Search fields: {', '.join(SEARCH_FIELDS)}.")


def test_an_unknown_field_is_refused_in_norwegian_listing_the_fields() -> None:
    answer = bank.refusal_answer(refused("kid:12345678903"), Language.NB)
    assert answer["response_type"] == "ephemeral"
    assert answer["text"] == (
        "«kid» er ikke et søkefelt. Søkefeltene er til (to), mottaker (company), beløp (amount), "
        "forfall (due), status, valuta (currency), side (page) og retning (direction). Et KID, et "
        "fakturanummer eller en del av et navn finner du som vanlig ord, uten felt; sett ordet i "
        "anførselstegn for å søke etter det som tekst."
    )


def test_an_unknown_field_is_refused_in_english_as_the_core_says_it() -> None:
    error = refused("kid:12345678903")
    assert bank.refusal_answer(error, Language.EN)["text"] == error.user_message


def test_the_typed_word_is_named_as_typed() -> None:
    text = bank.refusal_answer(refused("Blåbær:1"), Language.NB)["text"]
    assert text.startswith("«Blåbær» er ikke et søkefelt.")


@pytest.mark.parametrize("language", list(Language))
def test_another_refusal_is_shown_as_the_service_said_it(language: Language) -> None:
    error = refused("amount:abc")
    assert bank.refusal_answer(error, language)["text"] == error.user_message
    other = NotFound("No such payment.")
    assert bank.refusal_answer(other, language)["text"] == "No such payment."
