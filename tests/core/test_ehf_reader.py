"""Reading EHF invoices and credit notes: what each real sample pays, and what is refused, where.

The samples (`samples/ehf/`, see their SOURCES.md) carry the traps a payer meets: a factoring
payee, a BBAN or an IBAN, a credit note with positive amounts beside an invoice with negative
ones, prepaid and rounding amounts, placeholder accounts, and a KID whose check digit is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from paybot.core.ehf import EhfDocument, EhfLine, EhfParty, EhfProfile, kid_check, read_ehf
from paybot.core.ehf.document import EHF_FORWARD_BILLING_ID, EN16931_ID
from paybot.core.ehf.reader import NOTE_LIMIT
from paybot.core.errors import ImportRejected
from tests.shared_fixtures import shared_fixture, shared_fixture_names

SAMPLES = "samples/ehf"
NORWEGIAN = "peppol_no_example1_invoice_nok_kid_iban.xml"
BBAN = "anskaffelser_ehf3_faktura1_invoice_nok_kid_bban.xml"
FORWARD_CREDIT = "anskaffelser_forward_billing_creditnote_nok_kid_iban.xml"
BASE_CREDIT = "peppol_base_creditnote_correction_eur.xml"
SAMPLE_KID = "0003434323213231"  # in every Norwegian example; fails MOD10 and MOD11
SELLER = EhfParty("The Sellercompany ASA", "123456785")
BUYER = EhfParty("Buyercompany ASA", "987654325")
FACTOR = EhfParty("Ebeneser Scrooge AS", "999999999")
GRID = EhfParty("Havblikk Nett AS", "811143758")
GRID_BUYER = EhfParty("Kraftselskapet AS", "987654325")
FOREIGN_SELLER = EhfParty("SupplierOfficialName Ltd", None)
FOREIGN_BUYER = EhfParty("Buyer Official Name", None)


def sample(name: str) -> bytes:
    return shared_fixture(f"{SAMPLES}/{name}").read_bytes()


def edited(name: str, old: str, new: str) -> bytes:
    """The sample with one piece of text replaced (which must be there)."""
    data = sample(name).decode("utf-8")
    assert old in data, f"{old!r} not in {name}"
    return data.replace(old, new, 1).encode("utf-8")


@dataclass(frozen=True)
class Expected:
    kind: str
    type_code: str
    profile: EhfProfile
    invoice_no: str
    due_date: date | None
    currency: str
    amount: str
    seller: EhfParty
    payee: EhfParty | None
    buyer: EhfParty
    account: str | None
    account_kind: str | None
    bic: str | None
    kid: str | None
    message: str | None


BIS = EhfProfile.BIS_BILLING_3
FORWARD = EhfProfile.EHF_FORWARD_BILLING
PLACEHOLDER = ("IBAN32423940", "other", "BIC324098", None, "Snippet1")
EXPECTED = {
    NORWEGIAN: Expected(
        "invoice", "380", BIS, "TOSL108", date(2013, 7, 20), "NOK", "802.00",
        SELLER, FACTOR, BUYER, "NO9386011117947", "iban", "DNBANOKK", SAMPLE_KID, None,
    ),
    BBAN: Expected(
        "invoice", "380", BIS, "TOSL108", date(2013, 7, 20), "NOK", "802.00",
        SELLER, FACTOR, BUYER, "86011117947", "bban", "DNBANOKK", SAMPLE_KID, None,
    ),
    "anskaffelser_forward_billing_invoice_nok_kid_iban.xml": Expected(
        "invoice", "82", FORWARD, "0997462625", date(2019, 5, 12), "NOK", "1543.34",
        GRID, None, GRID_BUYER, "NO9386011117947", "iban", "DNBANOKK", SAMPLE_KID, None,
    ),
    FORWARD_CREDIT: Expected(
        "credit_note", "81", FORWARD, "0997462625", None, "NOK", "-1543.34",
        GRID, None, GRID_BUYER, "NO9386011117947", "iban", "DNBANOKK", SAMPLE_KID, None,
    ),
    "cen_tc434_example2_invoice_nok_kid_iban.xml": Expected(
        "invoice", "380", EhfProfile.EN16931, "TOSL108", date(2013, 7, 20), "NOK", "801.78",
        EhfParty("Salescompany ltd.", None), EhfParty("Ebeneser Scrooge AS", None),
        EhfParty("The Buyercompany", None), "NO9386011117947", "iban", "DNBANOKK", SAMPLE_KID,
        None,
    ),
    "peppol_allowance_invoice_eur_taxcurrency_sek.xml": Expected(
        "invoice", "380", BIS, "Snippet1", date(2017, 12, 1), "EUR", "6125.00",
        FOREIGN_SELLER, None, FOREIGN_BUYER, *PLACEHOLDER,
    ),
    BASE_CREDIT: Expected(
        "credit_note", "381", BIS, "Snippet1", None, "EUR", "-1656.25",
        FOREIGN_SELLER, None, FOREIGN_BUYER, *PLACEHOLDER,
    ),
    "peppol_base_example_invoice_eur.xml": Expected(
        "invoice", "380", BIS, "Snippet1", date(2017, 12, 1), "EUR", "1656.25",
        FOREIGN_SELLER, None, FOREIGN_BUYER, *PLACEHOLDER,
    ),
    "peppol_base_negative_invoice_correction_eur.xml": Expected(
        "invoice", "380", BIS, "Correction1", date(2017, 12, 1), "EUR", "-1656.25",
        FOREIGN_SELLER, None, FOREIGN_BUYER, *PLACEHOLDER,
    ),
    "peppol_vat_O_invoice_sek_to_no_buyer.xml": Expected(
        "invoice", "380", BIS, "Vat-O", None, "SEK", "3200.00",
        EhfParty("The Sellercompany Incorporated", None), None,
        EhfParty("The Buyercompany", "987654325"), "SE1212341234123412", "other", "SEXDABCD",
        None, None,
    ),
}  # fmt: skip


def test_every_sample_has_an_expectation() -> None:
    names = shared_fixture_names(SAMPLES)
    shared_fixture(f"{SAMPLES}/{names[0]}")  # skips (or fails in CI) when the samples are absent
    assert set(names) == set(EXPECTED)


@pytest.mark.parametrize("name", shared_fixture_names(SAMPLES))
def test_each_sample_reads_as_what_paying_it_takes(name: str) -> None:
    document = read_ehf(name, sample(name))
    expected = EXPECTED[name]
    assert document.source == name
    got = Expected(
        document.kind, document.type_code, document.profile, document.invoice_no,
        document.due_date, document.currency, str(document.payable_amount), document.seller,
        document.payee, document.buyer, document.account, document.account_kind, document.bic,
        document.kid, document.payment_message,
    )  # fmt: skip
    assert got == expected
    assert isinstance(document.payable_amount, Decimal)


def test_the_norwegian_example_pays_the_payable_amount_after_prepaid_and_rounding() -> None:
    document = read_ehf(NORWEGIAN, sample(NORWEGIAN))
    # TaxInclusiveAmount 1801.78 - PrepaidAmount 1000 + PayableRoundingAmount 0.22
    assert document.payable_amount == Decimal("802.00")
    assert document.issue_date == date(2013, 6, 30)
    assert document.note == "Ordered in our booth at the convention."
    assert document.customization_id.endswith("poacc:billing:3.0")


def test_the_lines_are_read_as_written_for_the_details_view() -> None:
    lines = read_ehf(NORWEGIAN, sample(NORWEGIAN)).lines
    assert [line.description for line in lines] == [
        "Laptop computer",
        'Returned "Advanced computing" book',
        '"Computing for dummies" book',
        "Returned IBM 5150 desktop",
        "Network cable",
    ]
    assert lines[0] == EhfLine("Laptop computer", Decimal("1"), "NAR", Decimal("1273"))
    assert lines[1].quantity == Decimal("-1") and lines[1].amount == Decimal("-3.96")


def test_credit_note_lines_keep_the_document_sign() -> None:
    credit = read_ehf(FORWARD_CREDIT, sample(FORWARD_CREDIT))
    assert credit.payable_amount < 0
    assert [(line.quantity, line.unit, line.amount) for line in credit.lines] == [
        (Decimal("61"), "DAY", Decimal("171.13")),
        (Decimal("2561.00"), "KWH", Decimal("1063.58")),
    ]


def test_a_line_amount_that_is_not_an_amount_is_refused() -> None:
    data = edited(
        NORWEGIAN,
        'LineExtensionAmount currencyID="NOK">1273<',
        'LineExtensionAmount currencyID="NOK">1 273<',
    )
    caught = refusal(data)
    assert caught.column == "Invoice/cac:InvoiceLine[1]/cbc:LineExtensionAmount"


def test_the_sample_kid_is_kept_and_its_wrong_check_digit_named() -> None:
    document = read_ehf(NORWEGIAN, sample(NORWEGIAN))
    assert document.kid == SAMPLE_KID
    problem = kid_check(SAMPLE_KID)
    assert problem is not None and "check digit" in problem


def _dash_kid() -> str:
    """A KID whose MOD11 check digit is 10, written '-'."""
    return next(k for k in (f"{n:08d}-" for n in range(1000)) if kid_check(k) is None)


@pytest.mark.parametrize("kid", ["0003434323213239", "0003434323213233", "dash"])
def test_kid_check_takes_mod10_mod11_and_a_dash_check_digit(kid: str) -> None:
    assert kid_check(_dash_kid() if kid == "dash" else kid) is None


# --- payment details ---------------------------------------------------------------------------


def test_a_credit_note_with_a_negative_amount_becomes_a_positive_payment() -> None:
    data = edited(
        BASE_CREDIT,
        'PayableAmount currencyID="EUR">1656.25',
        'PayableAmount currencyID="EUR">-1656.25',
    )
    assert read_ehf("c.xml", data).payable_amount == Decimal("1656.25")


def test_a_payee_that_is_the_seller_is_no_payee() -> None:
    data = edited(
        NORWEGIAN,
        '<cbc:CompanyID schemeID="0192">999999999',
        '<cbc:CompanyID schemeID="0192">123456785',
    )
    assert read_ehf("same.xml", data).payee is None


def test_a_payee_without_org_no_is_told_from_the_seller_by_name() -> None:
    data = edited(NORWEGIAN, '<cbc:CompanyID schemeID="0192">999999999', "<cbc:CompanyID>")
    data = data.replace(b"Ebeneser Scrooge AS", b"the sellercompany asa")
    assert read_ehf("same.xml", data).payee is None


def test_a_bban_with_a_wrong_check_digit_is_kept_as_other() -> None:
    data = edited(BBAN, "<cbc:ID>86011117947</cbc:ID>", "<cbc:ID>8601.11.17948</cbc:ID>")
    document = read_ehf("b.xml", data)
    assert (document.account, document.account_kind) == ("86011117948", "other")


def test_an_iban_written_in_groups_is_compacted() -> None:
    data = edited(
        NORWEGIAN, "<cbc:ID>NO9386011117947</cbc:ID>", "<cbc:ID>no93 8601 1117 947</cbc:ID>"
    )
    document = read_ehf("i.xml", data)
    assert (document.account, document.account_kind) == ("NO9386011117947", "iban")


@pytest.mark.parametrize(
    ("payment_id", "kid", "message"),
    [
        ("0003 4343 2321 3231", SAMPLE_KID, None),
        ("12345678-", "12345678-", None),
        ("Invoice TOSL108", None, "Invoice TOSL108"),
        ("1", None, "1"),  # a KID has at least two digits
        ("1" * 26, None, "1" * 26),  # and at most 25
        ("١٢٣٤", None, "١٢٣٤"),  # Arabic-Indic digits are not KID digits
    ],
)
def test_a_payment_id_is_a_kid_only_when_kid_shaped(
    payment_id: str, kid: str | None, message: str | None
) -> None:
    data = edited(NORWEGIAN, f"<cbc:PaymentID>{SAMPLE_KID}", f"<cbc:PaymentID>{payment_id}")
    document = read_ehf("k.xml", data)
    assert (document.kid, document.payment_message) == (kid, message)


def test_a_credit_note_takes_its_due_date_from_the_payment_means() -> None:
    data = edited(
        FORWARD_CREDIT,
        "<cbc:PaymentID>",
        "<cbc:PaymentDueDate>2019-05-12</cbc:PaymentDueDate><cbc:PaymentID>",
    )
    assert read_ehf("d.xml", data).due_date == date(2019, 5, 12)


def test_an_org_no_comes_from_the_legal_entity_when_the_endpoint_is_not_norwegian() -> None:
    data = edited(
        NORWEGIAN,
        '<cbc:EndpointID schemeID="0192">123456785',
        '<cbc:EndpointID schemeID="0088">7300010000001',
    )
    assert read_ehf("o.xml", data).seller.org_no == "123456785"


def test_an_invalid_org_no_is_none() -> None:
    data = edited(
        NORWEGIAN,
        '<cbc:EndpointID schemeID="0192">987654325',
        '<cbc:EndpointID schemeID="0192">987654321',
    )
    data = data.replace(
        b'<cbc:CompanyID schemeID="0192">987654325', b'<cbc:CompanyID schemeID="0192">987654321'
    )
    assert read_ehf("o.xml", data).buyer == EhfParty("Buyercompany ASA", None)


def test_a_long_note_is_cut_for_the_details_view() -> None:
    data = edited(NORWEGIAN, "Ordered in our booth at the convention.", "word " * 200)
    note = read_ehf("n.xml", data).note
    assert note is not None and len(note) == NOTE_LIMIT and note.endswith("…")


def test_the_other_recognised_specification_identifiers_set_the_profile() -> None:
    bis = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0<"
    forward = edited(NORWEGIAN, bis, EHF_FORWARD_BILLING_ID + "<")
    core = edited(NORWEGIAN, bis, f" {EN16931_ID} <")
    assert read_ehf("f.xml", forward).profile == EhfProfile.EHF_FORWARD_BILLING
    assert read_ehf("c.xml", core).profile == EhfProfile.EN16931


# --- refusals: the file, the line, the element ---------------------------------------------------


def refusal(data: bytes, source: str = "bad.xml") -> ImportRejected:
    with pytest.raises(ImportRejected) as caught:
        read_ehf(source, data)
    assert caught.value.source == source
    return caught.value


SELLER_LEGAL = "Invoice/cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity"


@pytest.mark.parametrize(
    ("old", "new", "line", "element"),
    [
        ("<cbc:ID>TOSL108</cbc:ID>", "", 4, "Invoice/cbc:ID"),
        ("<cbc:IssueDate>2013-06-30</cbc:IssueDate>", "", 4, "Invoice/cbc:IssueDate"),
        ("<cbc:DocumentCurrencyCode>NOK<", "<cbc:DocumentCurrencyCode><", 24,
         "Invoice/cbc:DocumentCurrencyCode"),
        ("<cbc:InvoiceTypeCode>380<", "<cbc:InvoiceTypeCode> <", 19, "Invoice/cbc:InvoiceTypeCode"),
        ('<cbc:PayableAmount currencyID="NOK">802.00</cbc:PayableAmount>', "", 306,
         "Invoice/cac:LegalMonetaryTotal/cbc:PayableAmount"),
        ("<cbc:RegistrationName>The Sellercompany ASA</cbc:RegistrationName>", "", 107,
         f"{SELLER_LEGAL}/cbc:RegistrationName"),
    ],
)  # fmt: skip
def test_a_missing_required_element_is_named_with_its_line(
    old: str, new: str, line: int, element: str
) -> None:
    data = edited(NORWEGIAN, old, new)
    if "RegistrationName" in old:  # the trading name stands in for a legal name
        data = data.replace(b"<cbc:Name>Salescompany ltd.</cbc:Name>", b"")
    caught = refusal(data)
    assert (caught.line, caught.column) == (line, element)
    assert "missing" in caught.problem


def test_a_document_without_a_buyer_is_refused() -> None:
    data = sample(NORWEGIAN).decode()
    start, end = (
        data.index("<cac:AccountingCustomerParty>"),
        data.index("</cac:AccountingCustomerParty>"),
    )
    caught = refusal((data[:start] + data[end + len("</cac:AccountingCustomerParty>") :]).encode())
    assert caught.column == "Invoice/cac:AccountingCustomerParty/cac:Party"


@pytest.mark.parametrize("amount", ["802,00", "8.02E2", "NaN", "Infinity", "", "١٢", "1" * 16])
def test_a_payable_amount_that_is_not_an_amount_is_refused(amount: str) -> None:
    data = edited(NORWEGIAN, 'currencyID="NOK">802.00<', f'currencyID="NOK">{amount}<')
    caught = refusal(data)
    assert (caught.line, caught.column) == (315, "Invoice/cac:LegalMonetaryTotal/cbc:PayableAmount")


@pytest.mark.parametrize("day", ["2013-02-30", "30.06.2013", "2013-6-30", "2013-06-30T10:00:00"])
def test_an_issue_date_that_is_not_a_date_is_refused(day: str) -> None:
    caught = refusal(edited(NORWEGIAN, "<cbc:IssueDate>2013-06-30", f"<cbc:IssueDate>{day}"))
    assert (caught.line, caught.column) == (13, "Invoice/cbc:IssueDate")
    assert "not a date" in caught.problem


def test_a_date_with_a_zone_is_read_as_its_day() -> None:
    data = edited(NORWEGIAN, "<cbc:DueDate>2013-07-20", "<cbc:DueDate>2013-07-20+02:00")
    assert read_ehf("z.xml", data).due_date == date(2013, 7, 20)


def test_an_amount_in_another_currency_than_the_document_is_refused() -> None:
    caught = refusal(
        edited(NORWEGIAN, 'PayableAmount currencyID="NOK"', 'PayableAmount currencyID="EUR"')
    )
    assert "EUR" in caught.problem
    assert caught.column == "Invoice/cac:LegalMonetaryTotal/cbc:PayableAmount"


def test_a_currency_code_that_is_not_one_is_refused() -> None:
    caught = refusal(
        edited(NORWEGIAN, "<cbc:DocumentCurrencyCode>NOK", "<cbc:DocumentCurrencyCode>kroner")
    )
    assert caught.column == "Invoice/cbc:DocumentCurrencyCode"


def test_another_customization_id_is_refused_as_not_ehf() -> None:
    xrechnung = "urn:cen.eu:en16931:2017#compliant#urn:xoev-de:kosit:standard:xrechnung_2.0"
    caught = refusal(
        edited(
            NORWEGIAN,
            "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0<",
            xrechnung + "<",
        )
    )
    assert (
        caught.problem
        == f"not a PEPPOL BIS Billing 3.0 / EHF document: CustomizationID {xrechnung!r}"
    )
    assert (caught.line, caught.column) == (8, "Invoice/cbc:CustomizationID")


@pytest.mark.parametrize(
    "data",
    [
        b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.054.001.02'/>",
        b"<Invoice><cbc:ID xmlns:cbc='x'>1</cbc:ID></Invoice>",  # no UBL namespace
        b"<Order xmlns='urn:oasis:names:specification:ubl:schema:xsd:Order-2'/>",
    ],
)
def test_a_document_that_is_not_a_ubl_invoice_or_credit_note_is_refused(data: bytes) -> None:
    assert "not a UBL 2.1 Invoice or CreditNote" in refusal(data).problem


@pytest.mark.parametrize("data", [b"", b"not xml", b"<Invoice", b"\xff\xfe\x00garbage"])
def test_xml_that_is_not_well_formed_is_refused(data: bytes) -> None:
    caught = refusal(data)
    assert caught.problem.startswith("not well-formed XML") and caught.line >= 1


def test_a_cut_off_file_is_refused_with_its_line() -> None:
    data = sample(NORWEGIAN)
    caught = refusal(data[: len(data) // 2])
    assert caught.problem.startswith("not well-formed XML") and caught.line > 100


SECRET = "TOP-SECRET-PAYROLL-DATA"


def test_an_external_entity_is_refused_before_parsing() -> None:
    data = sample(NORWEGIAN).decode()
    xxe = '<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    at = data.index("<Invoice")
    hostile = (data[:at] + xxe + data[at:]).replace("TOSL108", "&xxe;").encode()
    caught = refusal(hostile)
    assert "DTDs and entities are not allowed" in caught.problem and caught.line == 2


@pytest.mark.parametrize("codec", ["utf-8", "utf-16"])
def test_billion_laughs_is_refused_whole(codec: str) -> None:
    entities = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    doctype = f'<!DOCTYPE lolz [<!ENTITY lol0 "lol">{entities}]>'
    text = f'<?xml version="1.0" encoding="{codec}"?>\n{doctype}<lolz>&lol9;</lolz>'
    assert "DTDs and entities are not allowed" in refusal(text.encode(codec)).problem


def test_a_utf16_document_reads_like_its_utf8_original() -> None:
    original = sample(NORWEGIAN).decode()
    utf16 = original.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    assert read_ehf("u.xml", utf16) == read_ehf("u.xml", original.encode())


# --- hostile and mutated documents: never anything but ImportRejected ---------------------------


def _mutated(name: str, data: st.DataObject) -> bytes:
    root = etree.fromstring(sample(name))
    elements = [e for e in root.iter() if isinstance(e.tag, str)]
    for _ in range(data.draw(st.integers(1, 4))):
        target = data.draw(st.sampled_from(elements))
        action = data.draw(st.sampled_from(["remove", "text", "attribute", "duplicate", "empty"]))
        parent = target.getparent()
        if action == "remove" and parent is not None:
            parent.remove(target)
            elements = [e for e in root.iter() if isinstance(e.tag, str)]
        elif action == "text":
            target.text = data.draw(st.text(max_size=30).map(_xml_safe))
        elif action == "attribute":
            target.set(
                data.draw(st.sampled_from(["currencyID", "schemeID"])),
                data.draw(st.text(max_size=5).map(_xml_safe)),
            )
        elif action == "duplicate" and parent is not None:
            parent.insert(parent.index(target), etree.fromstring(etree.tostring(target)))
        elif action == "empty":
            target.clear()
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _xml_safe(text: str) -> str:
    return "".join(
        c for c in text if c in "\t\n\r" or (" " <= c <= "\ud7ff") or ("\ue000" <= c <= "\ufffd")
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(EXPECTED)), data=st.data())
def test_a_mutated_sample_reads_or_is_refused_never_crashes(name: str, data: st.DataObject) -> None:
    mutated = _mutated(name, data)
    try:
        document = read_ehf("m.xml", mutated)
    except ImportRejected as exc:
        assert exc.source == "m.xml" and exc.line >= 1
    else:
        assert isinstance(document, EhfDocument) and document.invoice_no


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(sorted(EXPECTED)), cut=st.floats(0, 1), noise=st.binary(max_size=8))
def test_damaged_bytes_read_or_are_refused_never_crash(name: str, cut: float, noise: bytes) -> None:
    data = sample(name)
    at = int(len(data) * cut)
    try:
        read_ehf("d.xml", data[:at] + noise + data[at + len(noise) :])
    except ImportRejected as exc:
        assert exc.source == "d.xml"
