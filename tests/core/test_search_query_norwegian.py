"""Search terms a Norwegian user types: the fields' Norwegian names and the statuses' Norwegian
words; and any `word:value` whose word is no field refused, naming the fields, while free text
with a colon that is no field term stays a word."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from paybot.core.errors import QueryError, UnknownSearchField
from paybot.core.search_query import (
    FIELD_ALIASES,
    SEARCH_FIELDS,
    STATUS_WORDS_NB,
    AmountRange,
    DateRange,
    parse_query,
)
from paybot.core.states import PaymentStatus


def refusal(text: str) -> QueryError:
    with pytest.raises(QueryError) as caught:
        parse_query(text)
    return caught.value


# --- Norwegian field names ------------------------------------------------------------------------


def test_belop_is_amount() -> None:
    assert parse_query("beløp:>1000") == parse_query("amount:>1000")
    (only,) = parse_query("beløp:>1000").amount_ranges
    assert only == AmountRange(low=Decimal("1000"), low_inclusive=False)


@pytest.mark.parametrize(
    ("norwegian", "english"),
    [
        ("beløp:100..500", "amount:100..500"),
        ("belop:100", "amount:100"),
        ("BELØP:100", "amount:100"),
        ("forfall:30.11.2026", "due:30.11.2026"),
        ("forfallsdato:2026-11-01..", "due:2026-11-01.."),
        ("mottaker:acme", "company:acme"),
        ('leverandør:"Acme AS"', 'company:"Acme AS"'),
        ("leverandor:acme", "company:acme"),
        ("firma:acme", "company:acme"),
        ("konto:1234.56.78903", "to:1234.56.78903"),
        ("til:1234.56.78903", "to:1234.56.78903"),
        ("valuta:eur,usd", "currency:EUR,USD"),
        ("side:2", "page:2"),
        ("status:feil", "status:failed"),
        ("retning:inn status:delvis", "direction:in status:partial"),
        ("retning:ut", "direction:out"),
    ],
)
def test_a_norwegian_field_name_means_its_english_field(norwegian: str, english: str) -> None:
    assert parse_query(norwegian) == parse_query(english)


def test_every_alias_names_a_field() -> None:
    assert set(FIELD_ALIASES.values()) <= {*SEARCH_FIELDS, "direction"}
    assert not set(FIELD_ALIASES) & set(SEARCH_FIELDS)


def test_norwegian_and_english_fields_combine() -> None:
    query = parse_query("mottaker:acme amount:>=100 forfall:..2026-12-31 status:feilet,behandler")
    assert query.company_texts == ("acme",)
    assert query.amount_ranges == (AmountRange(low=Decimal("100")),)
    assert query.due_ranges == (DateRange(end=date(2026, 12, 31)),)
    assert query.statuses == frozenset({PaymentStatus.FAILED, PaymentStatus.PROCESSING})


def test_a_page_given_twice_is_refused_whatever_its_name() -> None:
    assert refusal("side:2 page:3").user_message.startswith("page: give one page")


# --- Norwegian statuses -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("forslag", PaymentStatus.PROPOSED),
        ("betalingsforslag", PaymentStatus.PROPOSED),
        ("godkjent", PaymentStatus.APPROVED),
        ("betalingsliste", PaymentStatus.APPROVED),
        ("forfallsliste", PaymentStatus.DUE),
        ("signert", PaymentStatus.DUE),
        ("behandler", PaymentStatus.PROCESSING),
        ("sendt", PaymentStatus.PROCESSING),
        ("feil", PaymentStatus.FAILED),
        ("feilet", PaymentStatus.FAILED),
        ("betalt", PaymentStatus.PAID),
        ("betalte", PaymentStatus.PAID),
        ("bokført", PaymentStatus.POSTED),
        ("Bokfort", PaymentStatus.POSTED),
        ("slettet", PaymentStatus.DELETED),
        ("stoppet", PaymentStatus.ON_HOLD),
    ],
)
def test_a_status_may_be_named_in_norwegian(word: str, status: PaymentStatus) -> None:
    assert parse_query(f"status:{word}").statuses == frozenset({status})


@pytest.mark.parametrize("status", list(PaymentStatus))
def test_every_status_has_a_norwegian_word(status: PaymentStatus) -> None:
    assert status in STATUS_WORDS_NB.values()


def test_an_unknown_status_lists_the_english_values_as_before() -> None:
    assert refusal("status:sent").user_message.startswith(
        "status: unknown status 'sent' (expected one of proposed, approved, due, processing,"
    )


# --- a word that is no field ----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["kid:12345678903", "Blåbær:1", "faktura:17 status:paid"])
def test_a_term_whose_word_is_no_field_is_refused_listing_the_fields(text: str) -> None:
    error = refusal(text)
    assert isinstance(error, UnknownSearchField)
    typed = text.split(":")[0]
    assert error.typed == typed
    assert error.user_message.startswith(f"{typed}: unknown search field")
    for name in (*SEARCH_FIELDS, "direction"):
        assert name in error.user_message
    assert "in quotes" in error.user_message


def test_the_refusal_says_how_to_find_a_kid() -> None:
    message = refusal("kid:12345678903").user_message
    assert "A KID, an invoice number or part of a name is found as a plain word" in message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('"Blåbær: Øst AS"', ("Blåbær: Øst AS",)),
        ("'kid:12345678903'", ("kid:12345678903",)),
        ("12:30", ("12:30",)),
        ("INV-17:2", ("INV-17:2",)),
        ("A1:B2", ("A1:B2",)),
        (":x", (":x",)),
        ("12345678903", ("12345678903",)),
    ],
)
def test_free_text_with_a_colon_that_is_no_field_term_is_a_word(
    text: str, words: tuple[str, ...]
) -> None:
    assert parse_query(text).words == words


def test_a_payee_name_with_a_colon_is_found_quoted_or_as_a_company() -> None:
    assert parse_query('company:"Ærlig: Bygg AS"').company_texts == ("Ærlig: Bygg AS",)
    assert parse_query('mottaker:"Ærlig: Bygg AS"').company_texts == ("Ærlig: Bygg AS",)
