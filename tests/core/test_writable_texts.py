"""Texts a payment file cannot carry as typed: one rule (core.bankfiles.pain001.as_written) for
the flags and for what a person types. A payee's name with nothing a bank takes is red
(invalid_name); a purpose text or an address with no letter or digit, or with a character the
writer would leave out rather than spell out, is refused naming it; and what the flags let
through, the writer takes."""

from __future__ import annotations

import dataclasses
import io
import unicodedata
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from paybot.core.bank_profiles import DNB, NORDEA, CharacterSet
from paybot.core.bankfiles.model import (
    BankFileRejected,
    CreditTransfer,
    Party,
    PaymentBlock,
    PaymentOrder,
    PostalAddress,
    RegulatoryReport,
)
from paybot.core.bankfiles.pain001 import as_written, clean_text, write_pain001
from paybot.core.errors import ImportRejected
from paybot.core.flags import PaymentFacts, Reporting, completeness_reasons
from paybot.core.ledger_file import read_supplier_rows
from paybot.core.payee_details import (
    PayeeDetailsInvalid,
    Problem,
    check_field,
    check_payee_details,
)
from paybot.core.payment_types import PaymentType
from paybot.core.payments import (
    REASON_TEXTS,
    RED_REASONS,
    Flag,
    PayeeDetails,
    Reason,
    ReferenceType,
    flag_for,
)

GB_IBAN = "GB29NWBK60161331926819"
DE_IBAN = "DE89370400440532013000"
US_ACCOUNT = "123456789012"
NORWEGIAN_ACCOUNT = "12345678903"
CYRILLIC = "Дмитрий ООО"
LONDON = PayeeDetails(town="London", country="GB")
PURPOSE = {"purpose_code": "14", "purpose_text": "Machine parts"}
RATES = Reporting({"USD": Decimal("10"), "EUR": Decimal("11.5")})
TEXT_FIELDS = ("street", "building_no", "post_code", "town", "purpose_text")


def facts(**overrides: Any) -> PaymentFacts:
    """EUR 1,250 to a British IBAN (SEPA), the payee in London, named in Latin letters."""
    values: dict[str, Any] = {
        "key": 1,
        "supplier_key": 10,
        "account": GB_IBAN,
        "amount": Decimal("1250.00"),
        "currency": "EUR",
        "reference_type": ReferenceType.MESSAGE,
        "reference": "Invoice 7",
        "invoice_no": "7",
        "payee": LONDON,
        "payee_name": "Dmitri OOO",
    }
    values.update(overrides)
    return PaymentFacts(**values)


def refused(name: str, typed: str) -> tuple[Problem, str, dict[str, Any]]:
    value, problem = check_field(name, typed)
    assert value is None and problem is not None, typed
    with pytest.raises(PayeeDetailsInvalid) as caught:
        check_payee_details({name: typed})
    assert caught.value.errors == {name: problem.message}
    return problem.kind, problem.message, dict(problem.values)


# --- the rule ------------------------------------------------------------------------------------


def test_a_name_in_cyrillic_is_written_as_nothing_at_all() -> None:
    for kind in PaymentType:
        written = as_written(CYRILLIC, kind)
        assert written.text == "" and not written.has_words
        assert [char for _, char in written.dropped] == list(CYRILLIC.replace(" ", ""))


def test_letters_a_bank_does_not_take_are_spelled_out_or_lose_their_accent() -> None:
    written = as_written("Blåbærveien – 5 é, Müller & Søn")
    assert written.text == "Blaabaerveien - 5 e, Muller + Soen"
    assert written.dropped == () and written.has_words
    # At home the profile's set keeps the Nordic letters.
    assert as_written("Blåbærveien", PaymentType.DOMESTIC).text == "Blåbærveien"
    assert as_written("Blåbærveien", PaymentType.DOMESTIC, NORDEA).text == "Blåbærveien"


def test_a_character_the_writer_leaves_out_is_named_with_its_position() -> None:
    written = as_written("Parts ✓ and Ω")
    assert written.text == "Parts and"
    assert written.dropped == ((7, "✓"), (13, "Ω"))
    assert as_written("100%").dropped == ((4, "%"),)
    assert as_written("100%", PaymentType.DOMESTIC).dropped == ()  # BSK takes % at home


@given(
    text=st.text(),
    kind=st.sampled_from(PaymentType),
    profile=st.sampled_from([DNB, NORDEA]),
)
@example(text="q\u0303x", kind=PaymentType.SEPA, profile=DNB)
@example(text="e\u0301", kind=PaymentType.SEPA, profile=DNB)
def test_the_rule_is_the_writers_cleaning(text: str, kind: PaymentType, profile: Any) -> None:
    written = as_written(text, kind, profile)
    charset = profile.domestic_characters if kind is PaymentType.DOMESTIC else CharacterSet.BASIC
    assert clean_text(text, 140, charset=charset) == written.text[:140].rstrip()
    assert all(not char.isspace() for _, char in written.dropped)
    if not written.dropped:  # each character kept, spelled out or without its accent
        assert len(written.text.replace(" ", "")) >= len(text.replace(" ", "")) - sum(
            not char.isprintable() or unicodedata.combining(char) > 0 for char in text
        )


# --- the flags -----------------------------------------------------------------------------------


def test_a_payee_name_with_nothing_a_bank_takes_is_red() -> None:
    reasons = completeness_reasons(facts(payee_name=CYRILLIC))
    assert Reason.INVALID_NAME in reasons
    assert flag_for(reasons) is Flag.RED
    assert Reason.INVALID_NAME in RED_REASONS
    assert REASON_TEXTS[Reason.INVALID_NAME] == (
        "The payee's name has no letters a bank takes: write it in Latin letters"
    )
    assert completeness_reasons(facts()) == set()
    # At home too: a Norwegian account paid in NOK names its payee the same way.
    domestic = facts(
        account=NORWEGIAN_ACCOUNT, currency="NOK", payee=PayeeDetails(), payee_name=CYRILLIC
    )
    assert completeness_reasons(domestic) == {Reason.INVALID_NAME}


@pytest.mark.parametrize("name", ["Dmitri ООО", "Société Générale", "Ærlig & Sønn AS", "3M"])
def test_a_name_with_something_a_bank_takes_is_not_red_for_it(name: str) -> None:
    assert Reason.INVALID_NAME not in completeness_reasons(facts(payee_name=name))


def test_a_name_not_known_is_not_judged() -> None:
    assert completeness_reasons(facts(payee_name=None)) == set()


def test_a_purpose_text_with_nothing_writable_is_missing() -> None:
    above = {"account": US_ACCOUNT, "currency": "USD", "amount": Decimal("20000")}
    payee = PayeeDetails(town="New York", country="US", bic="CHASUS33", **PURPOSE)
    assert completeness_reasons(facts(**above, payee=payee), reporting=RATES) == set()
    unwritable = dataclasses.replace(payee, purpose_text="✓✓✓")
    reasons = completeness_reasons(facts(**above, payee=unwritable), reporting=RATES)
    assert reasons == {Reason.MISSING_PURPOSE}


def test_a_town_with_nothing_writable_is_missing() -> None:
    moscow = PayeeDetails(town="Москва", country="RU")
    reasons = completeness_reasons(facts(account=US_ACCOUNT, currency="USD", payee=moscow))
    assert Reason.MISSING_ADDRESS in reasons


def test_a_reference_is_judged_in_the_set_its_payment_type_is_written_in() -> None:
    # % is taken at home (BSK), and left out of a payment abroad.
    domestic = facts(account=NORWEGIAN_ACCOUNT, currency="NOK", payee=PayeeDetails())
    assert completeness_reasons(dataclasses.replace(domestic, reference="%%%")) == set()
    assert completeness_reasons(facts(reference="%%%")) == {Reason.MISSING_REFERENCE}


# --- what the flags let through, the writer takes ------------------------------------------------

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=timezone(timedelta(hours=1)))
COMPANY_ACCOUNT, DNB_BIC = "15030100007", "DNBANOKK"


def write(name: str, kind: PaymentType) -> None:
    """One payment of `kind` to a payee called `name`, written for DNB."""
    account, currency, bic, address = {
        PaymentType.DOMESTIC: (NORWEGIAN_ACCOUNT, "NOK", None, None),
        PaymentType.SEPA: (DE_IBAN, "EUR", "COBADEFF", PostalAddress(town="Berlin", country="DE")),
        PaymentType.CROSS_BORDER: (
            US_ACCOUNT,
            "USD",
            "CHASUS33",
            PostalAddress(town="New York", country="US"),
        ),
    }[kind]
    transfer = CreditTransfer(
        end_to_end_id="E2E-1",
        instruction_id="E2E-1",
        amount=Decimal("100.00"),
        currency=currency,
        creditor=Party(name, address=address),
        creditor_account=account,
        creditor_bic=bic,
        reference_type=ReferenceType.MESSAGE,
        reference="Invoice 7",
        regulatory_report=None if kind is PaymentType.DOMESTIC else RegulatoryReport("14", "Parts"),
    )
    block = PaymentBlock("B-1", COMPANY_ACCOUNT, date(2026, 11, 24), [transfer], debtor_bic=DNB_BIC)
    order = PaymentOrder("M-1", NOW, Party("Acme AS"), Party("Acme AS"), [block])
    write_pain001(order, io.BytesIO(), profile=DNB)


@given(name=st.text(min_size=1, max_size=30), kind=st.sampled_from(PaymentType))
@example(name="...", kind=PaymentType.SEPA)
@example(name="✓ A", kind=PaymentType.DOMESTIC)
def test_a_name_the_flags_take_is_one_the_writer_takes(name: str, kind: PaymentType) -> None:
    account, currency = {
        PaymentType.DOMESTIC: (NORWEGIAN_ACCOUNT, "NOK"),
        PaymentType.SEPA: (DE_IBAN, "EUR"),
        PaymentType.CROSS_BORDER: (US_ACCOUNT, "USD"),
    }[kind]
    flagged = completeness_reasons(
        facts(account=account, currency=currency, payee_name=name, payee=PayeeDetails())
    )
    if Reason.INVALID_NAME not in flagged:
        write(name, kind)  # raises nothing


@pytest.mark.parametrize("kind", list(PaymentType))
def test_the_writer_refuses_the_name_the_flags_make_red(kind: PaymentType) -> None:
    with pytest.raises(BankFileRejected, match="has no name"):
        write(CYRILLIC, kind)


# --- what a person types -------------------------------------------------------------------------


def test_a_purpose_text_with_nothing_writable_is_refused() -> None:
    kind, message, _ = refused("purpose_text", "✓✓✓")
    assert kind is Problem.NO_WORDS
    assert message == "has no letters or digits a bank takes"
    assert refused("purpose_text", " ... ")[0] is Problem.NO_WORDS


@pytest.mark.parametrize("name", TEXT_FIELDS)
def test_a_character_the_file_would_leave_out_is_refused_naming_it(name: str) -> None:
    kind, message, values = refused(name, "  AΩ")
    assert kind is Problem.NOT_SENT
    assert message.startswith('"Ω" (U+03A9) at position 4 cannot go in a payment file')
    assert values == {"char": "Ω", "code": "03A9", "position": 4}
    assert refused(name, "Parts ✓")[2]["char"] == "✓"


@pytest.mark.parametrize("name", TEXT_FIELDS)
@pytest.mark.parametrize("typed", ["Blåbærveien", "Søn – 5", "Café", "Straße 1/2", "l'Église"])
def test_letters_the_writer_spells_out_are_taken_as_typed(name: str, typed: str) -> None:
    assert check_field(name, typed) == (typed, None)


def test_a_town_in_cyrillic_is_refused() -> None:
    assert refused("town", "Москва")[0] is Problem.NO_WORDS


def test_a_supplier_file_with_a_character_left_out_is_refused_naming_it() -> None:
    data = f"name;account;street;town;country\nΩmega Ltd;{GB_IBAN};Ωmega Road;London;GB\n"
    with pytest.raises(ImportRejected) as caught:
        read_supplier_rows("s.csv", data.encode())
    assert caught.value.column == "street"
    assert caught.value.problem.startswith('"Ω" (U+03A9) at position 1 cannot go in a payment')
    # The name is the supplier's: red on its payments when nothing of it can be written.
    [row] = read_supplier_rows("s.csv", data.replace("Ωmega Road", "Omega Road").encode())
    assert (row.name, row.street) == ("Ωmega Ltd", "Omega Road")
