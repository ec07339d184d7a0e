"""pain.001 orders: Norwegian content, XSD validity (official and bundled schemas), streaming."""

from __future__ import annotations

import io
import tracemalloc
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree  # type: ignore[import-untyped, unused-ignore]
from stdnum import luhn

from paybot.core.bankfiles.model import (
    BankFileRejected,
    CreditTransfer,
    Pain001Version,
    Party,
    PaymentBlock,
    PaymentOrder,
    PostalAddress,
)
from paybot.core.bankfiles.pain001 import Pain001Summary, clean_text, write_pain001
from paybot.core.bankfiles.schemas import load_schema, validate_file
from paybot.core.payments import ReferenceType
from tests.shared_fixtures import shared_fixture

VERSIONS = list(Pain001Version)
OSLO = timezone(timedelta(hours=1))
NOW = datetime(2026, 11, 23, 9, 30, 15, 123456, tzinfo=OSLO)
COMPANY_ACCOUNT = "86011117947"
ACCOUNT_A = "12345678903"
ACCOUNT_B = "15030100007"
GERMAN_IBAN = "DE89370400440532013000"
KID = "12345678903"  # MOD10
KID_MOD11_DASH = "1000000009-"
LONG_NAME = "Aktieselskapet " + "Særdeles Langt Navn " * 10


def official_folder() -> Path:
    """The folder of the official XSDs in the shared fixtures (each version's must be there)."""
    for version in VERSIONS:
        shared_fixture(f"iso20022/{version.value}.xsd")
    return shared_fixture("iso20022")


@pytest.fixture(scope="module")
def official_xsds() -> Path:
    """Once per module: a property test then finds them missing before it starts."""
    return official_folder()


_ids = iter(range(1, 10**9))


def a_transfer(**overrides: Any) -> CreditTransfer:
    number = next(_ids)
    values: dict[str, Any] = {
        "end_to_end_id": f"E2E-{number}",
        "instruction_id": f"INSTR-{number}",
        "amount": Decimal("1250.00"),
        "currency": "NOK",
        "creditor": Party("Leverandør AS"),
        "creditor_account": ACCOUNT_A,
        "reference_type": ReferenceType.KID,
        "reference": KID,
    }
    values.update(overrides)
    return CreditTransfer(**values)


def a_block(*transfers: CreditTransfer, **overrides: Any) -> PaymentBlock:
    values: dict[str, Any] = {
        "payment_info_id": f"PMT-{next(_ids)}",
        "debtor_account": COMPANY_ACCOUNT,
        "execution_date": date(2026, 11, 24),
        "transfers": transfers or (a_transfer(),),
    }
    values.update(overrides)
    return PaymentBlock(**values)


def an_order(*blocks: PaymentBlock, **overrides: Any) -> PaymentOrder:
    values: dict[str, Any] = {
        "message_id": f"MSG-{next(_ids)}",
        "created_at": NOW,
        "initiator": Party("Paybot Testselskap AS", org_no="974760673"),
        "debtor": Party("Paybot Testselskap AS"),
        "blocks": blocks or (a_block(),),
    }
    values.update(overrides)
    return PaymentOrder(**values)


def a_mixed_order() -> PaymentOrder:
    """Every kind of payment paybot sends, over three blocks and two dates."""
    domestic = a_block(
        a_transfer(end_to_end_id="E2E-KID", reference=KID),
        a_transfer(
            end_to_end_id="E2E-MSG",
            amount=Decimal("10.5"),
            creditor=Party("Bø & Sønn Rørlegger"),
            creditor_account=ACCOUNT_B,
            reference_type=ReferenceType.MESSAGE,
            reference="Faktura 2211, kundenr. 77",
        ),
        a_transfer(
            end_to_end_id="E2E-INV",
            amount=Decimal("99.9900"),  # trailing zeros, as amounts come from the store
            creditor=Party(LONG_NAME),
            reference_type=ReferenceType.INVOICE,
            reference="INV-2026-0042",
        ),
        a_transfer(end_to_end_id="E2E-DASH", reference=KID_MOD11_DASH),
        payment_info_id="PMT-DOMESTIC",
    )
    later = a_block(
        a_transfer(end_to_end_id="E2E-LATER", amount=Decimal("0.01"), creditor=Party("Ærlig Øl")),
        payment_info_id="PMT-LATER",
        execution_date=date(2026, 11, 30),
    )
    abroad = a_block(
        a_transfer(
            end_to_end_id="E2E-EUR",
            amount=Decimal("1000"),
            currency="EUR",
            creditor=Party("Müller GmbH & Co. KG Ærø", address=PostalAddress(country="DE")),
            creditor_account=GERMAN_IBAN,
            creditor_bic="COBADEFFXXX",
            reference_type=ReferenceType.MESSAGE,
            reference="Rechnung 12 “Mai”",
        ),
        payment_info_id="PMT-EUR",
        debtor_bic="DNBANOKK",
    )
    return an_order(domestic, later, abroad, message_id="MSG-MIXED")


def written(order: PaymentOrder, version: Pain001Version, tmp_path: Path) -> Path:
    path = tmp_path / f"order-{next(_ids)}-{version.value}.xml"
    with path.open("wb") as out:
        write_pain001(order, out, version)
    return path


def xpath(path_or_root: Path | Any, expression: str) -> list[Any]:
    root = (
        etree.parse(str(path_or_root)).getroot() if isinstance(path_or_root, Path) else path_or_root
    )
    namespace = etree.QName(root).namespace
    result = root.xpath(expression, namespaces={"p": namespace})
    assert isinstance(result, list)
    return result


def texts(path: Path, expression: str) -> list[str]:
    return [str(value) for value in xpath(path, expression)]


# --- validity against the schemas ---------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_mixed_order_is_valid_against_the_official_xsd(
    version: Pain001Version, official_xsds: Path, tmp_path: Path
) -> None:
    path = written(a_mixed_order(), version, tmp_path)
    validate_file(path, version.value, folder=official_xsds)


@pytest.mark.parametrize("version", VERSIONS)
def test_bundled_runtime_schemas_accept_the_same_files(
    version: Pain001Version, official_xsds: Path, tmp_path: Path
) -> None:
    path = written(a_mixed_order(), version, tmp_path)
    validate_file(path, version.value, folder=official_xsds)
    validate_file(path, version.value)  # paybot's own copy, as at run time


def test_file_is_utf8_with_declaration_and_the_version_as_default_namespace(
    tmp_path: Path,
) -> None:
    path = written(a_mixed_order(), Pain001Version.V09, tmp_path)
    data = path.read_bytes()
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="')
    root = etree.parse(str(path)).getroot()
    assert root.nsmap == {None: "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}
    assert "Bø &amp; Sønn".encode() in data


# --- content ------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_kid_is_a_structured_creditor_reference_of_type_scor(
    version: Pain001Version, tmp_path: Path
) -> None:
    path = written(a_mixed_order(), version, tmp_path)
    tx = "//p:CdtTrfTxInf[p:PmtId/p:EndToEndId='{}']/p:RmtInf/p:Strd/p:CdtrRefInf"
    for end_to_end, kid in (("E2E-KID", KID), ("E2E-DASH", KID_MOD11_DASH)):
        assert texts(path, tx.format(end_to_end) + "/p:Tp/p:CdOrPrtry/p:Cd/text()") == ["SCOR"]
        assert texts(path, tx.format(end_to_end) + "/p:Ref/text()") == [kid]
    assert xpath(path, "//p:CdtTrfTxInf[p:PmtId/p:EndToEndId='E2E-KID']/p:RmtInf/p:Ustrd") == []


def test_invoice_number_is_a_referred_document_of_type_cinv(tmp_path: Path) -> None:
    path = written(a_mixed_order(), Pain001Version.V03, tmp_path)
    doc = "//p:CdtTrfTxInf[p:PmtId/p:EndToEndId='E2E-INV']/p:RmtInf/p:Strd/p:RfrdDocInf"
    assert texts(path, doc + "/p:Tp/p:CdOrPrtry/p:Cd/text()") == ["CINV"]
    assert texts(path, doc + "/p:Nb/text()") == ["INV-2026-0042"]


def test_an_invoice_number_too_long_for_nb_goes_to_free_text(tmp_path: Path) -> None:
    number = "INV-" + "9" * 40
    transfer = a_transfer(reference_type=ReferenceType.INVOICE, reference=number)
    path = written(an_order(a_block(transfer)), Pain001Version.V03, tmp_path)
    assert texts(path, "//p:RmtInf/p:Ustrd/text()") == [f"Faktura {number}"]
    assert xpath(path, "//p:RfrdDocInf") == []


def test_message_is_unstructured_remittance(tmp_path: Path) -> None:
    path = written(a_mixed_order(), Pain001Version.V03, tmp_path)
    ustrd = "//p:CdtTrfTxInf[p:PmtId/p:EndToEndId='{}']/p:RmtInf/p:Ustrd/text()"
    assert texts(path, ustrd.format("E2E-MSG")) == ["Faktura 2211, kundenr. 77"]
    assert texts(path, ustrd.format("E2E-EUR")) == ["Rechnung 12 'Mai'"]


def test_empty_reference_type_writes_no_remittance(tmp_path: Path) -> None:
    transfer = a_transfer(reference_type=ReferenceType.EMPTY, reference="")
    path = written(an_order(a_block(transfer)), Pain001Version.V03, tmp_path)
    assert xpath(path, "//p:RmtInf") == []


@pytest.mark.parametrize("version", VERSIONS)
def test_bban_is_other_id_with_scheme_bban_and_iban_is_iban(
    version: Pain001Version, tmp_path: Path
) -> None:
    path = written(a_mixed_order(), version, tmp_path)
    creditor = "//p:CdtTrfTxInf[p:PmtId/p:EndToEndId='{}']/p:CdtrAcct/p:Id"
    assert texts(path, creditor.format("E2E-MSG") + "/p:Othr/p:Id/text()") == [ACCOUNT_B]
    assert texts(path, creditor.format("E2E-MSG") + "/p:Othr/p:SchmeNm/p:Cd/text()") == ["BBAN"]
    assert texts(path, creditor.format("E2E-EUR") + "/p:IBAN/text()") == [GERMAN_IBAN]
    debtor = "//p:PmtInf/p:DbtrAcct/p:Id/p:Othr"
    assert texts(path, debtor + "/p:Id/text()") == [COMPANY_ACCOUNT] * 3
    assert texts(path, debtor + "/p:SchmeNm/p:Cd/text()") == ["BBAN"] * 3


@pytest.mark.parametrize("version", VERSIONS)
def test_counts_and_control_sums_cover_every_block(version: Pain001Version, tmp_path: Path) -> None:
    path = tmp_path / "order.xml"
    with path.open("wb") as out:
        summary = write_pain001(a_mixed_order(), out, version)
    assert summary == Pain001Summary("MSG-MIXED", 6, Decimal("3610.50"))
    assert texts(path, "/p:Document/p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs/text()") == ["6"]
    assert texts(path, "/p:Document/p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum/text()") == ["3610.50"]
    assert texts(path, "//p:PmtInf/p:NbOfTxs/text()") == ["4", "1", "1"]
    assert texts(path, "//p:PmtInf/p:CtrlSum/text()") == ["2610.49", "0.01", "1000.00"]
    amounts = texts(path, "//p:InstdAmt/text()")
    assert amounts == ["1250.00", "10.50", "99.99", "1250.00", "0.01", "1000.00"]
    assert texts(path, "//p:InstdAmt/@Ccy") == ["NOK"] * 5 + ["EUR"]


def test_every_transfer_carries_its_end_to_end_and_instruction_id(tmp_path: Path) -> None:
    order = a_mixed_order()
    path = written(order, Pain001Version.V03, tmp_path)
    transfers = [transfer for block in order.blocks for transfer in block.transfers]
    assert texts(path, "//p:PmtId/p:EndToEndId/text()") == [t.end_to_end_id for t in transfers]
    assert texts(path, "//p:PmtId/p:InstrId/text()") == [t.instruction_id for t in transfers]


def test_group_header_carries_time_with_offset_and_initiator_org_no(tmp_path: Path) -> None:
    path = written(a_mixed_order(), Pain001Version.V03, tmp_path)
    assert texts(path, "//p:GrpHdr/p:CreDtTm/text()") == ["2026-11-23T09:30:15+01:00"]
    other = "//p:GrpHdr/p:InitgPty/p:Id/p:OrgId/p:Othr"
    assert texts(path, other + "/p:Id/text()") == ["974760673"]
    assert texts(path, other + "/p:SchmeNm/p:Cd/text()") == ["CUST"]


def test_initiator_without_org_no_has_no_id(tmp_path: Path) -> None:
    order = an_order(initiator=Party("Paybot Testselskap AS"))
    path = written(order, Pain001Version.V03, tmp_path)
    assert xpath(path, "//p:InitgPty/p:Id") == []


def test_version_03_uses_bic_and_a_bare_execution_date(tmp_path: Path) -> None:
    path = written(a_mixed_order(), Pain001Version.V03, tmp_path)
    assert texts(path, "//p:PmtInf/p:ReqdExctnDt/text()") == ["2026-11-24", "2026-11-30"] + [
        "2026-11-24"
    ]
    assert texts(path, "//p:DbtrAgt/p:FinInstnId/p:BIC/text()") == ["DNBANOKK"]
    assert texts(path, "//p:CdtrAgt/p:FinInstnId/p:BIC/text()") == ["COBADEFFXXX"]


def test_version_09_uses_bicfi_and_a_dated_choice(tmp_path: Path) -> None:
    path = written(a_mixed_order(), Pain001Version.V09, tmp_path)
    assert texts(path, "//p:PmtInf/p:ReqdExctnDt/p:Dt/text()") == ["2026-11-24", "2026-11-30"] + [
        "2026-11-24"
    ]
    assert texts(path, "//p:DbtrAgt/p:FinInstnId/p:BICFI/text()") == ["DNBANOKK"]
    assert texts(path, "//p:CdtrAgt/p:FinInstnId/p:BICFI/text()") == ["COBADEFFXXX"]


def test_debtor_agent_without_bic_is_not_provided(tmp_path: Path) -> None:
    path = written(a_mixed_order(), Pain001Version.V03, tmp_path)
    agents = texts(path, "//p:DbtrAgt/p:FinInstnId/p:Othr/p:Id/text()")
    assert agents == ["NOTPROVIDED", "NOTPROVIDED"]


def test_domestic_payments_only_have_no_creditor_agent(tmp_path: Path) -> None:
    path = written(a_mixed_order(), Pain001Version.V03, tmp_path)
    assert len(xpath(path, "//p:CdtTrfTxInf[p:CdtrAgt]")) == 1


ABROAD = PostalAddress(town="Hamburg", country="DE")


@pytest.mark.parametrize(
    ("transfer", "bearer"),
    [
        (a_transfer(), "DEBT"),
        (
            a_transfer(
                currency="EUR", creditor_account=GERMAN_IBAN, creditor=Party("A", address=ABROAD)
            ),
            "SLEV",
        ),
        (
            a_transfer(
                currency="USD", creditor_account=GERMAN_IBAN, creditor=Party("A", address=ABROAD)
            ),
            "SHAR",
        ),
        # A EUR payment to a Norwegian BBAN is cross-border too.
        (
            a_transfer(
                currency="EUR",
                creditor=Party("A", address=PostalAddress(town="Oslo", country="NO")),
                creditor_bic="DNBANOKK",
            ),
            "SHAR",
        ),
    ],
)
def test_charge_bearer_follows_the_kind_of_payment(
    transfer: CreditTransfer, bearer: str, tmp_path: Path
) -> None:
    block = a_block(transfer, debtor_bic="DNBANOKK")
    path = written(an_order(block), Pain001Version.V03, tmp_path)
    assert texts(path, "//p:PmtInf/p:ChrgBr/text()") == [bearer]


def test_debtor_account_currency_is_claimed_only_for_nok_from_a_norwegian_account(
    tmp_path: Path,
) -> None:
    path = written(a_mixed_order(), Pain001Version.V03, tmp_path)
    # The EUR block pays from a NOK account: "EUR" there would name the wrong (sub-)account.
    assert texts(path, "//p:PmtInf/p:DbtrAcct/p:Ccy/text()") == ["NOK", "NOK"]
    assert xpath(path, "//p:PmtInf[p:PmtInfId='PMT-EUR']/p:DbtrAcct/p:Ccy") == []


def test_norwegian_letters_stay_at_home_and_are_spelled_out_abroad(tmp_path: Path) -> None:
    path = written(a_mixed_order(), Pain001Version.V03, tmp_path)
    names = texts(path, "//p:Cdtr/p:Nm/text()")
    assert "Bø & Sønn Rørlegger" in names
    assert "Ærlig Øl" in names
    assert "Muller GmbH + Co. KG AEroe" in names


def test_long_names_are_cut_to_140_characters(tmp_path: Path) -> None:
    path = written(a_mixed_order(), Pain001Version.V03, tmp_path)
    cut = texts(path, "//p:CdtTrfTxInf[p:PmtId/p:EndToEndId='E2E-INV']/p:Cdtr/p:Nm/text()")
    assert cut == [LONG_NAME[:140].rstrip()]
    assert len(cut[0]) <= 140


@pytest.mark.parametrize(
    ("text", "domestic", "cleaned"),
    [
        ("Leverandør Ærlig AS", True, "Leverandør Ærlig AS"),
        ("Leverandør Ærlig AS", False, "Leverandoer AErlig AS"),
        ("Smith & Søn", True, "Smith & Søn"),
        ("Smith & Søn", False, "Smith + Soen"),
        ("Café Ñandú", True, "Café Nandú"),
        ("Café Ñandú", False, "Cafe Nandu"),
        ("  Tabs\tand\nnew  lines ", True, "Tabs and new lines"),
        ("Price: 100 € (*net*)", True, "Price: 100 ( net )"),
        ("Straße", False, "Strasse"),
        ("Straße", True, "Straße"),
        ("100 % = @ §", False, "100"),
        ("\u201cQuoted\u201d \u2013 dash_under", False, "'Quoted' - dash-under"),
        ("Ａｂｃ", True, "Abc"),  # full-width letters fold to their plain form
        ("日本", True, ""),
    ],
)
def test_clean_text_keeps_only_the_bank_character_set(
    text: str, domestic: bool, cleaned: str
) -> None:
    assert clean_text(text, 140, domestic=domestic) == cleaned


def test_clean_text_cuts_without_trailing_space() -> None:
    assert clean_text("Abc def", 4) == "Abc"


# --- refusals -------------------------------------------------------------------------------------

BAD_IDS = ["", "x" * 36, "ID_WITH_UNDERSCORE", "ÆØÅ-1", "line\nbreak"]


def _refused(order: PaymentOrder, fragment: str) -> None:
    out = io.BytesIO()
    with pytest.raises(BankFileRejected) as refused:
        write_pain001(order, out)
    assert refused.value.source == order.message_id
    assert fragment in refused.value.problem
    assert out.getvalue() == b""  # checked before anything is written


@pytest.mark.parametrize("bad", BAD_IDS)
def test_invalid_message_id_is_refused(bad: str) -> None:
    _refused(an_order(message_id=bad), "MsgId")


@pytest.mark.parametrize("bad", BAD_IDS)
def test_invalid_payment_info_id_is_refused(bad: str) -> None:
    _refused(an_order(a_block(payment_info_id=bad)), "PmtInfId")


@pytest.mark.parametrize("bad", BAD_IDS)
def test_invalid_end_to_end_id_is_refused(bad: str) -> None:
    _refused(an_order(a_block(a_transfer(end_to_end_id=bad))), "EndToEndId")


@pytest.mark.parametrize("bad", BAD_IDS)
def test_invalid_instruction_id_is_refused(bad: str) -> None:
    _refused(an_order(a_block(a_transfer(instruction_id=bad))), "InstrId")


def test_longest_allowed_id_is_taken(official_xsds: Path, tmp_path: Path) -> None:
    ok = "A-Za-z0-9/-?:().,'+ x" + "x" * 14
    assert len(ok) == 35
    order = an_order(a_block(a_transfer(end_to_end_id=ok)), message_id=ok)
    path = written(order, Pain001Version.V03, tmp_path)
    validate_file(path, "pain.001.001.03", official_xsds)


def test_duplicate_ids_in_one_file_are_refused() -> None:
    first, second = a_transfer(end_to_end_id="SAME"), a_transfer(end_to_end_id="SAME")
    _refused(an_order(a_block(first), a_block(second)), "appears twice")
    blocks = (a_block(payment_info_id="P1"), a_block(payment_info_id="P1"))
    _refused(an_order(*blocks), "appears twice")


@pytest.mark.parametrize("amount", ["0", "0.00", "-1.00", "-0.01", "NaN", "Infinity"])
def test_non_positive_or_non_finite_amounts_are_refused(amount: str) -> None:
    _refused(an_order(a_block(a_transfer(amount=Decimal(amount)))), "above zero")


@pytest.mark.parametrize(("amount", "currency"), [("1.005", "NOK"), ("10.5", "JPY")])
def test_amounts_finer_than_the_currency_are_refused(amount: str, currency: str) -> None:
    _refused(an_order(a_block(a_transfer(amount=Decimal(amount), currency=currency))), "finer")


def test_amounts_beyond_any_invoice_are_refused() -> None:
    _refused(an_order(a_block(a_transfer(amount=Decimal("1e15")))), "too large")


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"reference": "12345678904"}, "wrong check digit"),
        ({"reference": "12AB"}, "only digits"),
        ({"reference_type": ReferenceType.MESSAGE, "reference": "  "}, "message reference"),
        ({"creditor_account": "12345678904"}, "wrong check digit"),
        ({"creditor_account": "DE00370400440532013000"}, "not a valid IBAN"),
        ({"creditor_bic": "DNBANOK"}, "not a BIC"),
        ({"currency": "XYZ"}, "ISO 4217"),
        ({"creditor": Party("日本")}, "no name"),
    ],
)
def test_transfers_a_bank_would_reject_are_refused(
    overrides: dict[str, Any], fragment: str
) -> None:
    _refused(an_order(a_block(a_transfer(**overrides))), fragment)


def test_empty_orders_and_blocks_are_refused() -> None:
    _refused(an_order(blocks=()), "at least one")
    _refused(an_order(a_block(transfers=())), "no transfers")


def test_naive_creation_time_is_refused() -> None:
    _refused(an_order(created_at=datetime(2026, 11, 23, 9, 0)), "time zone")


def test_utc_creation_time_is_written_with_its_offset(tmp_path: Path) -> None:
    path = written(
        an_order(created_at=datetime(2026, 11, 23, 8, 0, tzinfo=UTC)), VERSIONS[0], tmp_path
    )
    assert texts(path, "//p:CreDtTm/text()") == ["2026-11-23T08:00:00+00:00"]


# --- schemas ------------------------------------------------------------------------------------


def test_validate_file_names_file_line_and_schema_message(
    official_xsds: Path, tmp_path: Path
) -> None:
    path = written(a_mixed_order(), Pain001Version.V03, tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines, start=1) if "<PmtMtd>" in line)
    lines[number - 1] = lines[number - 1].replace("TRF", "XXX")
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(BankFileRejected) as refused:
        validate_file(path, "pain.001.001.03", official_xsds)
    assert refused.value.source == str(path)
    assert refused.value.line == number
    assert "PmtMtd" in refused.value.problem and "XXX" in refused.value.problem


def test_validate_file_refuses_malformed_xml_and_entities(
    official_xsds: Path, tmp_path: Path
) -> None:
    path = tmp_path / "broken.xml"
    path.write_text("<?xml version='1.0'?>\n<Document>\n<Open></Document>\n", encoding="utf-8")
    with pytest.raises(BankFileRejected) as refused:
        validate_file(path, "pain.001.001.03", official_xsds)
    assert refused.value.line == 3
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret", encoding="utf-8")
    path.write_text(
        f'<!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]><Document>&x;</Document>',
        encoding="utf-8",
    )
    with pytest.raises(BankFileRejected) as refused:
        validate_file(path, "pain.001.001.03", official_xsds)
    assert "top secret" not in str(refused.value)


def test_a_file_of_another_version_is_refused(official_xsds: Path, tmp_path: Path) -> None:
    path = written(a_mixed_order(), Pain001Version.V09, tmp_path)
    with pytest.raises(BankFileRejected, match="No matching global declaration"):
        validate_file(path, "pain.001.001.03", official_xsds)


def test_load_schema_is_cached_and_refuses_unknown_versions(tmp_path: Path) -> None:
    assert load_schema("pain.001.001.03") is load_schema("pain.001.001.03")
    with pytest.raises(ValueError, match="not an ISO 20022 message version"):
        load_schema("../../etc/passwd")
    with pytest.raises(ValueError, match="bundles no schema"):
        load_schema("camt.054.001.02")
    with pytest.raises(ValueError, match="no schema pain.001.001.03.xsd in"):
        load_schema("pain.001.001.03", tmp_path)


# --- streaming ----------------------------------------------------------------------------------
# Two measures: the process's peak resident memory sees libxml2's own (C) allocations, where a
# tree built behind our back would live; tracemalloc sees only Python's heap, and slows lxml's
# incremental writer about sevenfold, so it runs on a smaller order to keep each test under 3 s.

PEAK_RESET = Path("/proc/self/clear_refs")


class CountingSink(io.RawIOBase):
    """Counts what is written and keeps none of it, so memory measures the writer alone."""

    def __init__(self) -> None:
        self.size = 0
        self.writes = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.size += len(data)
        self.writes += 1
        return len(data)


def a_large_order(count: int) -> PaymentOrder:
    transfers = [
        a_transfer(
            end_to_end_id=f"E2E-BIG-{n}",
            instruction_id=f"INSTR-BIG-{n}",
            amount=Decimal(n % 5000 + 1) / 100,
            creditor_account=(ACCOUNT_A, ACCOUNT_B)[n % 2],
            creditor=Party(f"Leverandør nummer {n}"),
        )
        for n in range(count)
    ]
    write_pain001(an_order(), io.BytesIO())  # load currency and country data outside the measure
    return an_order(a_block(*transfers[: count // 2]), a_block(*transfers[count // 2 :]))


def _memory(key: str) -> int:
    status = Path("/proc/self/status").read_text(encoding="ascii")
    line = next(line for line in status.splitlines() if line.startswith(key + ":"))
    return int(line.split()[1]) * 1024


def test_a_20000_payment_order_streams_in_flat_memory() -> None:
    try:
        PEAK_RESET.write_text("5", encoding="ascii")  # resets VmHWM, the peak resident size
    except OSError:
        pytest.skip("needs Linux /proc/self/clear_refs to measure peak memory")
    order = a_large_order(20_000)
    sink = CountingSink()
    PEAK_RESET.write_text("5", encoding="ascii")
    before = _memory("VmRSS")
    summary = write_pain001(order, sink)  # type: ignore[arg-type, unused-ignore]
    grown = _memory("VmHWM") - before
    assert summary.number_of_transactions == 20_000
    assert sink.writes > 20_000  # flushed per transaction, not at the end
    assert sink.size > 10_000_000
    # What grows is the set of ids already used (a few dozen bytes a payment), not the XML;
    # the same order written into a BytesIO grows by more than the file's size.
    assert grown < sink.size / 2


def test_python_heap_stays_below_the_file_size_while_writing() -> None:
    order = a_large_order(5_000)
    sink = CountingSink()
    tracemalloc.start()
    try:
        write_pain001(order, sink)  # type: ignore[arg-type, unused-ignore]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < sink.size / 2


# --- properties ---------------------------------------------------------------------------------

names = st.text(max_size=200).map(lambda text: "A" + text)
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999999.99"), places=2)
kids = st.text(alphabet="0123456789", min_size=1, max_size=24).map(
    lambda body: body + luhn.calc_check_digit(body)
)
references = st.one_of(
    kids.map(lambda kid: (ReferenceType.KID, kid)),
    names.map(lambda text: (ReferenceType.MESSAGE, text)),
    names.map(lambda text: (ReferenceType.INVOICE, text)),
)
# Domestic payments: a block holds one payment type. Blocks of payments abroad, and of every type
# in one order, have their own property in test_pain001_abroad.py.
accounts = st.sampled_from(
    [
        (ACCOUNT_A, "NOK", None),
        (ACCOUNT_B, "NOK", None),
        ("NO9386011117947", "NOK", None),
        ("NO9386011117947", "NOK", "DABANO22"),
    ]
)
transfers = st.builds(
    lambda amount, name, reference, account: a_transfer(
        amount=amount,
        creditor=Party(name),
        reference_type=reference[0],
        reference=reference[1],
        creditor_account=account[0],
        currency=account[1],
        creditor_bic=account[2],
    ),
    amounts,
    names,
    references,
    accounts,
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    blocks=st.lists(st.lists(transfers, min_size=1, max_size=5), min_size=1, max_size=3),
    version=st.sampled_from(VERSIONS),
)
def test_random_valid_orders_are_xsd_valid_with_an_exact_control_sum(
    official_xsds: Path, blocks: list[list[CreditTransfer]], version: Pain001Version
) -> None:
    order = an_order(*(a_block(*block) for block in blocks))
    out = io.BytesIO()
    summary = write_pain001(order, out, version)
    root = etree.fromstring(out.getvalue())
    load_schema(version.value, official_xsds).assertValid(root)
    expected = sum((t.amount for block in blocks for t in block), Decimal(0))
    assert summary.control_sum == expected
    assert [Decimal(x) for x in xpath(root, "//p:GrpHdr/p:CtrlSum/text()")] == [expected]
    assert summary.number_of_transactions == sum(len(block) for block in blocks)
    for block, written_sum in zip(blocks, xpath(root, "//p:PmtInf/p:CtrlSum/text()"), strict=True):
        assert Decimal(written_sum) == sum((t.amount for t in block), Decimal(0))
