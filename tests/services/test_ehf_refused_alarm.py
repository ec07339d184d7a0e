"""An EHF file the inbox refuses is an alarm for the company it was for, on SQLite and PostgreSQL:
once per file (the same bytes dropped again are not said twice, a new file is), saying which
file, whose invoice, why, and that nothing is paid until a corrected file comes. A file whose
buyer is no company here, or that cannot be read at all, is left to the log."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from paybot.core.ehf import EhfValidator
from paybot.core.sends import AlarmKind
from paybot.services import companies
from paybot.services.ehf_inbox import REJECTED, Alarmed, FileOutcome, read_inbox
from paybot.store.alarms import AlarmRecord
from paybot.store.uow import UnitOfWork
from tests.shared_fixtures import shared_fixture

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
BUYER = "987654325"  # the buyer of the Norwegian samples
OTHER = "923609016"
NORWEGIAN = "peppol_no_example1_invoice_nok_kid_iban.xml"
FOREIGN_BUYER = "peppol_base_example_invoice_eur.xml"
NOT_UBL = "invoice.xml:13: Invoice/cbc:Bogus: not valid UBL 2.1"


@pytest.fixture(scope="module")
def validator() -> EhfValidator:
    return EhfValidator(shared_fixture("ubl21"))


def sample(name: str) -> bytes:
    return shared_fixture(f"samples/ehf/{name}").read_bytes()


def edited(*changes: tuple[str, str], name: str = NORWEGIAN) -> bytes:
    data = sample(name).decode("utf-8")
    for old, new in changes:
        assert old in data, f"{old!r} not in {name}"
        data = data.replace(old, new, 1)
    return data.encode("utf-8")


# An element UBL does not have: the schema refuses the file at line 13.
NOT_VALID = edited(("<cbc:IssueDate>", "<cbc:Bogus>x</cbc:Bogus><cbc:IssueDate>"))
# Valid UBL, but the amount due is not the total: BR-CO-16.
WRONG_TOTAL = edited(
    ('<cbc:PayableAmount currencyID="NOK">', '<cbc:PayableAmount currencyID="NOK">1')
)


def add_company(uow: UnitOfWork, org_no: str, name: str) -> None:
    companies.add_company(uow, org_no=org_no, name=name, account="15032080119", bank="DNB", now=NOW)


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


def drop(inbox: Path, name: str, data: bytes) -> None:
    (inbox / name).write_bytes(data)
    settled = NOW.timestamp() - 60
    os.utime(inbox / name, (settled, settled))


def run(uow: UnitOfWork, validator: EhfValidator, inbox: Path) -> FileOutcome:
    [outcome] = read_inbox(uow, validator, inbox, now=NOW)
    return outcome


def alarms(uow: UnitOfWork) -> list[AlarmRecord]:
    with uow:
        return list(reversed(uow.alarms.latest()))


def test_a_refused_invoice_is_an_alarm_for_its_buyer_saying_what_and_why(
    uow: UnitOfWork, validator: EhfValidator, inbox: Path
) -> None:
    add_company(uow, OTHER, "Other AS")
    add_company(uow, BUYER, "Buyer AS")
    drop(inbox, "invoice.xml", NOT_VALID)

    outcome = run(uow, validator, inbox)

    assert outcome.outcome == "refused" and outcome.problem.startswith(NOT_UBL)
    assert outcome.alarmed == Alarmed(BUYER, new=True)
    [alarm] = alarms(uow)
    assert alarm.kind is AlarmKind.EHF_REFUSED
    assert (alarm.company_org_no, alarm.payment_id, alarm.batch_id) == (BUYER, None, None)
    for said in (
        "invoice.xml",
        "The Sellercompany ASA",
        "TOSL108",
        NOT_UBL,
        "rejected/",
        "nothing is paid for it until a corrected file",
    ):
        assert said in alarm.message
    assert alarm.details["file"] == alarm.details["rejected_as"] == "invoice.xml"
    assert alarm.details["supplier"] == "The Sellercompany ASA"
    assert alarm.details["invoice_no"] == "TOSL108"
    assert str(alarm.details["error"]).startswith(NOT_UBL)
    assert sorted(p.name for p in (inbox / REJECTED).iterdir()) == [
        "invoice.xml",
        "invoice.xml.error.txt",
    ]
    with uow:
        [event] = uow.audit.latest(50, action_prefix="alarm.")
    assert event["action"] == "alarm.ehf_refused" and event["details"]["file"] == "invoice.xml"


def test_the_same_file_again_is_not_said_twice_a_new_one_is_and_the_corrected_one_imports(
    uow: UnitOfWork, validator: EhfValidator, inbox: Path
) -> None:
    add_company(uow, BUYER, "Buyer AS")
    drop(inbox, "invoice.xml", NOT_VALID)
    assert run(uow, validator, inbox).alarmed == Alarmed(BUYER, new=True)

    drop(inbox, "invoice.xml", NOT_VALID)
    again = run(uow, validator, inbox)
    assert again.outcome == "refused" and again.alarmed == Alarmed(BUYER, new=False)
    assert len(alarms(uow)) == 1
    assert (inbox / REJECTED / "invoice.1.xml.error.txt").is_file()

    drop(inbox, "invoice.xml", WRONG_TOTAL)  # another file, still wrong: said again
    other = run(uow, validator, inbox)
    assert other.alarmed == Alarmed(BUYER, new=True)
    second = alarms(uow)[1]
    assert "BR-CO-16" in second.message and second.details["rejected_as"] == "invoice.2.xml"

    drop(inbox, "invoice.xml", sample(NORWEGIAN))
    corrected = run(uow, validator, inbox)
    assert corrected.outcome == "imported" and corrected.alarmed is None
    assert len(alarms(uow)) == 2


def test_a_file_for_a_buyer_that_is_no_company_here_is_left_to_the_log(
    uow: UnitOfWork, validator: EhfValidator, inbox: Path
) -> None:
    add_company(uow, OTHER, "Other AS")
    drop(inbox, "invoice.xml", NOT_VALID)

    outcome = run(uow, validator, inbox)

    assert outcome.outcome == "refused" and outcome.alarmed is None
    assert alarms(uow) == []
    assert (inbox / REJECTED / "invoice.xml.error.txt").is_file()


def test_a_file_whose_buyer_has_no_norwegian_number_is_left_to_the_log(
    uow: UnitOfWork, validator: EhfValidator, inbox: Path
) -> None:
    add_company(uow, BUYER, "Buyer AS")
    drop(inbox, FOREIGN_BUYER, sample(FOREIGN_BUYER))

    outcome = run(uow, validator, inbox)

    assert outcome.outcome == "refused" and outcome.alarmed is None
    assert alarms(uow) == []


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"%PDF-1.7 not XML at all \x00\xff", id="not-xml"),
        pytest.param(b"", id="empty"),
        pytest.param(
            sample(NORWEGIAN).replace(
                b"<Invoice", b'<!DOCTYPE Invoice [<!ENTITY a "a">]>\n<Invoice', 1
            ),
            id="dtd",
        ),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_without_an_alarm_or_a_crash(
    uow: UnitOfWork, validator: EhfValidator, inbox: Path, data: bytes
) -> None:
    add_company(uow, BUYER, "Buyer AS")
    drop(inbox, "invoice.xml", data)

    outcome = run(uow, validator, inbox)

    assert outcome.outcome == "refused" and outcome.alarmed is None
    assert alarms(uow) == []
    assert (inbox / REJECTED / "invoice.xml").is_file()


def test_what_the_file_says_reaches_the_alarm_only_as_plain_text_of_bounded_length(
    uow: UnitOfWork, validator: EhfValidator, inbox: Path
) -> None:
    add_company(uow, BUYER, "Buyer AS")
    # A seller's name that reads backwards in Slack, and an invoice number of 5,000 characters:
    # the import refuses both, and the alarm shows neither as it is.
    drop(
        inbox,
        "invoice\u202e.xml",
        edited(
            ("The Sellercompany ASA", "The Seller\u202eSA ynapmoc"),
            ("<cbc:ID>TOSL108</cbc:ID>", f"<cbc:ID>{'9' * 5000}</cbc:ID>"),
        ),
    )

    outcome = run(uow, validator, inbox)

    assert outcome.outcome == "refused" and outcome.alarmed == Alarmed(BUYER, new=True)
    [alarm] = alarms(uow)
    shown = [alarm.message, *(str(value) for value in alarm.details.values())]
    assert not any("\u202e" in text for text in shown)
    assert alarm.details["supplier"] == "The Seller\ufffdSA ynapmoc"
    assert len(str(alarm.details["invoice_no"])) <= 60
    assert str(alarm.details["invoice_no"]).endswith("…")
    assert len(alarm.message) < 1500
