from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paybot.core.errors import QueryError
from paybot.core.search_query import (
    MAX_PAGE,
    SEARCH_FIELDS,
    AmountRange,
    DateRange,
    SearchQuery,
    parse_query,
)
from paybot.core.states import PaymentStatus


def error_of(text: str) -> str:
    with pytest.raises(QueryError) as caught:
        parse_query(text)
    return caught.value.user_message


# --- empty and words ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\t\n "])
def test_empty_query_matches_everything(text: str) -> None:
    assert parse_query(text) == SearchQuery()


def test_bare_words_are_kept_as_typed() -> None:
    assert parse_query("Acme INV-17").words == ("Acme", "INV-17")


def test_quoted_phrase_is_one_word() -> None:
    assert parse_query('"Acme AS" rent').words == ("Acme AS", "rent")


def test_single_quotes_group_words_too() -> None:
    assert parse_query("'Acme AS'").words == ("Acme AS",)


def test_hash_is_part_of_a_word_not_a_comment() -> None:
    assert parse_query("#17 rent").words == ("#17", "rent")


def test_quoted_term_with_colon_is_a_word_not_a_field() -> None:
    assert parse_query("\"INV:17\" 'foo:bar'").words == ("INV:17", "foo:bar")


def test_word_with_colon_not_after_letters_is_a_word() -> None:
    assert parse_query("12:30").words == ("12:30",)


def test_empty_quoted_phrase_is_ignored() -> None:
    assert parse_query('"" rent').words == ("rent",)


# --- to: ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["to:12345678903", "to:1234.56.78903", 'to:"1234 56 78903"', "to:1234-56-78903"],
)
def test_to_field_stores_the_account_compact_whatever_its_formatting(text: str) -> None:
    assert parse_query(text).to_accounts == ("12345678903",)


def test_to_field_upper_cases_an_iban() -> None:
    assert parse_query('to:"no93 8601 1117 947"').to_accounts == ("NO9386011117947",)


def test_to_field_does_not_require_a_valid_check_digit() -> None:
    assert parse_query("to:12345678900").to_accounts == ("12345678900",)


def test_to_field_rejects_characters_that_are_not_in_an_account() -> None:
    message = error_of("to:1234/56")
    assert message.startswith("to: expected an account number")
    assert "'1234/56'" in message


def test_to_field_made_only_of_separators_is_an_error() -> None:
    assert error_of("to:...").startswith("to: expected an account number")


# --- company: ----------------------------------------------------------------------------------


def test_company_field_takes_one_word() -> None:
    assert parse_query("company:acme").company_texts == ("acme",)


def test_company_field_takes_a_quoted_name_with_spaces() -> None:
    assert parse_query('company:"Acme AS"').company_texts == ("Acme AS",)


def test_company_field_quote_may_cover_the_field_name_too() -> None:
    assert parse_query('"company:Acme AS"').words == ("company:Acme AS",)


def test_company_field_keeps_the_case_as_typed() -> None:
    assert parse_query("company:ACME").company_texts == ("ACME",)


# --- amount: -----------------------------------------------------------------------------------


def test_amount_field_with_a_number_matches_exactly_that_amount() -> None:
    (only,) = parse_query("amount:1000").amount_ranges
    assert only == AmountRange(low=Decimal("1000"), high=Decimal("1000"))


@pytest.mark.parametrize("text", ["amount:1000,50", "amount:1000.50", 'amount:"1 000,50"'])
def test_amount_field_accepts_comma_point_and_grouped_numbers(text: str) -> None:
    (only,) = parse_query(text).amount_ranges
    assert only.low == only.high == Decimal("1000.50")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("amount:>100", AmountRange(low=Decimal(100), low_inclusive=False)),
        ("amount:<100", AmountRange(high=Decimal(100), high_inclusive=False)),
        ("amount:>=100", AmountRange(low=Decimal(100))),
        ("amount:<=100", AmountRange(high=Decimal(100))),
        ('amount:"> 100"', AmountRange(low=Decimal(100), low_inclusive=False)),
    ],
)
def test_amount_field_accepts_comparisons(text: str, expected: AmountRange) -> None:
    assert parse_query(text).amount_ranges == (expected,)


def test_amount_field_accepts_an_inclusive_range() -> None:
    (only,) = parse_query("amount:100..200,50").amount_ranges
    assert only == AmountRange(low=Decimal(100), high=Decimal("200.50"))
    assert only.contains(Decimal(100))
    assert only.contains(Decimal("200.50"))
    assert not only.contains(Decimal("200.51"))


def test_amount_range_may_have_open_ends() -> None:
    assert parse_query("amount:..200 amount:100..").amount_ranges == (
        AmountRange(high=Decimal(200)),
        AmountRange(low=Decimal(100)),
    )


def test_amount_range_with_negative_bounds() -> None:
    (only,) = parse_query("amount:-500..-100").amount_ranges
    assert only == AmountRange(low=Decimal(-500), high=Decimal(-100))


def test_amount_range_with_equal_ends_is_allowed() -> None:
    (only,) = parse_query("amount:100..100").amount_ranges
    assert only.contains(Decimal(100))


def test_amount_range_with_low_above_high_is_an_error() -> None:
    message = error_of("amount:500..100")
    assert message.startswith("amount: expected N..M with N not above M")
    assert "'500..100'" in message


@pytest.mark.parametrize("value", ["abc", ">", ">=x", "1..x", "..", "=100", "1.2.3", "1...2"])
def test_amount_field_rejects_what_is_not_a_number_or_range(value: str) -> None:
    assert error_of(f"amount:{value}") == (
        f"amount: expected a number, >N, <N or N..M, got {value!r}"
    )


def test_amount_range_strict_bounds_exclude_the_bound() -> None:
    (above,) = parse_query("amount:>100").amount_ranges
    (below,) = parse_query("amount:<100").amount_ranges
    assert not above.contains(Decimal(100))
    assert above.contains(Decimal("100.01"))
    assert not below.contains(Decimal(100))
    assert below.contains(Decimal("99.99"))


def test_unbounded_amount_range_contains_everything() -> None:
    assert AmountRange().contains(Decimal("-1e9"))


# --- due: --------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["2026-11-30", "30.11.2026"])
def test_due_field_accepts_iso_and_norwegian_dates(value: str) -> None:
    (only,) = parse_query(f"due:{value}").due_ranges
    assert only == DateRange(start=date(2026, 11, 30), end=date(2026, 11, 30))


def test_due_field_accepts_norwegian_dates_without_leading_zeros() -> None:
    (only,) = parse_query("due:1.2.2026").due_ranges
    assert only.start == date(2026, 2, 1)


def test_due_field_accepts_an_inclusive_range_mixing_date_forms() -> None:
    (only,) = parse_query("due:2026-11-01..30.11.2026").due_ranges
    assert only == DateRange(start=date(2026, 11, 1), end=date(2026, 11, 30))
    assert only.contains(date(2026, 11, 1))
    assert only.contains(date(2026, 11, 30))
    assert not only.contains(date(2026, 12, 1))
    assert not only.contains(date(2026, 10, 31))


def test_due_range_may_have_open_ends() -> None:
    assert parse_query("due:..30.11.2026 due:2026-11-01..").due_ranges == (
        DateRange(end=date(2026, 11, 30)),
        DateRange(start=date(2026, 11, 1)),
    )


def test_unbounded_date_range_contains_every_day() -> None:
    assert DateRange().contains(date(1, 1, 1))


@pytest.mark.parametrize(
    ("query", "bad"),
    [
        ("due:31.02.2026", "31.02.2026"),
        ("due:2026-13-01", "2026-13-01"),
        ("due:tomorrow", "tomorrow"),
        ("due:30/11/2026", "30/11/2026"),
        ("due:20261130", "20261130"),
        ("due:2026-11-01..soon", "soon"),
    ],
)
def test_due_field_rejects_what_is_not_a_date(query: str, bad: str) -> None:
    assert error_of(query) == f"due: expected a date like 2026-11-30 or 30.11.2026, got {bad!r}"


def test_due_range_without_any_date_is_an_error() -> None:
    assert error_of("due:..").startswith("due: expected a date")


def test_due_range_with_start_after_end_is_an_error() -> None:
    message = error_of("due:2026-12-01..2026-11-01")
    assert message.startswith("due: expected the earlier date first")


# --- status: -----------------------------------------------------------------------------------


def test_status_field_takes_one_status() -> None:
    assert parse_query("status:failed").statuses == frozenset({PaymentStatus.FAILED})


def test_status_field_accepts_several_comma_separated_values() -> None:
    assert parse_query("status:failed,processing").statuses == frozenset(
        {PaymentStatus.FAILED, PaymentStatus.PROCESSING}
    )


def test_status_field_is_case_insensitive() -> None:
    assert parse_query("status:Failed,PAID").statuses == frozenset(
        {PaymentStatus.FAILED, PaymentStatus.PAID}
    )


def test_status_field_accepts_the_english_label_proposals() -> None:
    assert parse_query("status:Proposals").statuses == frozenset({PaymentStatus.PROPOSED})


@pytest.mark.parametrize("status", list(PaymentStatus))
def test_status_field_accepts_every_status_value(status: PaymentStatus) -> None:
    assert parse_query(f"status:{status.value}").statuses == frozenset({status})


def test_no_status_field_means_no_status_filter() -> None:
    assert parse_query("rent").statuses is None


def test_status_field_rejects_an_unknown_status_listing_the_known_ones() -> None:
    assert error_of("status:failed,sent") == (
        "status: unknown status 'sent' (expected one of proposed, approved, due, processing,"
        " failed, paid, posted, deleted, on_hold)"
    )


@pytest.mark.parametrize("value", ["failed,", ",failed", "failed,,paid"])
def test_status_field_rejects_an_empty_item_between_commas(value: str) -> None:
    assert error_of(f"status:{value}").startswith("status: expected statuses separated by commas")


# --- currency: ---------------------------------------------------------------------------------


def test_currency_field_is_upper_cased() -> None:
    assert parse_query("currency:eur").currencies == frozenset({"EUR"})


def test_currency_field_accepts_several_comma_separated_codes() -> None:
    assert parse_query("currency:EUR,usd").currencies == frozenset({"EUR", "USD"})


def test_currency_field_accepts_codes_that_are_not_iso() -> None:
    assert parse_query("currency:XYZ").currencies == frozenset({"XYZ"})


@pytest.mark.parametrize("bad", ["EURO", "EU", "E1R", "ØRE"])
def test_currency_field_rejects_what_is_not_three_letters(bad: str) -> None:
    assert error_of(f"currency:NOK,{bad}") == (
        f"currency: expected a 3-letter code like NOK or EUR, got {bad!r}"
    )


def test_currency_field_rejects_an_empty_item_between_commas() -> None:
    assert error_of("currency:NOK,").startswith("currency: expected 3-letter currency codes")


# --- page: ------------------------------------------------------------------------------------


def test_a_query_without_a_page_asks_for_the_first() -> None:
    assert parse_query("status:failed").page == 1


@pytest.mark.parametrize(("text", "page"), [("page:2", 2), ("PAGE:17 rent", 17), ("page:007", 7)])
def test_page_field_names_the_page(text: str, page: int) -> None:
    assert parse_query(text).page == page


def test_the_last_page_there_can_be_is_allowed() -> None:
    assert parse_query(f"page:{MAX_PAGE}").page == MAX_PAGE


@pytest.mark.parametrize(
    "bad",
    ["99999999999999999999999", "0", "-1", "+2", "1.5", "2,3", "two", "²", "٣", "1e3", "0x10"],
)
def test_a_page_that_is_no_page_number_in_range_is_an_error_naming_the_field(bad: str) -> None:
    assert error_of(f"status:failed page:{bad}") == (
        f"page: must be a whole number between 1 and {MAX_PAGE}, got {bad!r}"
    )


def test_a_page_past_the_last_there_can_be_is_an_error() -> None:
    assert error_of(f"page:{MAX_PAGE + 1}").startswith("page: must be a whole number between 1")


def test_a_very_long_page_value_is_shortened_in_the_error() -> None:
    message = error_of("page:" + "9" * 5000)
    assert message.startswith(f"page: must be a whole number between 1 and {MAX_PAGE}, got '999")
    assert len(message) < 120


def test_a_page_given_twice_is_an_error() -> None:
    assert error_of("page:2 page:3") == "page: give one page, got page:2 and page:3"


def test_a_quoted_page_term_is_a_word() -> None:
    query = parse_query('"page:2"')
    assert (query.words, query.page) == (("page:2",), 1)


@given(st.integers(min_value=1, max_value=MAX_PAGE))
def test_any_page_in_range_round_trips(page: int) -> None:
    assert parse_query(f"page:{page} status:paid").page == page


@given(st.integers().filter(lambda n: not 1 <= n <= MAX_PAGE))
def test_any_whole_number_out_of_range_is_refused_naming_the_page(page: int) -> None:
    assert error_of(f"page:{page}").startswith("page: must be a whole number between 1 and ")


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Zs", "Cc")), min_size=1))
def test_any_page_text_is_a_page_or_a_query_error_and_nothing_else(value: str) -> None:
    try:
        page = parse_query(f"page:{value}").page
    except QueryError as error:
        assert error.user_message.startswith(("page: ", "query: "))
    else:
        assert 1 <= page <= MAX_PAGE


# --- combining and repeating -------------------------------------------------------------------


def test_fields_and_words_combine() -> None:
    query = parse_query(
        'to:1234.56.78903 company:"Acme AS" amount:>=1000 due:..30.11.2026'
        " status:failed currency:nok rent"
    )
    assert query == SearchQuery(
        to_accounts=("12345678903",),
        company_texts=("Acme AS",),
        amount_ranges=(AmountRange(low=Decimal(1000)),),
        due_ranges=(DateRange(end=date(2026, 11, 30)),),
        statuses=frozenset({PaymentStatus.FAILED}),
        currencies=frozenset({"NOK"}),
        words=("rent",),
    )


def test_field_names_are_case_insensitive() -> None:
    query = parse_query("STATUS:paid Company:acme Amount:5 DUE:2026-11-30 Currency:nok TO:1")
    assert query.statuses == frozenset({PaymentStatus.PAID})
    assert query.company_texts == ("acme",)
    assert len(query.amount_ranges) == len(query.due_ranges) == 1
    assert query.currencies == frozenset({"NOK"})
    assert query.to_accounts == ("1",)


def test_repeated_status_fields_intersect() -> None:
    query = parse_query("status:failed,processing status:processing,paid")
    assert query.statuses == frozenset({PaymentStatus.PROCESSING})


def test_repeated_status_fields_without_overlap_match_nothing() -> None:
    assert parse_query("status:failed status:paid").statuses == frozenset()


def test_repeated_currency_fields_intersect() -> None:
    assert parse_query("currency:NOK,EUR currency:eur,usd").currencies == frozenset({"EUR"})


def test_repeated_amount_fields_must_all_hold() -> None:
    assert parse_query("amount:>=100 amount:<500").amount_ranges == (
        AmountRange(low=Decimal(100)),
        AmountRange(high=Decimal(500), high_inclusive=False),
    )


def test_repeated_due_fields_must_all_hold() -> None:
    assert len(parse_query("due:2026-11-01.. due:..2026-11-30").due_ranges) == 2


def test_repeated_company_and_to_fields_keep_every_value() -> None:
    query = parse_query("company:acme company:bygg to:1 to:2")
    assert query.company_texts == ("acme", "bygg")
    assert query.to_accounts == ("1", "2")


def test_field_after_non_ascii_text_is_still_recognised() -> None:
    query = parse_query('"Blåbær Øst" status:paid')
    assert query.words == ("Blåbær Øst",)
    assert query.statuses == frozenset({PaymentStatus.PAID})


# --- errors of the whole query -----------------------------------------------------------------


def test_unknown_field_is_named_and_the_known_fields_listed() -> None:
    message = error_of("status:paid foo:bar")
    assert message.startswith("foo: unknown search field")
    for name in SEARCH_FIELDS:
        assert name in message


def test_unknown_field_is_named_as_typed() -> None:
    assert error_of("Foo:bar").startswith("Foo: unknown search field")


@pytest.mark.parametrize("name", SEARCH_FIELDS)
def test_empty_value_is_an_error_naming_the_field(name: str) -> None:
    message = error_of(f"{name}:")
    assert message.startswith(f"{name}: expected ")
    assert message.endswith("got nothing")


@pytest.mark.parametrize("name", SEARCH_FIELDS)
def test_blank_quoted_value_is_an_error_naming_the_field(name: str) -> None:
    assert error_of(f'{name}:"  "').startswith(f"{name}: expected ")


def test_space_after_the_colon_leaves_the_field_empty() -> None:
    assert error_of("company: Acme").startswith("company: expected a payee name (quote it if")


def test_unterminated_quote_in_a_field_names_the_field() -> None:
    assert error_of('rent company:"Acme AS') == (
        "company: expected a closing quotation mark, got 'company:\"Acme AS'"
    )


def test_unterminated_quote_in_a_word_is_an_error() -> None:
    assert error_of('rent "Acme AS').startswith("query: expected a closing quotation mark")


def test_trailing_backslash_is_an_error() -> None:
    assert error_of("rent \\").startswith("query: expected a character after the backslash")


def test_query_error_has_the_bad_query_code() -> None:
    with pytest.raises(QueryError) as caught:
        parse_query("amount:abc")
    assert caught.value.code == "bad_query"


# --- properties --------------------------------------------------------------------------------

two_decimals = st.decimals(
    min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=2, allow_nan=False
)


@given(two_decimals, st.sampled_from([".", ","]))
def test_any_amount_with_two_decimals_round_trips_through_the_amount_field(
    amount: Decimal, point: str
) -> None:
    (only,) = parse_query(f"amount:{amount:f}".replace(".", point)).amount_ranges
    assert only == AmountRange(low=amount, high=amount)
    assert only.contains(amount)


@given(two_decimals, two_decimals)
def test_any_ordered_amount_range_contains_both_ends(first: Decimal, second: Decimal) -> None:
    low, high = sorted((first, second))
    (only,) = parse_query(f"amount:{low:f}..{high:f}").amount_ranges
    assert only.contains(low)
    assert only.contains(high)


@given(st.dates(min_value=date(1000, 1, 1)))
def test_any_date_round_trips_through_both_date_forms(day: date) -> None:
    iso = parse_query(f"due:{day.isoformat()}").due_ranges
    norwegian = parse_query(f"due:{day:%d.%m.%Y}").due_ranges
    assert iso == norwegian == (DateRange(start=day, end=day),)
