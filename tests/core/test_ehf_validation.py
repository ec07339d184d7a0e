"""Validating EHF documents: the UBL 2.1 XSD, then the EN 16931 / PEPPOL rules of their profile.

BIS Billing 3.0 documents are refused on any fatal EN 16931 or PEPPOL finding; EHF Forward
Billing documents only on EN 16931's (PEPPOL's are warnings for them); documents of the EN 16931
core alone meet EN 16931's rules only. Warnings come back, to be shown in Details.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from paybot.core.ehf import EhfValidator, RuleMessage, RulesBroken, read_ehf
from paybot.core.ehf import validation as ehf_validation
from paybot.core.ehf.document import EN16931_ID
from paybot.core.errors import ImportRejected
from tests.shared_fixtures import shared_fixture, shared_fixture_names

SAMPLES = "samples/ehf"
NORWEGIAN = "peppol_no_example1_invoice_nok_kid_iban.xml"
FORWARD = "anskaffelser_forward_billing_invoice_nok_kid_iban.xml"
CEN = "cen_tc434_example2_invoice_nok_kid_iban.xml"
BIS_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
FORWARD_WARNINGS = {"PEPPOL-EN16931-R007", "PEPPOL-COMMON-R040"}
# The warnings each sample gets; none of them breaks a fatal rule of its profile.
WARNINGS = {
    "anskaffelser_ehf3_faktura1_invoice_nok_kid_bban.xml": {"UBL-CR-679"},
    "anskaffelser_forward_billing_creditnote_nok_kid_iban.xml": FORWARD_WARNINGS,
    FORWARD: FORWARD_WARNINGS,
    CEN: set(),
    "peppol_allowance_invoice_eur_taxcurrency_sek.xml": set(),
    "peppol_base_creditnote_correction_eur.xml": set(),
    "peppol_base_example_invoice_eur.xml": set(),
    "peppol_base_negative_invoice_correction_eur.xml": set(),
    NORWEGIAN: {"UBL-CR-679"},
    "peppol_vat_O_invoice_sek_to_no_buyer.xml": set(),
}


@pytest.fixture(scope="module")
def validator() -> EhfValidator:
    return EhfValidator(shared_fixture("ubl21"))


def sample(name: str) -> bytes:
    return shared_fixture(f"{SAMPLES}/{name}").read_bytes()


def edited(name: str, *replacements: tuple[str, str]) -> bytes:
    data = sample(name).decode("utf-8")
    for old, new in replacements:
        assert old in data, f"{old!r} not in {name}"
        data = data.replace(old, new, 1)
    return data.encode("utf-8")


def test_every_sample_has_an_expectation() -> None:
    assert set(shared_fixture_names(SAMPLES)) <= set(WARNINGS) | {"(nothing found)"}


@pytest.mark.parametrize("name", shared_fixture_names(SAMPLES))
def test_each_sample_passes_its_profile_with_its_warnings(
    validator: EhfValidator, name: str
) -> None:
    warnings = validator.validate(name, sample(name))
    assert {w.rule_id for w in warnings} == WARNINGS[name]
    assert all(w.flag == "warning" and w.text and w.location and w.line for w in warnings)


def test_a_forward_billing_document_gets_peppol_profile_rules_as_warnings(
    validator: EhfValidator,
) -> None:
    warnings = {w.rule_id: w for w in validator.validate(FORWARD, sample(FORWARD))}
    r007 = warnings["PEPPOL-EN16931-R007"]
    assert (r007.flag, r007.location, r007.line) == ("warning", "Invoice", 4)
    assert r007.text.startswith("Business process MUST be in the format")
    gln = warnings["PEPPOL-COMMON-R040"]
    location = "Invoice/cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID"
    assert (gln.location, gln.line) == (location, 39)


def test_a_forward_billing_document_breaking_en16931_is_refused(validator: EhfValidator) -> None:
    data = edited(
        FORWARD, ('PayableAmount currencyID="NOK">1543.34', 'PayableAmount currencyID="NOK">1.00')
    )
    with pytest.raises(RulesBroken) as caught:
        validator.validate("fwd.xml", data)
    assert "BR-CO-16" in {f.rule_id for f in caught.value.fatal}
    assert FORWARD_WARNINGS <= {w.rule_id for w in caught.value.warnings}


def test_a_fatal_rule_refuses_the_file_naming_rule_line_and_element(
    validator: EhfValidator,
) -> None:
    data = edited(NORWEGIAN, ('NOK">802.00</cbc:PayableAmount>', 'NOK">803.00</cbc:PayableAmount>'))
    with pytest.raises(ImportRejected) as caught:
        validator.validate("wrong-total.xml", data)
    refusal = caught.value
    assert isinstance(refusal, RulesBroken)
    assert (refusal.source, refusal.line, refusal.column) == (
        "wrong-total.xml",
        306,
        "Invoice/cac:LegalMonetaryTotal",
    )
    assert refusal.problem.startswith("BR-CO-16: Amount due for payment (BT-115) = ")
    assert [f.rule_id for f in refusal.fatal] == ["BR-CO-16"]
    assert [w.rule_id for w in refusal.warnings] == ["UBL-CR-679"]


def test_a_bis_document_must_meet_peppol_rules_too(validator: EhfValidator) -> None:
    relabelled = edited(
        CEN,
        (f">{EN16931_ID}<", f">{BIS_ID}<"),
        ("Invoicing on purchase order", "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"),
    )
    with pytest.raises(RulesBroken) as caught:
        validator.validate("relabelled.xml", relabelled)
    fatal = {f.rule_id for f in caught.value.fatal}
    assert {"PEPPOL-EN16931-R010", "PEPPOL-EN16931-R020", "NO-R-001"} <= fatal
    assert "PEPPOL-EN16931-R004" not in fatal and "PEPPOL-EN16931-R007" not in fatal


def test_an_en16931_core_document_meets_en16931_rules_only(validator: EhfValidator) -> None:
    relabelled = edited(
        FORWARD,
        (">urn:cen.eu:en16931:2017#compliant#", f">{EN16931_ID}<!--"),
        ("</cbc:CustomizationID>", "--></cbc:CustomizationID>"),
    )
    assert read_ehf("core.xml", relabelled).profile.value == "en16931"
    assert validator.validate("core.xml", relabelled) == []


def test_an_en16931_core_document_breaking_en16931_is_refused(validator: EhfValidator) -> None:
    data = edited(CEN, ('NOK">801.78</cbc:PayableAmount>', 'NOK">800.00</cbc:PayableAmount>'))
    with pytest.raises(RulesBroken) as caught:
        validator.validate("cen.xml", data)
    assert caught.value.problem.startswith("BR-CO-16: ")


# --- the XSD ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("replacements", "line", "element", "says"),
    [
        ((('NOK">802.00</cbc:PayableAmount>', 'NOK">12,50</cbc:PayableAmount>'),),
         315, "Invoice/cac:LegalMonetaryTotal/cbc:PayableAmount", "'12,50' is not a valid value"),
        ((("<cbc:ID>TOSL108</cbc:ID>", ""),), 13, "Invoice/cbc:IssueDate",
         "This element is not expected. Expected is one of ( cbc:ProfileExecutionID, cbc:ID )"),
        ((("<cbc:DueDate>2013-07-20</cbc:DueDate>", ""),
          ("<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>",
           "<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode><cbc:DueDate>2013-07-20</cbc:DueDate>")),
         19, "Invoice/cbc:DueDate", "This element is not expected"),
    ],
)  # fmt: skip
def test_an_xsd_error_refuses_the_file_naming_line_and_element(
    validator: EhfValidator,
    replacements: tuple[tuple[str, str], ...],
    line: int,
    element: str,
    says: str,
) -> None:
    with pytest.raises(ImportRejected) as caught:
        validator.validate("broken.xml", edited(NORWEGIAN, *replacements))
    refusal = caught.value
    assert not isinstance(refusal, RulesBroken)
    assert (refusal.source, refusal.line, refusal.column) == ("broken.xml", line, element)
    assert refusal.problem.startswith("not valid UBL 2.1: ") and says in refusal.problem


def test_a_credit_note_is_checked_against_the_credit_note_schema(validator: EhfValidator) -> None:
    name = "peppol_base_creditnote_correction_eur.xml"
    data = edited(
        name,
        ("<cbc:CreditNoteTypeCode>", "<cbc:InvoiceTypeCode>"),
        ("</cbc:CreditNoteTypeCode>", "</cbc:InvoiceTypeCode>"),
    )
    with pytest.raises(ImportRejected) as caught:
        validator.validate("cn.xml", data)
    assert caught.value.column == "CreditNote/cbc:InvoiceTypeCode"


def test_another_customization_id_is_refused_after_the_xsd(validator: EhfValidator) -> None:
    xrechnung = "urn:cen.eu:en16931:2017#compliant#urn:xoev-de:kosit:standard:xrechnung_2.0"
    with pytest.raises(ImportRejected) as caught:
        validator.validate("de.xml", edited(NORWEGIAN, (f">{BIS_ID}<", f">{xrechnung}<")))
    assert caught.value.problem == (
        f"not a PEPPOL BIS Billing 3.0 / EHF document: CustomizationID {xrechnung!r}"
    )
    assert (caught.value.line, caught.value.column) == (8, "Invoice/cbc:CustomizationID")


# --- hostile documents -----------------------------------------------------------------------


def test_an_external_entity_never_reaches_the_parser_or_the_rules(validator: EhfValidator) -> None:
    data = sample(NORWEGIAN).decode()
    at = data.index("<Invoice")
    xxe = '<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>\n'
    hostile = (data[:at] + xxe + data[at:]).replace("TOSL108", "&xxe;").encode()
    with pytest.raises(ImportRejected) as caught:
        validator.validate("xxe.xml", hostile)
    assert "DTDs and entities are not allowed" in caught.value.problem


def test_the_rule_engine_may_open_no_file_and_no_url() -> None:
    from saxonche import PySaxonApiError  # type: ignore[import-not-found, unused-ignore]

    rules = ehf_validation._rules()  # the process's one Saxon processor
    processor = rules._processor
    for uri in ("file:///etc/hostname", "http://127.0.0.1:9/x"):
        reader = (
            "<xsl:stylesheet xmlns:xsl='http://www.w3.org/1999/XSL/Transform' version='2.0'>"
            f"<xsl:template match='/'><r><xsl:value-of select=\"unparsed-text('{uri}')\"/></r>"
            "</xsl:template></xsl:stylesheet>"
        )
        executable = processor.new_xslt30_processor().compile_stylesheet(stylesheet_text=reader)
        with pytest.raises(PySaxonApiError, match="prohibited"):
            executable.transform_to_string(xdm_node=processor.parse_xml(xml_text="<a/>"))


def test_nesting_deeper_than_the_rule_engine_takes_is_refused(validator: EhfValidator) -> None:
    extension = (
        '<ext:UBLExtensions xmlns:ext="urn:oasis:names:specification:ubl:schema:xsd:'
        'CommonExtensionComponents-2"><ext:UBLExtension><ext:ExtensionContent>'
        + "<a>" * 120 + "</a>" * 120
        + "</ext:ExtensionContent></ext:UBLExtension></ext:UBLExtensions>"
    )  # fmt: skip
    data = edited(NORWEGIAN, ("<cbc:CustomizationID>", extension + "<cbc:CustomizationID>"))
    with pytest.raises(ImportRejected) as caught:
        validator.validate("deep.xml", data)
    assert caught.value.problem == "elements nested deeper than 100 levels"
    assert caught.value.column is not None and caught.value.column.endswith("/…/a")


def _mutated(name: str, data: st.DataObject) -> bytes:
    root = etree.fromstring(sample(name))
    for _ in range(data.draw(st.integers(1, 3))):
        elements = [e for e in root.iter() if isinstance(e.tag, str)]
        target = data.draw(st.sampled_from(elements))
        parent = target.getparent()
        action = data.draw(st.sampled_from(["remove", "text", "duplicate"]))
        if action == "remove" and parent is not None:
            parent.remove(target)
        elif action == "text":
            target.text = data.draw(st.sampled_from(["", "x", "-1", "1e3", "2013-02-30", "0"]))
        elif action == "duplicate" and parent is not None:
            parent.insert(parent.index(target), etree.fromstring(etree.tostring(target)))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(WARNINGS)), data=st.data())
def test_a_mutated_sample_is_valid_or_refused_never_crashes(
    validator: EhfValidator, name: str, data: st.DataObject
) -> None:
    try:
        warnings = validator.validate("m.xml", _mutated(name, data))
    except ImportRejected as exc:
        assert exc.source == "m.xml" and exc.line >= 1 and exc.problem
    else:
        assert all(isinstance(w, RuleMessage) and w.flag == "warning" for w in warnings)


# --- once per process, any thread --------------------------------------------------------------


def test_validators_share_the_compiled_rules_and_schemas(validator: EhfValidator) -> None:
    other = EhfValidator(shared_fixture("ubl21"))
    assert other._rules is validator._rules and other._schemas is validator._schemas


def test_a_folder_without_the_ubl_schemas_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no UBL 2.1 schema"):
        EhfValidator(tmp_path)


def _outcome(validator: EhfValidator, name: str) -> tuple[str, ...]:
    try:
        return tuple(w.rule_id for w in validator.validate(name, sample(name)))
    except ImportRejected as exc:
        return ("refused", str(exc))


def test_threads_validate_side_by_side_as_one_would(validator: EhfValidator) -> None:
    names = sorted(WARNINGS) * 3
    alone = [_outcome(validator, name) for name in names]
    with ThreadPoolExecutor(max_workers=3) as pool:
        together = list(pool.map(lambda name: _outcome(validator, name), names))
    assert together == alone


@pytest.fixture
def quiet(capfd: pytest.CaptureFixture[str]) -> Iterator[None]:
    capfd.readouterr()
    yield
    out, err = capfd.readouterr()
    assert (out, err) == ("", ""), "the rule engine wrote to the console"


@pytest.mark.usefixtures("quiet")
def test_validation_writes_nothing_to_the_console(validator: EhfValidator) -> None:
    for name in sorted(WARNINGS):
        _outcome(validator, name)
    _outcome(validator, NORWEGIAN)
    broken = edited(NORWEGIAN, ('NOK">802.00</cbc:PayableAmount>', 'NOK">1.00</cbc:PayableAmount>'))
    with pytest.raises(RulesBroken):
        validator.validate("broken.xml", broken)
