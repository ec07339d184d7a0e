"""pain.001 for the three payment types and the bank profiles: golden files checked against the
official XSDs and element by element, the refusals, and properties over random orders.

The golden files (tests/core/golden/pain001/) are what paybot writes for a Norwegian KID invoice,
a German EUR invoice (SEPA) and a US USD invoice of about NOK 150,000 with its purpose, alone and
in one run, in pain.001.001.03 and .09. After a deliberate change to the writer, write them anew
with `PAYBOT_REGENERATE_GOLDEN=1 pytest tests/core/test_pain001_abroad.py` and read the diff.
"""

from __future__ import annotations

import dataclasses
import io
import os
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from lxml import etree  # type: ignore[import-untyped, unused-ignore]
from stdnum import luhn

from paybot.core.bank_profiles import (
    DNB,
    GENERIC,
    NORDEA,
    PROFILES,
    AddressFormat,
    BankProfile,
    CharacterSet,
)
from paybot.core.bankfiles.model import (
    BankFileRejected,
    CreditTransfer,
    Pain001Version,
    Party,
    PaymentBlock,
    PaymentOrder,
    PostalAddress,
    RegulatoryReport,
)
from paybot.core.bankfiles.pain001 import clean_text, write_pain001
from paybot.core.bankfiles.schemas import load_schema, validate_file
from paybot.core.payment_types import PaymentType, payment_type
from paybot.core.payments import ReferenceType
from tests.shared_fixtures import shared_fixture

VERSIONS = list(Pain001Version)
GOLDEN = Path(__file__).parent / "golden" / "pain001"
REGENERATE = os.environ.get("PAYBOT_REGENERATE_GOLDEN", "") not in ("", "0")
OSLO = timezone(timedelta(hours=1))
NOW = datetime(2026, 11, 23, 9, 30, 15, tzinfo=OSLO)
EXECUTION = date(2026, 11, 24)
COMPANY = Party("Paybot Testselskap AS", org_no="974760673")
COMPANY_ACCOUNT = "15030100007"  # at DNB
COMPANY_BIC = "DNBANOKK"
GERMAN_IBAN = "DE89370400440532013000"
US_ACCOUNT = "123456789"
UETRS = {
    "E2E-KID": "0b5f3c1e-3b4d-4e6f-8a9b-0c1d2e3f4a51",
    "E2E-SEPA": "1c6a4d2f-4c5e-4f70-9bac-1d2e3f4a5b62",
    "E2E-USD": "2d7b5e30-5d6f-4081-acbd-2e3f4a5b6c73",
}


@pytest.fixture(scope="module")
def official_xsds() -> Path:
    for version in VERSIONS:
        shared_fixture(f"iso20022/{version.value}.xsd")
    return shared_fixture("iso20022")


# --- the three invoices of the golden files -------------------------------------------------------


def kid_invoice() -> CreditTransfer:
    return CreditTransfer(
        end_to_end_id="E2E-KID",
        instruction_id="E2E-KID",
        amount=Decimal("1250.00"),
        currency="NOK",
        creditor=Party("Bø & Sønn Rørlegger AS"),
        creditor_account="12345678903",
        reference_type=ReferenceType.KID,
        reference="12345678903",
        uetr=UETRS["E2E-KID"],
    )


def german_invoice() -> CreditTransfer:
    return CreditTransfer(
        end_to_end_id="E2E-SEPA",
        instruction_id="E2E-SEPA",
        amount=Decimal("1000.00"),
        currency="EUR",
        creditor=Party(
            "Müller Maschinenbau GmbH & Co. KG",
            address=PostalAddress("Hauptstraße", "5", "20095", "Hamburg", "DE"),
        ),
        creditor_account=GERMAN_IBAN,
        creditor_bic="COBADEFFXXX",
        reference_type=ReferenceType.MESSAGE,
        reference="Rechnung 2026-117 „Ersatzteile“",
        uetr=UETRS["E2E-SEPA"],
    )


def us_invoice() -> CreditTransfer:
    """About NOK 150,000: above the Currency Register's threshold, so its purpose goes along."""
    return CreditTransfer(
        end_to_end_id="E2E-USD",
        instruction_id="E2E-USD",
        amount=Decimal("14000.00"),
        currency="USD",
        creditor=Party(
            "Acme Widgets Inc.",
            address=PostalAddress("Main Street", "200", "10001", "New York", "US"),
        ),
        creditor_account=US_ACCOUNT,
        creditor_bic="CHASUS33XXX",
        reference_type=ReferenceType.INVOICE,
        reference="INV-88812",
        regulatory_report=RegulatoryReport("14", "Kjøp av varer – maskindeler"),
        uetr=UETRS["E2E-USD"],
    )


def block_of(*transfers: CreditTransfer, block_id: str) -> PaymentBlock:
    return PaymentBlock(block_id, COMPANY_ACCOUNT, EXECUTION, transfers, debtor_bic=COMPANY_BIC)


def order_of(message_id: str, *blocks: PaymentBlock) -> PaymentOrder:
    return PaymentOrder(message_id, NOW, COMPANY, Party(COMPANY.name), blocks)


SCENARIOS: dict[str, Callable[[], PaymentOrder]] = {
    "domestic_kid": lambda: order_of("GOLDEN-DOMESTIC", block_of(kid_invoice(), block_id="P-NOK")),
    "sepa_eur": lambda: order_of("GOLDEN-SEPA", block_of(german_invoice(), block_id="P-SEPA")),
    "cross_border_usd": lambda: order_of("GOLDEN-USD", block_of(us_invoice(), block_id="P-USD")),
    # What a company pays in one run: one block per payment type.
    "one_run": lambda: order_of(
        "GOLDEN-RUN",
        block_of(kid_invoice(), block_id="P-NOK"),
        block_of(german_invoice(), block_id="P-SEPA"),
        block_of(us_invoice(), block_id="P-USD"),
    ),
}
CASES = [(name, version) for name in SCENARIOS for version in VERSIONS]


def written(order: PaymentOrder, version: Pain001Version, profile: BankProfile = DNB) -> bytes:
    out = io.BytesIO()
    write_pain001(order, out, version, profile)
    return out.getvalue()


def golden_path(name: str, version: Pain001Version) -> Path:
    return GOLDEN / f"{name}.{version.value}.xml"


def root_of(data: bytes) -> Any:
    return etree.fromstring(data)


def xpath(root: Any, expression: str) -> list[str]:
    namespace = etree.QName(root).namespace
    return [str(found) for found in root.xpath(expression, namespaces={"p": namespace})]


def tx(end_to_end_id: str, path: str) -> str:
    """An XPath below the CdtTrfTxInf of `end_to_end_id`."""
    return f"//p:CdtTrfTxInf[p:PmtId/p:EndToEndId='{end_to_end_id}']/{path}"


def block(block_id: str, path: str) -> str:
    return f"//p:PmtInf[p:PmtInfId='{block_id}']/{path}"


# --- golden files ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "version"), CASES)
def test_golden_file_is_what_the_writer_writes_and_valid_against_the_official_xsd(
    name: str, version: Pain001Version, official_xsds: Path
) -> None:
    data = written(SCENARIOS[name](), version)
    path = golden_path(name, version)
    if REGENERATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    assert path.exists(), f"{path} missing: write it with PAYBOT_REGENERATE_GOLDEN=1"
    validate_file(path, version.value, folder=official_xsds)
    assert data == path.read_bytes()


def _golden_root(name: str, version: Pain001Version) -> Any:
    path = golden_path(name, version)
    if not path.exists():
        pytest.fail(f"{path} missing: write it with PAYBOT_REGENERATE_GOLDEN=1")
    return etree.parse(str(path)).getroot()


@pytest.mark.parametrize("version", VERSIONS)
def test_golden_domestic_kid_payment(version: Pain001Version) -> None:
    root = _golden_root("domestic_kid", version)
    assert xpath(root, block("P-NOK", "p:PmtTpInf/p:SvcLvl/p:Cd/text()")) == ["NURG"]
    assert xpath(root, block("P-NOK", "p:ChrgBr/text()")) == ["DEBT"]
    bic = "BIC" if version is Pain001Version.V03 else "BICFI"
    assert xpath(root, block("P-NOK", f"p:DbtrAgt/p:FinInstnId/p:{bic}/text()")) == [COMPANY_BIC]
    assert xpath(root, tx("E2E-KID", "p:Cdtr/p:Nm/text()")) == ["Bø & Sønn Rørlegger AS"]
    assert xpath(root, tx("E2E-KID", "p:Cdtr/p:PstlAdr")) == []
    assert xpath(root, tx("E2E-KID", "p:CdtrAgt")) == []
    assert xpath(root, tx("E2E-KID", "p:CdtrAcct/p:Id/p:Othr/p:SchmeNm/p:Cd/text()")) == ["BBAN"]
    ref = "p:RmtInf/p:Strd/p:CdtrRefInf/"
    assert xpath(root, tx("E2E-KID", ref + "p:Tp/p:CdOrPrtry/p:Cd/text()")) == ["SCOR"]
    assert xpath(root, tx("E2E-KID", ref + "p:Ref/text()")) == ["12345678903"]
    assert xpath(root, "//p:RgltryRptg") == []
    _check_uetr(root, version, "E2E-KID")


@pytest.mark.parametrize("version", VERSIONS)
def test_golden_sepa_payment(version: Pain001Version) -> None:
    root = _golden_root("sepa_eur", version)
    assert xpath(root, block("P-SEPA", "p:PmtTpInf/p:SvcLvl/p:Cd/text()")) == ["SEPA"]
    assert xpath(root, block("P-SEPA", "p:ChrgBr/text()")) == ["SLEV"]
    assert xpath(root, block("P-SEPA", "p:DbtrAcct/p:Ccy")) == []  # a NOK account paying EUR
    bic = "BIC" if version is Pain001Version.V03 else "BICFI"
    assert xpath(root, block("P-SEPA", f"p:DbtrAgt/p:FinInstnId/p:{bic}/text()")) == [COMPANY_BIC]
    assert xpath(root, tx("E2E-SEPA", f"p:CdtrAgt/p:FinInstnId/p:{bic}/text()")) == ["COBADEFFXXX"]
    # The SEPA basic Latin set: letters spelled out or stripped of accents, & as +.
    assert xpath(root, tx("E2E-SEPA", "p:Cdtr/p:Nm/text()")) == [
        "Muller Maschinenbau GmbH + Co. KG"
    ]
    address = [
        (etree.QName(element).localname, element.text)
        for element in root.xpath(tx("E2E-SEPA", "p:Cdtr/p:PstlAdr/*"), namespaces=_ns(root))
    ]
    assert address == [
        ("StrtNm", "Hauptstrasse"),
        ("BldgNb", "5"),
        ("PstCd", "20095"),
        ("TwnNm", "Hamburg"),
        ("Ctry", "DE"),
    ]
    assert xpath(root, tx("E2E-SEPA", "p:CdtrAcct/p:Id/p:IBAN/text()")) == [GERMAN_IBAN]
    assert xpath(root, tx("E2E-SEPA", "p:RmtInf/p:Ustrd/text()")) == [
        "Rechnung 2026-117 'Ersatzteile'"
    ]
    assert xpath(root, "//p:RgltryRptg") == []
    _check_uetr(root, version, "E2E-SEPA")


@pytest.mark.parametrize("version", VERSIONS)
def test_golden_cross_border_payment(version: Pain001Version) -> None:
    root = _golden_root("cross_border_usd", version)
    assert xpath(root, block("P-USD", "p:PmtTpInf/p:SvcLvl/p:Cd/text()")) == ["NURG"]
    assert xpath(root, block("P-USD", "p:ChrgBr/text()")) == ["SHAR"]
    bic = "BIC" if version is Pain001Version.V03 else "BICFI"
    assert xpath(root, block("P-USD", f"p:DbtrAgt/p:FinInstnId/p:{bic}/text()")) == [COMPANY_BIC]
    assert xpath(root, tx("E2E-USD", "p:Amt/p:InstdAmt/@Ccy")) == ["USD"]
    assert xpath(root, tx("E2E-USD", f"p:CdtrAgt/p:FinInstnId/p:{bic}/text()")) == ["CHASUS33XXX"]
    assert xpath(root, tx("E2E-USD", "p:Cdtr/p:Nm/text()")) == ["Acme Widgets Inc."]
    address = "p:Cdtr/p:PstlAdr/p:"
    assert xpath(root, tx("E2E-USD", address + "StrtNm/text()")) == ["Main Street"]
    assert xpath(root, tx("E2E-USD", address + "BldgNb/text()")) == ["200"]
    assert xpath(root, tx("E2E-USD", address + "PstCd/text()")) == ["10001"]
    assert xpath(root, tx("E2E-USD", address + "TwnNm/text()")) == ["New York"]
    assert xpath(root, tx("E2E-USD", address + "Ctry/text()")) == ["US"]
    # A foreign account number: Othr/Id with no scheme (BBAN is Norway's).
    assert xpath(root, tx("E2E-USD", "p:CdtrAcct/p:Id/p:Othr/p:Id/text()")) == [US_ACCOUNT]
    assert xpath(root, tx("E2E-USD", "p:CdtrAcct/p:Id/p:Othr/p:SchmeNm")) == []
    reporting = "p:RgltryRptg/p:Dtls/p:"
    assert xpath(root, tx("E2E-USD", reporting + "Cd/text()")) == ["14"]
    assert xpath(root, tx("E2E-USD", reporting + "Inf/text()")) == ["Kjoep av varer - maskindeler"]
    # RgltryRptg sits where the schema puts it: after CdtrAcct (and Purp), before RmtInf.
    children = [
        etree.QName(element).localname
        for element in root.xpath(tx("E2E-USD", "*"), namespaces=_ns(root))
    ]
    assert children[-3:] == ["CdtrAcct", "RgltryRptg", "RmtInf"]
    doc = "p:RmtInf/p:Strd/p:RfrdDocInf/p:"
    assert xpath(root, tx("E2E-USD", doc + "Nb/text()")) == ["INV-88812"]
    _check_uetr(root, version, "E2E-USD")


@pytest.mark.parametrize("version", VERSIONS)
def test_golden_one_run_pays_all_three_in_their_own_blocks(version: Pain001Version) -> None:
    root = _golden_root("one_run", version)
    assert xpath(root, "//p:PmtInf/p:PmtInfId/text()") == ["P-NOK", "P-SEPA", "P-USD"]
    assert xpath(root, "//p:PmtInf/p:PmtTpInf/p:SvcLvl/p:Cd/text()") == ["NURG", "SEPA", "NURG"]
    assert xpath(root, "//p:PmtInf/p:ChrgBr/text()") == ["DEBT", "SLEV", "SHAR"]
    assert xpath(root, "//p:GrpHdr/p:NbOfTxs/text()") == ["3"]
    assert xpath(root, "//p:GrpHdr/p:CtrlSum/text()") == ["16250.00"]
    assert len(xpath(root, "//p:RgltryRptg")) == 1
    for end_to_end_id in UETRS:
        _check_uetr(root, version, end_to_end_id)


def _ns(root: Any) -> dict[str, str]:
    return {"p": str(etree.QName(root).namespace)}


def _check_uetr(root: Any, version: Pain001Version, end_to_end_id: str) -> None:
    uetr = xpath(root, tx(end_to_end_id, "p:PmtId/p:UETR/text()"))
    assert uetr == ([] if version is Pain001Version.V03 else [UETRS[end_to_end_id]])


# --- what the profile and the block decide --------------------------------------------------------


def test_generic_profile_sends_notprovided_for_a_domestic_block_without_bic() -> None:
    order = order_of(
        "M", dataclasses.replace(block_of(kid_invoice(), block_id="B"), debtor_bic=None)
    )
    root = root_of(written(order, Pain001Version.V03, GENERIC))
    assert xpath(root, "//p:DbtrAgt/p:FinInstnId/p:Othr/p:Id/text()") == ["NOTPROVIDED"]


def test_nordea_keeps_iso_8859_1_letters_that_bsk_spells_out() -> None:
    transfer = dataclasses.replace(kid_invoice(), creditor=Party("Crème Brûlée Ærø ĐŁ AS"))
    order = order_of("M", block_of(transfer, block_id="B"))
    nordea = dataclasses.replace(order.blocks[0], debtor_bic="NDEANOKK")
    nordea_root = root_of(
        written(dataclasses.replace(order, blocks=[nordea]), Pain001Version.V03, NORDEA)
    )
    dnb_root = root_of(written(order, Pain001Version.V03, DNB))
    assert xpath(nordea_root, "//p:Cdtr/p:Nm/text()") == ["Crème Brûlée Ærø DL AS"]
    assert xpath(dnb_root, "//p:Cdtr/p:Nm/text()") == ["Creme Brulée Ærø ĐL AS"]


@pytest.mark.parametrize(
    ("requested", "written_as"), [(None, "SHAR"), ("DEBT", "DEBT"), ("CRED", "CRED")]
)
def test_a_cross_border_block_takes_the_payers_charge_bearer(
    requested: str | None, written_as: str
) -> None:
    payment = dataclasses.replace(block_of(us_invoice(), block_id="B"), charge_bearer=requested)
    root = root_of(written(order_of("M", payment), Pain001Version.V03))
    assert xpath(root, "//p:ChrgBr/text()") == [written_as]


def test_an_urgent_cross_border_block_is_urgp() -> None:
    payment = dataclasses.replace(block_of(us_invoice(), block_id="B"), urgent=True)
    root = root_of(written(order_of("M", payment), Pain001Version.V09))
    assert xpath(root, "//p:PmtTpInf/p:SvcLvl/p:Cd/text()") == ["URGP"]


def test_sepa_names_are_cut_to_70_characters_and_others_to_140() -> None:
    long_name = "Aktiengesellschaft " + "Sehr Langer Name " * 10
    sepa = dataclasses.replace(
        german_invoice(), creditor=Party(long_name, address=PostalAddress(country="DE"))
    )
    usd = dataclasses.replace(
        us_invoice(), creditor=Party(long_name, address=us_invoice().creditor.address)
    )
    order = order_of("M", block_of(sepa, block_id="S"), block_of(usd, block_id="U"))
    root = root_of(written(order, Pain001Version.V03))
    assert xpath(root, tx("E2E-SEPA", "p:Cdtr/p:Nm/text()")) == [long_name[:70].rstrip()]
    assert xpath(root, tx("E2E-USD", "p:Cdtr/p:Nm/text()")) == [long_name[:140].rstrip()]
    # The SEPA address without a street or town: the country alone.
    assert xpath(root, tx("E2E-SEPA", "p:Cdtr/p:PstlAdr/*/text()")) == ["DE"]


def test_a_profile_with_address_lines_writes_country_and_two_lines() -> None:
    lines = dataclasses.replace(DNB, name="lines", address_format=AddressFormat.LINES)
    root = root_of(
        written(order_of("M", block_of(us_invoice(), block_id="B")), Pain001Version.V03, lines)
    )
    address = "//p:Cdtr/p:PstlAdr/"
    assert xpath(root, address + "p:Ctry/text()") == ["US"]
    assert xpath(root, address + "p:AdrLine/text()") == ["Main Street 200", "10001 New York"]
    assert xpath(root, address + "p:TwnNm") == []


def test_a_eur_payment_to_a_norwegian_bban_is_cross_border_and_keeps_the_bban_scheme() -> None:
    transfer = dataclasses.replace(
        kid_invoice(),
        currency="EUR",
        reference_type=ReferenceType.MESSAGE,
        reference="Invoice 1",
        creditor=Party("Norsk AS", address=PostalAddress(town="Oslo", country="NO")),
        creditor_bic="DNBANOKK",
    )
    root = root_of(written(order_of("M", block_of(transfer, block_id="B")), Pain001Version.V03))
    assert xpath(root, "//p:ChrgBr/text()") == ["SHAR"]
    assert xpath(root, "//p:CdtrAcct/p:Id/p:Othr/p:SchmeNm/p:Cd/text()") == ["BBAN"]


def test_a_domestic_payment_carries_no_regulatory_report() -> None:
    transfer = dataclasses.replace(kid_invoice(), regulatory_report=RegulatoryReport("14", "Varer"))
    root = root_of(written(order_of("M", block_of(transfer, block_id="B")), Pain001Version.V03))
    assert xpath(root, "//p:RgltryRptg") == []


def test_sepa_payment_carries_its_purpose_when_given() -> None:
    transfer = dataclasses.replace(
        german_invoice(), regulatory_report=RegulatoryReport("29", "Service")
    )
    root = root_of(written(order_of("M", block_of(transfer, block_id="B")), Pain001Version.V09))
    assert xpath(root, "//p:RgltryRptg/p:Dtls/p:Cd/text()") == ["29"]
    assert xpath(root, "//p:RgltryRptg/p:Dtls/p:Inf/text()") == ["Service"]


# --- refusals -------------------------------------------------------------------------------------


def _refused(order: PaymentOrder, fragment: str, profile: BankProfile = DNB) -> None:
    out = io.BytesIO()
    with pytest.raises(BankFileRejected) as refused:
        write_pain001(order, out, Pain001Version.V09, profile)
    assert fragment in refused.value.problem
    assert out.getvalue() == b""  # checked before anything is written


def _one(transfer: CreditTransfer, **block: Any) -> PaymentOrder:
    return order_of("M", dataclasses.replace(block_of(transfer, block_id="B"), **block))


def test_a_block_mixing_payment_types_is_refused() -> None:
    order = order_of("M", block_of(kid_invoice(), german_invoice(), block_id="B"))
    _refused(order, "PmtInf B mixes domestic and SEPA payments (EndToEndId E2E-SEPA)")


@pytest.mark.parametrize(
    ("transfer", "fragment"),
    [
        (
            dataclasses.replace(german_invoice(), creditor=Party("Müller GmbH")),
            "a SEPA payment needs the creditor's country",
        ),
        (
            dataclasses.replace(
                us_invoice(), creditor=Party("Acme", address=PostalAddress(country="US"))
            ),
            "a cross-border payment needs the creditor's town",
        ),
        (
            dataclasses.replace(
                us_invoice(),
                creditor=Party("Acme", address=PostalAddress(town="東京", country="JP")),
            ),
            "a cross-border payment needs the creditor's town",
        ),
        (
            dataclasses.replace(
                us_invoice(),
                creditor_account="GB29NWBK60161331926819",
                creditor=Party("Acme", address=PostalAddress(town="London")),
            ),
            "a cross-border payment needs the creditor's country",
        ),
        (
            dataclasses.replace(us_invoice(), creditor_bic=None),
            "needs the BIC of the creditor's bank",
        ),
        (
            dataclasses.replace(
                us_invoice(),
                creditor=Party("Acme", address=PostalAddress(town="NY", country="usa")),
            ),
            "is not an ISO 3166 code",
        ),
        (
            dataclasses.replace(
                us_invoice(),
                creditor=Party("Acme", address=PostalAddress(town="NY", country="ZZ")),
            ),
            "is not an ISO 3166 code",
        ),
        (dataclasses.replace(us_invoice(), creditor_bic="CHASZZ33XXX"), "is not a BIC"),
        (
            dataclasses.replace(us_invoice(), regulatory_report=RegulatoryReport("1 4", "Goods")),
            "purpose code",
        ),
        (
            dataclasses.replace(us_invoice(), regulatory_report=RegulatoryReport("14", "日本")),
            "has no text",
        ),
        (dataclasses.replace(us_invoice(), uetr="2D7B5E30-5D6F-4081-ACBD-2E3F4A5B6C73"), "UUID"),
        (dataclasses.replace(us_invoice(), uetr="2d7b5e30-5d6f-1081-acbd-2e3f4a5b6c73"), "UUID"),
        (dataclasses.replace(us_invoice(), uetr="not-a-uuid"), "UUID"),
    ],
)
def test_a_payment_abroad_a_bank_would_reject_is_refused(
    transfer: CreditTransfer, fragment: str
) -> None:
    _refused(_one(transfer), fragment)


def test_a_payee_in_kosovo_is_written_with_its_country_and_banks_bic() -> None:
    # XK: not (yet) assigned by ISO 3166, but the code banks, IBANs and BICs use.
    kosovo = dataclasses.replace(
        us_invoice(),
        creditor=Party("Kosova Trade", address=PostalAddress(town="Prishtina", country="XK")),
        creditor_bic="RBKOXKPR",
    )
    out = io.BytesIO()
    write_pain001(_one(kosovo), out, Pain001Version.V09, DNB)
    assert b"<Ctry>XK</Ctry>" in out.getvalue()
    assert b"<BICFI>RBKOXKPR</BICFI>" in out.getvalue()


def test_the_same_uetr_twice_is_refused() -> None:
    second = dataclasses.replace(us_invoice(), end_to_end_id="E2E-USD-2", instruction_id="I2")
    _refused(order_of("M", block_of(us_invoice(), second, block_id="B")), "UETR")


@pytest.mark.parametrize(
    ("transfer", "block", "fragment"),
    [
        (
            german_invoice(),
            {"charge_bearer": "SHAR"},
            "SEPA payments are sent with charge bearer SLEV",
        ),
        (us_invoice(), {"charge_bearer": "SLEV"}, "SLEV is for SEPA payments only"),
        (kid_invoice(), {"charge_bearer": "SLEV"}, "SLEV is for SEPA payments only"),
        (us_invoice(), {"charge_bearer": "OUR"}, "is not a charge bearer"),
        (german_invoice(), {"urgent": True}, "only cross-border payments can be urgent"),
        (kid_invoice(), {"urgent": True}, "only cross-border payments can be urgent"),
        (
            german_invoice(),
            {"debtor_bic": None},
            "SEPA payments need the BIC of the company's bank",
        ),
        (us_invoice(), {"debtor_bic": None}, "cross-border payments need the BIC"),
        (
            kid_invoice(),
            {"debtor_bic": None},
            "domestic payments need the BIC",
        ),  # DNB: no NOTPROVIDED
        (kid_invoice(), {"debtor_bic": "NDEANOKK"}, "the debtor agent NDEANOKK is not DNB's"),
    ],
)
def test_a_block_against_its_type_or_profile_is_refused(
    transfer: CreditTransfer, block: dict[str, Any], fragment: str
) -> None:
    _refused(_one(transfer, **block), fragment)


def test_generic_profile_takes_notprovided_at_home_but_never_abroad() -> None:
    _refused(_one(german_invoice(), debtor_bic=None), "need the BIC", GENERIC)
    out = io.BytesIO()
    write_pain001(_one(kid_invoice(), debtor_bic=None), out, Pain001Version.V03, GENERIC)


# --- properties -----------------------------------------------------------------------------------


@settings(max_examples=300)
@given(text=st.text(), charset=st.sampled_from(CharacterSet), max_len=st.integers(0, 200))
def test_clean_text_only_ever_returns_allowed_characters(
    text: str, charset: CharacterSet, max_len: int
) -> None:
    cleaned = clean_text(text, max_len, charset=charset)
    assert set(cleaned) <= charset.characters
    assert len(cleaned) <= max_len
    assert cleaned == cleaned.strip() and "  " not in cleaned
    assert (
        clean_text(cleaned, max_len, charset=charset) == cleaned
    )  # cleaning twice changes nothing


LINES = dataclasses.replace(
    GENERIC,
    name="lines",
    address_format=AddressFormat.LINES,
    domestic_characters=CharacterSet.LATIN_1,
)
ALL_PROFILES = [*PROFILES.values(), LINES]

# Names of any characters, with one a bank can read (texts nothing of which is left, and the
# refusals they bring, are in the address fields and in test_pain001.py).
names = st.one_of(
    st.text(max_size=160).map(lambda text: "A" + text),
    st.text(max_size=160).map(lambda text: text + "z"),
)
optional_texts = st.one_of(
    st.none(), st.text(max_size=40), st.text(max_size=40).map(lambda t: "X" + t)
)
kids = st.text(alphabet="0123456789", min_size=1, max_size=24).map(
    lambda body: body + luhn.calc_check_digit(body)
)
references = st.one_of(
    kids.map(lambda kid: (ReferenceType.KID, kid)),
    names.map(lambda text: (ReferenceType.MESSAGE, text)),
    names.map(lambda text: (ReferenceType.INVOICE, text)),
    st.just((ReferenceType.EMPTY, "")),
)
reports = st.one_of(
    st.none(),
    st.builds(RegulatoryReport, st.sampled_from(["14", "29", "81"]), names),
)
uetrs = st.one_of(st.none(), st.uuids(version=4).map(str))


def addresses(countries: Sequence[str | None]) -> st.SearchStrategy[PostalAddress]:
    return st.builds(
        PostalAddress,
        street=optional_texts,
        building_no=optional_texts,
        post_code=optional_texts,
        town=st.one_of(names, names, names, optional_texts),
        country=st.sampled_from(countries),
    )


# (creditor account, currency, creditor BIC, the creditor's countries) per payment type.
DOMESTIC_ACCOUNTS = [("12345678903", "NOK", None), ("NO9386011117947", "NOK", "DABANO22")]
SEPA_ACCOUNTS = [(GERMAN_IBAN, "EUR", "COBADEFFXXX"), ("FR1420041010050500013M02606", "EUR", None)]
ABROAD_ACCOUNTS = [
    (US_ACCOUNT, "USD", "CHASUS33XXX", "US"),
    ("GB29NWBK60161331926819", "GBP", None, "GB"),
    ("TR330006100519786457841326", "EUR", None, "TR"),  # outside the SEPA zone
    ("12345678903", "USD", "DNBANOKK", "NO"),
    ("98765432", "CAD", None, "CA"),  # no BIC for a non-IBAN: refused
    (US_ACCOUNT, "USD", "CHASUS33", "US"),
]


@st.composite
def transfers(draw: st.DrawFn, kind: PaymentType) -> CreditTransfer:
    if kind is PaymentType.DOMESTIC:
        account, currency, bic = draw(st.sampled_from(DOMESTIC_ACCOUNTS))
        address = draw(st.one_of(st.none(), addresses([None, "NO"])))
    elif kind is PaymentType.SEPA:
        account, currency, bic = draw(st.sampled_from(SEPA_ACCOUNTS))
        address = draw(addresses(["DE", "FR", "SE", "NO", None]))
    else:
        account, currency, bic, country = draw(st.sampled_from(ABROAD_ACCOUNTS))
        address = draw(addresses([country]))
    reference_type, reference = draw(references)
    return CreditTransfer(
        end_to_end_id="E2E",  # numbered by `orders`, so none appears twice
        instruction_id="I",
        amount=draw(st.decimals(Decimal("0.01"), Decimal("9999999.99"), places=2)),
        currency=currency,
        creditor=Party(draw(names), address=address),
        creditor_account=account,
        reference_type=reference_type,
        reference=reference,
        creditor_bic=bic,
        regulatory_report=draw(reports) if kind is not PaymentType.DOMESTIC else None,
        uetr=draw(uetrs),
    )


@st.composite
def blocks(draw: st.DrawFn, number: int, bic: str) -> tuple[PaymentType, PaymentBlock]:
    kind = draw(st.sampled_from(PaymentType))
    return kind, PaymentBlock(
        payment_info_id=f"P-{number}",
        debtor_account=COMPANY_ACCOUNT,
        execution_date=EXECUTION,
        transfers=draw(st.lists(transfers(kind), min_size=1, max_size=3)),
        debtor_bic=draw(st.sampled_from([bic] * 4 + [None])),
        charge_bearer=draw(st.sampled_from([None] * 6 + ["DEBT", "CRED", "SHAR", "SLEV"])),
        urgent=draw(st.booleans()) if kind is PaymentType.CROSS_BORDER else False,
    )


@st.composite
def orders(draw: st.DrawFn, profile: BankProfile) -> tuple[list[PaymentType], PaymentOrder]:
    bic = profile.bics[0] if profile.bics else COMPANY_BIC  # the company's bank is the profile's
    drawn = [draw(blocks(number, bic)) for number in range(draw(st.integers(1, 3)))]
    numbers = iter(range(1, 100))
    drawn = [
        (
            kind,
            dataclasses.replace(
                payment,
                transfers=[
                    dataclasses.replace(t, end_to_end_id=f"E2E-{n}", instruction_id=f"I-{n}")
                    for t, n in zip(payment.transfers, numbers, strict=False)
                ],
            ),
        )
        for kind, payment in drawn
    ]
    order = PaymentOrder(
        message_id="M-PROPERTY",
        created_at=NOW,
        initiator=Party("A" + draw(st.text(max_size=30)), org_no="974760673"),
        debtor=Party("A" + draw(st.text(max_size=30))),
        blocks=[payment for _, payment in drawn],
    )
    return [kind for kind, _ in drawn], order


# Texts a bank reads: they must hold nothing outside the block's character set.
_TEXTS = (
    "p:Dbtr/p:Nm",
    "p:CdtTrfTxInf/p:Cdtr/p:Nm",
    "p:CdtTrfTxInf/p:Cdtr/p:PstlAdr/*",
    "p:CdtTrfTxInf/p:RmtInf/p:Ustrd",
    "p:CdtTrfTxInf/p:RmtInf/p:Strd/p:RfrdDocInf/p:Nb",
    "p:CdtTrfTxInf/p:RgltryRptg/p:Dtls/p:Inf",
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), version=st.sampled_from(VERSIONS), profile=st.sampled_from(ALL_PROFILES))
def test_every_order_the_writer_takes_is_xsd_valid_and_keeps_the_profiles_rules(
    official_xsds: Path, data: st.DataObject, version: Pain001Version, profile: BankProfile
) -> None:
    kinds, order = data.draw(orders(profile))
    out = io.BytesIO()
    try:
        summary = write_pain001(order, out, version, profile)
    except BankFileRejected as refused:
        event(f"refused: {refused.problem.split(': ', 1)[-1][:40]}")
        assert out.getvalue() == b""
        return
    event("written")
    root = etree.fromstring(out.getvalue())
    load_schema(version.value, official_xsds).assertValid(root)
    assert summary.number_of_transactions == sum(len(b.transfers) for b in order.blocks)
    ns = _ns(root)
    assert set(xpath(root, "//p:InitgPty/p:Nm/text()")[0]) <= profile.domestic_characters.characters
    written_blocks = root.xpath("//p:PmtInf", namespaces=ns)
    for kind, payment, element in zip(kinds, order.blocks, written_blocks, strict=True):
        _check_block_rules(kind, payment, element, profile, version)


def _check_block_rules(
    kind: PaymentType,
    payment: PaymentBlock,
    element: Any,
    profile: BankProfile,
    version: Pain001Version,
) -> None:
    ns = _ns(element)

    def values(path: str) -> list[str]:
        return [str(value) for value in element.xpath(path, namespaces=ns)]

    for transfer in payment.transfers:  # the block is of one payment type, the one it was made of
        country = transfer.creditor.address.country if transfer.creditor.address else None
        assert payment_type(transfer.creditor_account, transfer.currency, country) is kind
    service_level, charge_bearer = (
        values("p:PmtTpInf/p:SvcLvl/p:Cd/text()"),
        values("p:ChrgBr/text()"),
    )
    not_provided = values("p:DbtrAgt/p:FinInstnId/p:Othr/p:Id/text()")
    if kind is PaymentType.SEPA:
        assert service_level == ["SEPA"] and charge_bearer == ["SLEV"]
    else:
        assert service_level == ["URGP" if payment.urgent else "NURG"]
        default = profile.domestic_charge_bearer if kind is PaymentType.DOMESTIC else "SHAR"
        assert charge_bearer == [payment.charge_bearer or default] and charge_bearer != ["SLEV"]
    if not_provided:
        assert kind is PaymentType.DOMESTIC and profile.debtor_agent_not_provided
        assert payment.debtor_bic is None
    domestic = kind is PaymentType.DOMESTIC
    allowed = profile.domestic_characters.characters if domestic else CharacterSet.BASIC.characters
    for path in _TEXTS:
        for text in values(path + "/text()"):
            assert set(text) <= allowed, (path, text)
    if kind is PaymentType.SEPA:
        assert all(len(name) <= 70 for name in values("p:CdtTrfTxInf/p:Cdtr/p:Nm/text()"))
    for transaction in element.xpath("p:CdtTrfTxInf", namespaces=ns):

        def found(path: str, transaction: Any = transaction) -> list[str]:
            return [str(value) for value in transaction.xpath(path, namespaces=ns)]

        if not domestic:
            assert found("p:Cdtr/p:PstlAdr/p:Ctry/text()")
        country = found("p:Cdtr/p:PstlAdr/p:Ctry/text()")
        # A currency payment to a Norwegian account has its payee in Norway: no town needed.
        if kind is PaymentType.CROSS_BORDER and country != ["NO"]:
            town = "p:Cdtr/p:PstlAdr/p:TwnNm/text()"
            lines = "p:Cdtr/p:PstlAdr/p:AdrLine/text()"
            assert found(town if profile.address_format is AddressFormat.STRUCTURED else lines)
            if found("p:CdtrAcct/p:Id/p:Othr"):
                assert found("p:CdtrAgt/p:FinInstnId/*/text()")
        if domestic:
            assert found("p:RgltryRptg") == []
        uetr = found("p:PmtId/p:UETR/text()")
        assert not uetr or version is Pain001Version.V09
