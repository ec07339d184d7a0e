"""Reading what can be read of an EHF file that may be refused: whom it is for (the buyer's
organisation number), from whom (the seller's name) and which invoice. It never raises: a file
that is not XML, a DTD, a huge or deeply nested file gives nothing, for the inbox to log alone."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paybot.core.ehf import NOTHING_READ, EhfGlimpse, glimpse
from tests.shared_fixtures import shared_fixture

NORWEGIAN = "peppol_no_example1_invoice_nok_kid_iban.xml"
FORWARD_CREDIT = "anskaffelser_forward_billing_creditnote_nok_kid_iban.xml"
FOREIGN = "peppol_base_example_invoice_eur.xml"
BUYER = "987654325"


def sample(name: str) -> bytes:
    return shared_fixture(f"samples/ehf/{name}").read_bytes()


def edited(name: str, *changes: tuple[str, str]) -> bytes:
    data = sample(name).decode("utf-8")
    for old, new in changes:
        assert old in data, f"{old!r} not in {name}"
        data = data.replace(old, new, 1)
    return data.encode("utf-8")


def test_a_valid_invoice_names_its_buyer_seller_and_number() -> None:
    assert glimpse(NORWEGIAN, sample(NORWEGIAN)) == EhfGlimpse(
        BUYER, "The Sellercompany ASA", "TOSL108"
    )


def test_a_credit_note_is_read_too() -> None:
    found = glimpse(FORWARD_CREDIT, sample(FORWARD_CREDIT))
    assert found.buyer_org_no == BUYER and found.invoice_no and found.seller_name


def test_a_file_the_schema_refuses_still_names_its_buyer() -> None:
    broken = edited(NORWEGIAN, ("<cbc:IssueDate>", "<cbc:Bogus>x</cbc:Bogus><cbc:IssueDate>"))
    assert glimpse("broken.xml", broken).buyer_org_no == BUYER


def test_the_buyer_is_found_by_its_legal_entitys_company_id_alone() -> None:
    only_company_id = edited(
        NORWEGIAN,
        ('<cbc:EndpointID schemeID="0192">987654325</cbc:EndpointID>', ""),
        ("<cbc:CompanyID>NO987654325MVA</cbc:CompanyID>", ""),
    )
    assert glimpse("x.xml", only_company_id).buyer_org_no == BUYER


def test_the_buyer_is_found_by_its_vat_number_where_nothing_else_names_it() -> None:
    only_vat = edited(
        NORWEGIAN,
        ('<cbc:EndpointID schemeID="0192">987654325</cbc:EndpointID>', ""),
        ('<cbc:CompanyID schemeID="0192">987654325</cbc:CompanyID>', ""),
    )
    assert glimpse("x.xml", only_vat).buyer_org_no == BUYER


def test_the_sellers_number_is_never_taken_for_the_buyers() -> None:
    no_buyer_number = edited(
        NORWEGIAN,
        ('<cbc:EndpointID schemeID="0192">987654325</cbc:EndpointID>', ""),
        ("<cbc:CompanyID>NO987654325MVA</cbc:CompanyID>", ""),
        ('<cbc:CompanyID schemeID="0192">987654325</cbc:CompanyID>', ""),
    )
    found = glimpse("x.xml", no_buyer_number)
    assert found.buyer_org_no is None and found.seller_name == "The Sellercompany ASA"


def test_a_foreign_buyer_has_no_norwegian_number() -> None:
    assert glimpse(FOREIGN, sample(FOREIGN)).buyer_org_no is None


def test_a_number_failing_its_check_digit_is_no_buyer() -> None:
    wrong = edited(
        NORWEGIAN,
        ('<cbc:EndpointID schemeID="0192">987654325</cbc:EndpointID>', ""),
        ("<cbc:CompanyID>NO987654325MVA</cbc:CompanyID>", ""),
        (
            '<cbc:CompanyID schemeID="0192">987654325</cbc:CompanyID>',
            "<cbc:CompanyID>987654321</cbc:CompanyID>",
        ),
    )
    assert glimpse("x.xml", wrong).buyer_org_no is None


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"not an invoice at all", id="text"),
        pytest.param(bytes(range(256)) * 64, id="binary"),
        pytest.param(b"<Invoice><cbc:ID>1</cbc:ID>", id="unclosed"),
        pytest.param(
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;">]><Invoice>&b;</Invoice>',
            id="entities",
        ),
        pytest.param(
            b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "file:///etc/passwd"><Invoice/>',
            id="external-dtd",
        ),
        pytest.param(b"<a>" * 100_000 + b"</a>" * 100_000, id="deep"),
        pytest.param(b"<root>" + b"x" * 30_000_000 + b"</root>", id="huge-text"),
        pytest.param(b"<Order xmlns='urn:oasis:names:specification:ubl:schema:xsd:Order-2'/>"),
        pytest.param('<?xml version="1.0" encoding="UTF-16"?><x/>'.encode("utf-16"), id="utf-16"),
        pytest.param(b'<?xml version="1.0" encoding="no-such-codec"?><x/>', id="bad-encoding"),
    ],
)
def test_what_is_no_invoice_gives_nothing_and_never_raises(data: bytes) -> None:
    assert glimpse("hostile.xml", data) == NOTHING_READ


def test_an_invoice_with_a_dtd_gives_nothing_though_it_names_a_buyer() -> None:
    data = sample(NORWEGIAN).replace(b"<Invoice", b"<!DOCTYPE Invoice>\n<Invoice", 1)
    assert glimpse("x.xml", data) == NOTHING_READ


def test_texts_are_read_as_written_with_spaces_collapsed() -> None:
    spaced = edited(
        NORWEGIAN,
        ("<cbc:ID>TOSL108</cbc:ID>", "<cbc:ID>  TOSL\n108 </cbc:ID>"),
        ("The Sellercompany ASA", "The\tSellercompany   ASA"),
    )
    found = glimpse("x.xml", spaced)
    assert (found.seller_name, found.invoice_no) == ("The Sellercompany ASA", "TOSL 108")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=40), st.binary(max_size=40))
def test_whatever_the_buyers_number_and_the_sellers_name_hold_nothing_raises(
    number: bytes, name: bytes
) -> None:
    data = sample(NORWEGIAN)
    data = data.replace(
        b'<cbc:CompanyID schemeID="0192">987654325<', b"<cbc:CompanyID>" + number + b"<"
    )
    data = data.replace(b"The Sellercompany ASA", name)
    assert isinstance(glimpse("x.xml", data), EhfGlimpse)
