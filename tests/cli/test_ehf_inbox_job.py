"""The `read_ehf_inbox` job as the scheduler runs it, on SQLite and PostgreSQL: dropping the
Norwegian sample EHF files into PAYBOT_EHF_INBOX yields proposals for the buyer company, each
file moved to done/ or rejected/; without the UBL schemas the job says so and touches nothing."""

from __future__ import annotations

import logging
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from paybot import jobs
from paybot.config import Settings
from paybot.container import Container
from paybot.core.payments import Flag
from paybot.services import companies, proposals
from paybot.store.uow import UnitOfWork
from tests.shared_fixtures import shared_fixture

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
BUYER = "987654325"
SAMPLES = (
    "peppol_no_example1_invoice_nok_kid_iban.xml",
    "anskaffelser_forward_billing_invoice_nok_kid_iban.xml",
    "anskaffelser_forward_billing_creditnote_nok_kid_iban.xml",
    "peppol_base_example_invoice_eur.xml",  # for a foreign buyer: rejected
)


def dropped(inbox: Path) -> None:
    inbox.mkdir(exist_ok=True)
    for name in SAMPLES:
        shutil.copy(shared_fixture(f"samples/ehf/{name}"), inbox / name)
        settled = NOW.timestamp() - 60
        os.utime(inbox / name, (settled, settled))


def test_dropped_files_become_proposals_and_move_on(
    database_url: str, tmp_path: Path, uow: UnitOfWork
) -> None:
    companies.add_company(
        uow, org_no=BUYER, name="Buyer AS", account="15032080119", bank="DNB", now=NOW
    )
    inbox = tmp_path / "inbox"
    dropped(inbox)
    parts = Container(
        Settings(
            database_url=database_url,
            files_dir=tmp_path / "files",
            ehf_inbox=inbox,
            ubl_schema_dir=shared_fixture("ubl21"),
        ),
        clock=lambda: NOW,
    )

    assert jobs.read_ehf_inbox(parts) == "4 EHF file(s) read"
    assert jobs.read_ehf_inbox(parts) == "0 EHF file(s) read"

    found = proposals.list_payments(uow, company_org_no=BUYER, statuses=None)
    assert len(found) == 3
    assert {p.flag for p in found} == {Flag.RED}  # the samples' KID fails MOD10 and MOD11
    assert sorted(p.name for p in (inbox / "done").iterdir()) == sorted(SAMPLES[:3])
    assert sorted(p.name for p in (inbox / "rejected").iterdir()) == [
        SAMPLES[3],
        SAMPLES[3] + ".error.txt",
    ]
    assert (
        "no Norwegian organisation number"
        in (inbox / "rejected" / (SAMPLES[3] + ".error.txt")).read_text()
    )


def test_without_the_schemas_the_inbox_waits_and_says_why(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    inbox = tmp_path / "inbox"
    dropped(inbox)
    parts = Container(
        Settings(database_url=database_url, files_dir=tmp_path / "files", ehf_inbox=inbox),
        clock=lambda: NOW,
    )
    jobs._no_ubl_schemas.cache_clear()
    with caplog.at_level(logging.ERROR, logger="paybot.jobs"):
        assert jobs.read_ehf_inbox(parts) == "no UBL schemas"
    assert "PAYBOT_UBL_SCHEMA_DIR is not" in caplog.text
    assert sorted(p.name for p in inbox.iterdir()) == sorted(SAMPLES)


def test_a_refused_file_is_an_alarm_for_its_buyer_and_the_log_says_who_was_told(
    database_url: str, tmp_path: Path, uow: UnitOfWork, caplog: pytest.LogCaptureFixture
) -> None:
    companies.add_company(
        uow, org_no=BUYER, name="Buyer AS", account="15032080119", bank="DNB", now=NOW
    )
    inbox = tmp_path / "inbox"
    dropped(inbox)
    data = shared_fixture(f"samples/ehf/{SAMPLES[0]}").read_bytes()
    (inbox / SAMPLES[0]).write_bytes(
        data.replace(b"<cbc:IssueDate>", b"<cbc:Bogus/><cbc:IssueDate>", 1)
    )
    (inbox / "scan.xml").write_bytes(b"%PDF-1.7 not an invoice")
    settled = NOW.timestamp() - 60
    for name in (SAMPLES[0], "scan.xml"):
        os.utime(inbox / name, (settled, settled))
    parts = Container(
        Settings(
            database_url=database_url,
            files_dir=tmp_path / "files",
            ehf_inbox=inbox,
            ubl_schema_dir=shared_fixture("ubl21"),
        ),
        clock=lambda: NOW,
    )

    with caplog.at_level(logging.INFO):
        assert jobs.read_ehf_inbox(parts) == "5 EHF file(s) read"

    said = [r.getMessage() for r in caplog.records if r.name == "paybot.jobs"]
    refused = {line.split(" ")[2]: line for line in said if " refused: " in line}
    assert len(refused) == 3
    assert refused[SAMPLES[0]].endswith(f"; alarm raised for {BUYER}")
    for log_only in (SAMPLES[3], "scan.xml"):
        assert (
            "no alerts channel is told: only this log says that it is not paid" in refused[log_only]
        )
    assert f"ALARM ehf_refused: The EHF file {SAMPLES[0]}" in caplog.text
    with uow:
        [alarm] = uow.alarms.latest()
    assert alarm.kind.value == "ehf_refused" and alarm.company_org_no == BUYER
