"""The search query language of `paybot search` and `/bank search`, parsed into a SearchQuery.

A query is terms separated by spaces (split like a shell, so quotes group words). A term
`field:value` filters on one field; any other term is a word matched against payee, invoice
number and reference. All terms must hold (AND), including a field given twice. An empty query
matches everything. Every query that cannot be understood raises QueryError naming the field.
`page:N` asks for the Nth page of the matches (where they are shown a page at a time).

    to:1234.56.78903 company:"Acme AS" amount:>=1000 due:2026-11-01..30.11.2026
    status:failed,processing currency:EUR,USD "invoice 17" page:2

Each field has Norwegian names too (FIELD_ALIASES: `beløp:>1000`, `mottaker:acme`,
`forfall:30.11.2026`), and each status Norwegian words (STATUS_WORDS_NB: `status:feil`). A term
that starts with letters and a colon is a field term: one whose word is no field's name is
refused (UnknownSearchField), not searched for as a word that would match nothing. Free text with
a colon is a word when quoted ("Blåbær: Øst AS"), or when the colon follows anything but letters
(12:30, INV-17:2).
"""

from __future__ import annotations

import io
import re
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import TypeVar

from paybot.core.errors import QueryError, UnknownSearchField
from paybot.core.identifiers import compact_account
from paybot.core.money import AmountError, parse_amount
from paybot.core.states import PaymentStatus

SEARCH_FIELDS: tuple[str, ...] = (
    "to",
    "company",
    "amount",
    "due",
    "status",
    "currency",
    "page",
)

# `direction:in` searches incoming payments (services.incoming), `direction:out` (the default)
# the payments out. It is no field of SEARCH_FIELDS: those are the fields of a payment out.
DIRECTION = "direction"
DIRECTIONS = ("in", "out")
DIRECTIONS_NB = {"inn": "in", "ut": "out"}

# The fields' (and direction's) Norwegian names, as a Norwegian user types them: each means its
# English field. ø may be typed as o. `status` is the same word in both.
FIELD_ALIASES: dict[str, str] = {
    "til": "to",
    "konto": "to",
    "mottaker": "company",
    "leverandør": "company",
    "leverandor": "company",
    "firma": "company",
    "beløp": "amount",
    "belop": "amount",
    "forfall": "due",
    "forfallsdato": "due",
    "valuta": "currency",
    "side": "page",
    "retning": DIRECTION,
}
# The statuses' Norwegian words: the seed's lists (Betalingsforslag, ..., as paybot shows them
# in Norwegian) and what a person says of a payment in them. ø may be typed as o.
STATUS_WORDS_NB: dict[str, PaymentStatus] = {
    "forslag": PaymentStatus.PROPOSED,
    "betalingsforslag": PaymentStatus.PROPOSED,
    "godkjent": PaymentStatus.APPROVED,
    "betalingsliste": PaymentStatus.APPROVED,
    "forfallsliste": PaymentStatus.DUE,
    "signert": PaymentStatus.DUE,
    "behandler": PaymentStatus.PROCESSING,
    "sendt": PaymentStatus.PROCESSING,
    "feil": PaymentStatus.FAILED,
    "feilet": PaymentStatus.FAILED,
    "betalt": PaymentStatus.PAID,
    "betalte": PaymentStatus.PAID,
    "bokført": PaymentStatus.POSTED,
    "bokfort": PaymentStatus.POSTED,
    "slettet": PaymentStatus.DELETED,
    "stoppet": PaymentStatus.ON_HOLD,
}
# The statuses of an incoming payment (services.incoming_run.IncomingStatus; a test holds them
# equal), for `status:` under `direction:in`.
INCOMING_STATUSES: tuple[str, ...] = (
    "matched", "settled", "partial", "overpaid", "unmatched", "posted", "deleted", "reversed",
)  # fmt: skip
# The incoming statuses' Norwegian words, where one word names one status.
INCOMING_STATUS_WORDS_NB: dict[str, str] = {
    "delvis": "partial",
    "overbetalt": "overpaid",
    "bokført": "posted",
    "bokfort": "posted",
    "slettet": "deleted",
    "reversert": "reversed",
}

# The last page a search may ask for: a page number becomes an offset in the database, and no one
# pages through ten thousand pages. Where no page size is given, a page holds PAGE_SIZE matches.
MAX_PAGE = 10_000
PAGE_SIZE = 20

_EXPECTED = {
    "to": "an account number like 1234.56.78903 or an IBAN",
    "company": 'a payee name (quote it if it has spaces: company:"Acme AS")',
    "amount": "a number, >N, <N or N..M",
    "due": "a date like 2026-11-30 or 30.11.2026, or a range DATE..DATE",
    "status": "statuses separated by commas, such as failed,processing",
    "currency": "3-letter currency codes separated by commas, such as NOK or EUR,USD",
    "page": f"a page number between 1 and {MAX_PAGE}",
    DIRECTION: "in (incoming payments) or out (payments out, the default)",
}

# Matched against the raw text, not the unquoted token, so that a quoted "INV:17" stays a word.
# Letters of any script (a Norwegian field name has æ, ø or å), and underscores after the first.
_FIELD_PREFIX = re.compile(r"([^\W\d_][^\W\d]*):")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_NORWEGIAN_DATE = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})")
_CURRENCY = re.compile(r"[A-Za-z]{3}")
_PAGE_NUMBER = re.compile(r"[0-9]{1,9}")  # ASCII digits only; longer is out of range anyway
_RANGE = ".."

# Values, the English labels people see in Slack ("Proposals") and the Norwegian words all
# name a status.
_STATUS_NAMES: dict[str, PaymentStatus] = {
    **STATUS_WORDS_NB,
    **{status.value: status for status in PaymentStatus},
    **{status.label.lower(): status for status in PaymentStatus},
}
_NO_FIELD = (
    "{typed}: unknown search field; the fields are {fields}. A KID, an invoice number or part "
    "of a name is found as a plain word, without a field; put a term in quotes to search for "
    "it as text"
)

_T = TypeVar("_T")


@dataclass(frozen=True)
class AmountRange:
    """Amounts between `low` and `high`; a missing bound is open."""

    low: Decimal | None = None
    high: Decimal | None = None
    low_inclusive: bool = True
    high_inclusive: bool = True

    def contains(self, amount: Decimal) -> bool:
        above_low = (
            self.low is None or amount > self.low or (self.low_inclusive and amount == self.low)
        )
        below_high = (
            self.high is None or amount < self.high or (self.high_inclusive and amount == self.high)
        )
        return above_low and below_high


@dataclass(frozen=True)
class DateRange:
    """Days from `start` to `end`, both inclusive; a missing end is open."""

    start: date | None = None
    end: date | None = None

    def contains(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class SearchQuery:
    """What a payment must match; every non-empty part must hold. The default matches all."""

    to_accounts: tuple[str, ...] = ()
    company_texts: tuple[str, ...] = ()
    amount_ranges: tuple[AmountRange, ...] = ()
    due_ranges: tuple[DateRange, ...] = ()
    statuses: frozenset[PaymentStatus] | None = None  # None = no filter; empty = matches nothing
    currencies: frozenset[str] | None = None
    words: tuple[str, ...] = ()
    page: int = 1  # which page of the matches is asked for; not a filter
    direction: str = "out"  # "in": incoming payments, filtered by `incoming_statuses`
    incoming_statuses: frozenset[str] | None = None  # status: under direction:in

    @property
    def incoming(self) -> bool:
        return self.direction == "in"


_OPERATORS: tuple[tuple[str, Callable[[Decimal], AmountRange]], ...] = (
    # Two-character operators first, so ">=" is not read as ">" followed by "=N".
    (">=", lambda n: AmountRange(low=n)),
    ("<=", lambda n: AmountRange(high=n)),
    (">", lambda n: AmountRange(low=n, low_inclusive=False)),
    ("<", lambda n: AmountRange(high=n, high_inclusive=False)),
)


def parse_query(text: str) -> SearchQuery:
    """Parse a query; raises QueryError with a message for the user when it cannot."""
    terms = list(_terms(text))
    query = SearchQuery(direction=_direction(terms))
    page: str | None = None  # as typed, to name both when a second one comes
    for typed_name, value in terms:
        if typed_name is None:
            if value.strip():
                query = replace(query, words=(*query.words, value))
            continue
        name = field_of(typed_name)
        if name == DIRECTION:
            continue
        if name == "page":
            if page is not None:
                raise QueryError(f"page: give one page, got page:{page} and page:{_clip(value)}")
            page = _clip(value)
        query = _apply_field(query, name, value)
    return query


def field_of(typed_name: str) -> str:
    """The field (of SEARCH_FIELDS, or `direction`) a term's word names, in English or in
    Norwegian, in any case; UnknownSearchField if it names none."""
    name = typed_name.lower()
    name = FIELD_ALIASES.get(name, name)
    if name not in (*SEARCH_FIELDS, DIRECTION):
        fields = ", ".join((*SEARCH_FIELDS, DIRECTION))
        raise UnknownSearchField(
            _NO_FIELD.format(typed=typed_name, fields=fields), typed=typed_name
        )
    return name


def _direction(terms: list[tuple[str | None, str]]) -> str:
    """The direction the query gives (read first: `status:` depends on it); out unless given.
    A field term whose word is no field is refused here, before any other term is read."""
    given: set[str] = set()
    for typed_name, value in terms:
        if typed_name is not None and field_of(typed_name) == DIRECTION:
            word = value.strip().lower()
            given.add(DIRECTIONS_NB.get(word, word))
    for value in given:
        if value not in DIRECTIONS:
            raise QueryError(f"direction: expected {_EXPECTED[DIRECTION]}, got {_clip(value)!r}")
    if len(given) > 1:
        raise QueryError("direction: give one direction, in or out")
    return given.pop() if given else "out"


def _terms(text: str) -> Iterator[tuple[str | None, str]]:
    """(field name as typed, value) for each field term, (None, word) for each other term."""
    stream = io.StringIO(text)  # our own handle: the lexer's position tells where a term starts
    lexer = shlex.shlex(stream, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = ""  # "#17" is an invoice number, not a comment
    while True:
        start = stream.tell()
        while start < len(text) and text[start] in lexer.whitespace:
            start += 1
        prefix = _FIELD_PREFIX.match(text, start)
        try:
            token = lexer.get_token()
        except ValueError as exc:
            raise _split_error(prefix.group(1) if prefix else "query", text[start:], exc) from None
        if token is None:
            return
        if prefix is None:
            yield None, token
        else:
            yield prefix.group(1), token[prefix.end() - start :]


def _split_error(field_name: str, rest: str, exc: ValueError) -> QueryError:
    if "quotation" in str(exc):
        return QueryError(f"{field_name}: expected a closing quotation mark, got {rest!r}")
    return QueryError(f"{field_name}: expected a character after the backslash, got {rest!r}")


def _apply_field(query: SearchQuery, name: str, value: str) -> SearchQuery:
    """`query` with the term `name:value` (`name`: a field of SEARCH_FIELDS) added."""
    value = value.strip()
    if not value:
        raise QueryError(f"{name}: expected {_EXPECTED[name]}, got nothing")
    if name == "to":
        return replace(query, to_accounts=(*query.to_accounts, _parse_account(value)))
    if name == "company":
        return replace(query, company_texts=(*query.company_texts, value))
    if name == "amount":
        return replace(query, amount_ranges=(*query.amount_ranges, _parse_amount_range(value)))
    if name == "due":
        return replace(query, due_ranges=(*query.due_ranges, _parse_date_range(value)))
    if name == "status" and query.incoming:
        found = _parse_incoming_statuses(value)
        return replace(query, incoming_statuses=_intersect(query.incoming_statuses, found))
    if name == "status":
        return replace(query, statuses=_intersect(query.statuses, _parse_statuses(value)))
    if name == "page":
        return replace(query, page=_parse_page(value))
    return replace(query, currencies=_intersect(query.currencies, _parse_currencies(value)))


def _intersect(current: frozenset[_T] | None, new: frozenset[_T]) -> frozenset[_T]:
    return new if current is None else current & new


def _parse_account(value: str) -> str:
    # Not checked for a valid check digit: people search for the wrong accounts too.
    account = compact_account(value)
    if not (account.isascii() and account.isalnum()):
        raise QueryError(f"to: expected {_EXPECTED['to']}, got {value!r}")
    return account


def _parse_amount_range(value: str) -> AmountRange:
    for operator, make_range in _OPERATORS:
        if value.startswith(operator):
            return make_range(_parse_number(value[len(operator) :], value))
    if _RANGE not in value:
        number = _parse_number(value, value)
        return AmountRange(low=number, high=number)
    low_text, _, high_text = value.partition(_RANGE)
    if not low_text and not high_text:
        raise QueryError(f"amount: expected {_EXPECTED['amount']}, got {value!r}")
    low = _parse_number(low_text, value) if low_text else None
    high = _parse_number(high_text, value) if high_text else None
    if low is not None and high is not None and low > high:
        raise QueryError(f"amount: expected N..M with N not above M, got {value!r}")
    return AmountRange(low=low, high=high)


def _parse_number(text: str, value: str) -> Decimal:
    try:
        return parse_amount(text)
    except AmountError:
        raise QueryError(f"amount: expected {_EXPECTED['amount']}, got {value!r}") from None


def _parse_date_range(value: str) -> DateRange:
    if _RANGE not in value:
        day = _parse_date(value)
        return DateRange(start=day, end=day)
    start_text, _, end_text = value.partition(_RANGE)
    if not start_text and not end_text:
        raise QueryError(f"due: expected {_EXPECTED['due']}, got {value!r}")
    start = _parse_date(start_text) if start_text else None
    end = _parse_date(end_text) if end_text else None
    if start is not None and end is not None and start > end:
        raise QueryError(f"due: expected the earlier date first in DATE..DATE, got {value!r}")
    return DateRange(start=start, end=end)


def _parse_date(text: str) -> date:
    if match := _ISO_DATE.fullmatch(text):
        year, month, day = match.groups()
    elif match := _NORWEGIAN_DATE.fullmatch(text):
        day, month, year = match.groups()
    else:
        raise _date_error(text)
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise _date_error(text) from None


def _date_error(text: str) -> QueryError:
    return QueryError(f"due: expected a date like 2026-11-30 or 30.11.2026, got {text!r}")


def _parse_page(value: str) -> int:
    page = int(value) if _PAGE_NUMBER.fullmatch(value) else 0
    if not 1 <= page <= MAX_PAGE:
        raise QueryError(
            f"page: must be a whole number between 1 and {MAX_PAGE}, got {_clip(value)!r}"
        )
    return page


def _clip(value: str, most: int = 30) -> str:
    """A value as it is echoed in an error: whole if short, else its start."""
    return value if len(value) <= most else value[:most] + "…"


def _parse_statuses(value: str) -> frozenset[PaymentStatus]:
    statuses: set[PaymentStatus] = set()
    for item in _comma_items("status", value):
        status = _STATUS_NAMES.get(item.lower())
        if status is None:
            known = ", ".join(member.value for member in PaymentStatus)
            raise QueryError(f"status: unknown status {item!r} (expected one of {known})")
        statuses.add(status)
    return frozenset(statuses)


def _parse_incoming_statuses(value: str) -> frozenset[str]:
    statuses: set[str] = set()
    for item in _comma_items("status", value):
        status = INCOMING_STATUS_WORDS_NB.get(item.lower(), item.lower())
        if status not in INCOMING_STATUSES:
            known = ", ".join(INCOMING_STATUSES)
            raise QueryError(
                f"status: unknown status of an incoming payment {item!r} (expected one of {known})"
            )
        statuses.add(status)
    return frozenset(statuses)


def _parse_currencies(value: str) -> frozenset[str]:
    # Any three letters, not only ISO codes: a payment may be flagged for an unsupported one.
    currencies: set[str] = set()
    for item in _comma_items("currency", value):
        if not _CURRENCY.fullmatch(item):
            raise QueryError(f"currency: expected a 3-letter code like NOK or EUR, got {item!r}")
        currencies.add(item.upper())
    return frozenset(currencies)


def _comma_items(field_name: str, value: str) -> list[str]:
    items = [item.strip() for item in value.split(",")]
    if not all(items):
        raise QueryError(f"{field_name}: expected {_EXPECTED[field_name]}, got {value!r}")
    return items
