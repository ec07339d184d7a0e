"""EHF files into the supplier ledger and the bank module, on SQLite and PostgreSQL: the sample
files of ../shared/fixtures/samples/ehf become proposals with the flags they deserve, the buyer
must be the company, the same invoice is taken once, a bad file takes nothing, and the inbox
folder moves every file to done/ or rejected/ (with why)."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from paybot.core.ehf import EhfValidator
from paybot.core.errors import ImportRejected, NotFound
from paybot.core.payments import Flag, Reason, ReferenceType
from paybot.services import companies, ledger, payments, proposals
from paybot.services.ehf_import import import_ehf
from paybot.services.ehf_inbox import DONE, REJECTED, checked, read_inbox
from paybot.store.uow import UnitOfWork
from tests.builders import a_supplier
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
