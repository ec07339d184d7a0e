"""EHF files into the supplier ledger and the bank module, on SQLite and PostgreSQL: the sample
files of ../shared/fixtures/samples/ehf become proposals with the flags they deserve, the buyer
must be the company, the same invoice is taken once, a bad file takes nothing, and the inbox
folder moves every file to done/ or rejected/ (with why)."""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from paybot.core.ehf import EhfDocument, EhfValidator, read_ehf
from paybot.core.ehf.document import EhfAddress
from paybot.core.errors import ImportRejected, NotFound
from paybot.core.ledger_file import PAYEE_COLUMNS
from paybot.core.payments import NO_PAYEE_DETAILS, Flag, PayeeDetails, Reason, ReferenceType
from paybot.services import companies, ledger, payments, proposals
from paybot.services.ehf_import import import_ehf
from paybot.services.ehf_inbox import DONE, REJECTED, checked, read_inbox
from paybot.store.uow import UnitOfWork
from tests.builders import a_supplier, an_item
from tests.services.test_signing_races import run_at_once
from tests.shared_fixtures import shared_fixture

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
BUYER = "987654325"  # the buyer of the Norwegian samples
NORWEGIAN = (
    "peppol_no_example1_invoice_nok_kid_iban.xml",
    "anskaffelser_ehf3_faktura1_invoice_nok_kid_bban.xml",
    "anskaffelser_forward_billing_invoice_nok_kid_iban.xml",
    "anskaffelser_forward_billing_creditnote_nok_kid_iban.xml",
    "peppol_vat_O_invoice_sek_to_no_buyer.xml",
)
FOREIGN_BUYER = (
    "cen_tc434_example2_invoice_nok_kid_iban.xml",
    "peppol_base_example_invoice_eur.xml",
    "peppol_base_creditnote_correction_eur.xml",
    "peppol_base_negative_invoice_correction_eur.xml",
    "peppol_allowance_invoice_eur_taxcurrency_sek.xml",
)


@pytest.fixture(scope="module")
def validator() -> EhfValidator:
    return EhfValidator(shared_fixture("ubl21"))


def sample(name: str) -> Path:
    return shared_fixture(f"samples/ehf/{name}")


@pytest.fixture
def buyer(uow: UnitOfWork) -> str:
    companies.add_company(
        uow, org_no=BUYER, name="Buyer AS", account="15032080119", bank="DNB", now=NOW
    )
    return BUYER


def take(uow: UnitOfWork, validator: EhfValidator, name: str, company: str | None = BUYER):
    data = sample(name).read_bytes()
    return import_ehf(uow, file=checked(name, data, validator), now=NOW, company_org_no=company)


def test_every_norwegian_sample_becomes_a_proposal_with_its_flags(
    uow: UnitOfWork, validator: EhfValidator, buyer: str
) -> None:
    made = {name: take(uow, validator, name) for name in NORWEGIAN}

    # The agency's EHF 3.0 copy of TOSL108 (a BBAN) is the OpenPeppol one (a Norwegian IBAN of
    # the same account): the same seller and invoice number, the same amount: taken once.
    assert made[NORWEGIAN[1]].outcome == "known"
    assert made[NORWEGIAN[1]].payment_id is None
    assert "TOSL108" in made[NORWEGIAN[1]].detail
    taken = {name: r for name, r in made.items() if r.outcome == "imported"}
    assert len(taken) == 4 and all(r.payment_id for r in taken.values())

    shown = {
        name: payments.show(uow, payment_id=r.payment_id).payment  # type: ignore[arg-type]
        for name, r in taken.items()
    }
    tosl = shown[NORWEGIAN[0]]
    # Paid to the payee party (factoring), PayableAmount after prepaid and rounding, the Norwegian
    # IBAN paid as its BBAN; the samples' KID fails MOD10 and MOD11: red.
    assert tosl.payee == "Ebeneser Scrooge AS"
    assert (tosl.amount, tosl.currency, tosl.account) == (Decimal("802.00"), "NOK", "86011117947")
    assert tosl.reference_type is ReferenceType.KID
    assert tosl.flag is Flag.RED and Reason.INVALID_KID in tosl.reasons

    credit = shown[NORWEGIAN[3]]
    assert credit.amount == Decimal("-1543.34")
    # The Swedish account fails the IBAN check: red, as a typed-in one would be.
    sek = shown[NORWEGIAN[4]]
    assert sek.currency == "SEK" and sek.flag is Flag.RED
    assert Reason.INVALID_ACCOUNT in sek.reasons

    details = payments.show(uow, payment_id=taken[NORWEGIAN[0]].payment_id)  # type: ignore[arg-type]
    ehf = details.ehf
    assert ehf is not None
    assert ehf["seller_name"] != ehf["payee_name"] == "Ebeneser Scrooge AS"
    assert ehf["account_kind"] == "iban" and ehf["bic"] == "DNBANOKK"
    assert len(ehf["summary"]["lines"]) == 5
    assert [w["rule_id"] for w in ehf["warnings"]] == ["UBL-CR-679"]


@pytest.mark.parametrize("name", FOREIGN_BUYER)
def test_an_invoice_for_another_buyer_is_refused_and_nothing_is_imported(
    uow: UnitOfWork, validator: EhfValidator, buyer: str, name: str
) -> None:
    with pytest.raises(ImportRejected, match="cac:AccountingCustomerParty: the invoice is for"):
        take(uow, validator, name)
    with uow:
        company_id = uow.companies.get(BUYER).id  # type: ignore[union-attr]
        assert sum(uow.payments.counts_by_status(company_id).values()) == 0
        assert uow.ledger.suppliers(company_id) == {}


def test_without_a_company_the_buyer_names_it_or_the_file_is_refused(
    uow: UnitOfWork, validator: EhfValidator, buyer: str
) -> None:
    assert take(uow, validator, NORWEGIAN[2], company=None).company_org_no == BUYER
    with pytest.raises(ImportRejected, match="no Norwegian organisation number"):
        take(uow, validator, FOREIGN_BUYER[1], company=None)


def test_the_same_file_twice_is_taken_once(
    uow: UnitOfWork, validator: EhfValidator, buyer: str
) -> None:
    first = take(uow, validator, NORWEGIAN[2])
    again = take(uow, validator, NORWEGIAN[2])
    assert (first.outcome, again.outcome) == ("imported", "known")
    assert again.voucher_no == first.voucher_no
    with uow:
        company_id = uow.companies.get(BUYER).id  # type: ignore[union-attr]
        assert sum(uow.payments.counts_by_status(company_id).values()) == 1


def test_an_account_other_than_the_registered_one_is_orange(
    uow: UnitOfWork, validator: EhfValidator, buyer: str
) -> None:
    seller = a_supplier(name="Energiselskapet AS", org_no="811143758", account="12345678903")
    ledger.import_suppliers(uow, company_org_no=BUYER, source="s.csv", rows=[seller], now=NOW)
    result = take(uow, validator, NORWEGIAN[2])
    payment = payments.show(uow, payment_id=result.payment_id).payment  # type: ignore[arg-type]
    assert Reason.ACCOUNT_CHANGED in payment.reasons
    assert payment.flag is not Flag.BLUE


def test_an_invoice_the_ledger_has_with_another_amount_is_refused(
    uow: UnitOfWork, validator: EhfValidator, buyer: str
) -> None:
    first = take(uow, validator, NORWEGIAN[2])
    assert first.outcome == "imported"
    changed = sample(NORWEGIAN[2]).read_bytes().replace(b">1543.34<", b">1643.34<")
    with pytest.raises(ImportRejected):
        # Either the rules (the totals no longer add up) or the ledger refuses it: never taken.
        import_ehf(
            uow, file=checked("changed.xml", changed, validator), now=NOW, company_org_no=BUYER
        )
    proposals.refresh(uow, company_org_no=BUYER, now=NOW)
    with uow:
        company_id = uow.companies.get(BUYER).id  # type: ignore[union-attr]
        assert sum(uow.payments.counts_by_status(company_id).values()) == 1


def test_an_unknown_buyer_is_not_found(uow: UnitOfWork, validator: EhfValidator) -> None:
    with pytest.raises(NotFound, match="987654325"):
        take(uow, validator, NORWEGIAN[2], company=None)


def test_the_inbox_takes_the_good_files_and_moves_each_with_why(
    uow: UnitOfWork, validator: EhfValidator, buyer: str, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in (NORWEGIAN[0], NORWEGIAN[2], FOREIGN_BUYER[1]):
        shutil.copy(sample(name), inbox / name)
    (inbox / "bomb.xml").write_bytes(
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><Invoice>&a;</Invoice>'
    )
    (inbox / "notes.txt").write_text("not an invoice")
    (inbox / ".half-written.xml").write_text("<Inv")
    old = NOW.timestamp() - 60
    for path in inbox.iterdir():
        os.utime(path, (old, old))
    (inbox / "fresh.xml").write_bytes(sample(NORWEGIAN[3]).read_bytes())  # still being written

    outcomes = {o.path.name: o.outcome for o in read_inbox(uow, validator, inbox, now=NOW)}

    assert outcomes == {
        "bomb.xml": "refused",
        NORWEGIAN[2]: "imported",
        FOREIGN_BUYER[1]: "refused",
        NORWEGIAN[0]: "imported",
    }
    assert sorted(p.name for p in (inbox / DONE).iterdir()) == sorted([NORWEGIAN[0], NORWEGIAN[2]])
    rejected = sorted(p.name for p in (inbox / REJECTED).iterdir())
    assert rejected == sorted(
        ["bomb.xml", "bomb.xml.error.txt", FOREIGN_BUYER[1], FOREIGN_BUYER[1] + ".error.txt"]
    )
    why = (inbox / REJECTED / "bomb.xml.error.txt").read_text()
    assert "bomb.xml" in why and ("DTD" in why or "ENTITY" in why)
    assert sorted(p.name for p in inbox.iterdir() if p.is_file()) == sorted(
        ["notes.txt", ".half-written.xml", "fresh.xml"]
    )

    # The same file dropped again: known, moved to done/ under a name of its own.
    shutil.copy(sample(NORWEGIAN[0]), inbox / NORWEGIAN[0])
    os.utime(inbox / NORWEGIAN[0], (old, old))
    os.utime(inbox / "fresh.xml", (old, old))
    again = {o.path.name: o.outcome for o in read_inbox(uow, validator, inbox, now=NOW)}
    assert again == {NORWEGIAN[0]: "known", "fresh.xml": "imported"}
    assert len(list((inbox / DONE).iterdir())) == 4


def test_two_imports_of_one_invoice_at_once_take_it_once(
    engine: Engine, database_url: str, validator: EhfValidator
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("racing writers need PostgreSQL (SQLite serializes every writer)")
    setup = UnitOfWork(engine)
    companies.add_company(
        setup, org_no=BUYER, name="Buyer AS", account="15032080119", bank="DNB", now=NOW
    )
    file = checked(NORWEGIAN[2], sample(NORWEGIAN[2]).read_bytes(), validator)

    def importing(uow: UnitOfWork) -> None:
        outcomes.append(import_ehf(uow, file=file, now=NOW, company_org_no=BUYER).outcome)

    outcomes: list[str] = []
    failures = run_at_once(engine, [importing] * 4)

    assert [result for result, _ in failures] == ["won"] * 4  # nobody meets a database error
    assert sorted(outcomes) == ["imported", "known", "known", "known"]
    with setup:
        company_id = setup.companies.get(BUYER).id  # type: ignore[union-attr]
        assert sum(setup.payments.counts_by_status(company_id).values()) == 1


def test_a_name_that_reads_otherwise_than_it_is_is_refused(
    uow: UnitOfWork, validator: EhfValidator, buyer: str
) -> None:
    spoofed = (
        sample(NORWEGIAN[0])
        .read_bytes()
        .replace(b"The Sellercompany ASA", "The Sellercompany \u202eASA".encode())
    )
    with pytest.raises(ImportRejected, match="control character U\\+202E"):
        import_ehf(
            uow, file=checked("spoofed.xml", spoofed, validator), now=NOW, company_org_no=BUYER
        )


# --- the seller's details for payments abroad ----------------------------------------------------

FORWARD = NORWEGIAN[2]  # Havblikk Nett AS, Storoveien 4, 0542 Oslo; DNBANOKK; no payee party
GRID = "811143758"
GRID_ADDRESS = PayeeDetails("Storoveien 4", None, "0542", "Oslo", "NO")


def supplier_details(uow: UnitOfWork, org_no: str) -> PayeeDetails:
    with uow:
        company_id = uow.companies.get(BUYER).id  # type: ignore[union-attr]
        supplier_id = uow.ledger.suppliers(company_id)[f"org:{org_no}"][0]
        return uow.ledger.supplier_details(company_id)[supplier_id]


def grid_supplier(uow: UnitOfWork, **details: str | None) -> None:
    row = a_supplier(name="Havblikk Nett AS", org_no=GRID, **details)
    ledger.import_suppliers(uow, company_org_no=BUYER, source="s.csv", rows=[row], now=NOW)


def test_an_invoice_fills_the_new_suppliers_address_and_bic_and_its_payment_gets_them(
    uow: UnitOfWork, validator: EhfValidator, buyer: str
) -> None:
    result = take(uow, validator, FORWARD)

    filled = replace(GRID_ADDRESS, bic="DNBANOKK")
    assert supplier_details(uow, GRID) == filled
    payment = payments.show(uow, payment_id=result.payment_id)  # type: ignore[arg-type]
    assert payment.payment.payee_details == filled
    with uow:
        [event] = [e for e in uow.audit.latest(100) if e["action"] == "supplier.update"]
        [imported] = [e for e in uow.audit.latest(100) if e["action"] == "import.ehf"]
    assert event["before"] == dict.fromkeys(event["after"])
    assert event["after"]["town"] == "Oslo" and event["details"]["from"] == "ehf"
    assert imported["details"]["supplier_details_filled"] == sorted(
        ["street", "post_code", "town", "country", "bic"], key=PAYEE_COLUMNS.index
    )


def test_an_address_a_person_set_is_never_overwritten(
    uow: UnitOfWork, validator: EhfValidator, buyer: str
) -> None:
    grid_supplier(uow, account="86011117947", town="Bergen", country="NO")
    take(uow, validator, FORWARD)
    # Another town: the address stays the person's; the BIC of the registered account fills.
    assert supplier_details(uow, GRID) == PayeeDetails(town="Bergen", country="NO", bic="DNBANOKK")


def test_a_country_alone_is_completed_by_the_invoices_address(
    uow: UnitOfWork, validator: EhfValidator, buyer: str
) -> None:
    grid_supplier(uow, account=None, country="NO")
    take(uow, validator, FORWARD)
    assert supplier_details(uow, GRID) == replace(GRID_ADDRESS, bic="DNBANOKK")


def test_the_bic_of_an_account_that_is_not_the_registered_one_is_not_taken(
    uow: UnitOfWork, validator: EhfValidator, buyer: str
) -> None:
    grid_supplier(uow, account="12345678903")
    take(uow, validator, FORWARD)
    assert supplier_details(uow, GRID) == GRID_ADDRESS


def test_a_factored_invoice_gives_the_seller_its_address_but_not_the_factors_bic(
    uow: UnitOfWork, validator: EhfValidator, buyer: str
) -> None:
    take(uow, validator, NORWEGIAN[0])  # paid to Ebeneser Scrooge AS, at DNBANOKK
    assert supplier_details(uow, "123456785") == PayeeDetails(
        "Main street 34", None, "54321", "Big city", "NO"
    )


def test_a_bic_that_is_not_one_is_not_taken(
    uow: UnitOfWork, validator: EhfValidator, buyer: str
) -> None:
    result = take(uow, validator, NORWEGIAN[4])  # SEXDABCD: "AB" is no country
    payment = payments.show(uow, payment_id=result.payment_id).payment  # type: ignore[arg-type]
    assert payment.payee_details == PayeeDetails(
        "Main street 2, Building 4", None, "54321", "Big city", "SE"
    )


def test_the_suppliers_earlier_proposals_get_the_details_where_empty(
    uow: UnitOfWork, validator: EhfValidator, buyer: str
) -> None:
    grid_supplier(uow, account=None)
    item = an_item(supplier_name="Havblikk Nett AS", supplier_org_no=GRID)
    ledger.import_open_items(uow, company_org_no=BUYER, source="i.csv", rows=[item], now=NOW)
    proposals.refresh(uow, company_org_no=BUYER, now=NOW)
    [earlier] = proposals.list_payments(uow, company_org_no=BUYER)
    assert earlier.payee_details == NO_PAYEE_DETAILS

    take(uow, validator, FORWARD)

    after = payments.show(uow, payment_id=earlier.id).payment
    assert after.payee_details == replace(GRID_ADDRESS, bic="DNBANOKK")
    assert after.version == earlier.version + 1


def test_the_same_invoice_again_fills_nothing_more(
    uow: UnitOfWork, validator: EhfValidator, buyer: str
) -> None:
    take(uow, validator, FORWARD)
    with uow:
        events = uow.audit.count()
    assert take(uow, validator, FORWARD).outcome == "known"
    with uow:
        assert uow.audit.count() == events


# --- reading the seller's address (pure) ---------------------------------------------------------


def read(name: str, data: bytes | None = None) -> EhfDocument:
    return read_ehf(name, sample(name).read_bytes() if data is None else data)


def test_the_reader_takes_the_sellers_postal_address() -> None:
    doc = read(NORWEGIAN[0])
    assert doc.seller_address == EhfAddress("Main street 34", None, "54321", "Big city", "NO")
    assert doc.seller_details() == PayeeDetails("Main street 34", None, "54321", "Big city", "NO")


def test_a_building_number_is_read_and_a_country_code_upper_cased() -> None:
    data = (
        sample(FORWARD)
        .read_bytes()
        .replace(
            b"<cbc:StreetName>Storoveien 4</cbc:StreetName>",
            b"<cbc:StreetName>Storoveien</cbc:StreetName><cbc:BuildingNumber>4</cbc:BuildingNumber>",
            1,
        )
        .replace(
            b"<cbc:IdentificationCode>NO</cbc:IdentificationCode>",
            b"<cbc:IdentificationCode>no</cbc:IdentificationCode>",
            1,
        )
    )
    details = read(FORWARD, data).seller_details()
    assert (details.street, details.building_no, details.country) == ("Storoveien", "4", "NO")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b">Storoveien 4<", ">Storo\u202eveien 4<".encode()),  # reads otherwise than it is
        (b">Storoveien 4<", b">" + b"S" * 71 + b"<"),  # longer than a payment file's StrtNm
        (b">Oslo<", b">" + b"O" * 36 + b"<"),  # longer than TwnNm
    ],
)
def test_an_address_that_cannot_be_stored_as_it_is_is_not_taken_at_all(
    old: bytes, new: bytes
) -> None:
    doc = read(FORWARD, sample(FORWARD).read_bytes().replace(old, new, 1))
    assert doc.seller_address is not None
    assert doc.seller_details() == PayeeDetails(bic="DNBANOKK")
