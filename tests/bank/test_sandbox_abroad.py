"""The sandbox bank answers payments abroad as a bank would: it reads the payee's country from the
pain.001 and checks the account as that country has it (a US account number is valid in the US,
and no Norwegian account), so paybot's own files for a KID, a SEPA and a US payment are booked."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from paybot.bank.sandbox import SandboxBank, SandboxRules, read_order
from paybot.core.bankfiles.pain002 import read_pain002

GOLDEN = Path(__file__).parents[1] / "core" / "golden" / "pain001"
ONE_RUN = ["one_run.pain.001.001.03.xml", "one_run.pain.001.001.09.xml"]


def answered(tmp_path: Path, data: bytes) -> dict[str, tuple[str | None, tuple[str, ...]]]:
    """The sandbox bank's answer to `data`, by end-to-end id: (status, reason codes)."""
    bank = SandboxBank(tmp_path / "out", tmp_path / "in", SandboxRules())
    for folder in ("out", "in"):
        (tmp_path / folder).mkdir(exist_ok=True)
    (tmp_path / "order.xml").write_bytes(data)
    bank.upload("order.xml", tmp_path / "order.xml")
    (report,) = [name for name in bank.incoming() if name.endswith("-pain002.xml")]
    return {
        r.original_end_to_end_id or "": (r.status, r.reason_codes)
        for r in read_pain002(report, bank.fetch(report)).reports
        if r.original_end_to_end_id
    }


@pytest.mark.parametrize("name", ONE_RUN)
def test_paybots_kid_sepa_and_us_payments_are_booked(tmp_path: Path, name: str) -> None:
    data = (GOLDEN / name).read_bytes()
    countries = {p.end_to_end_id: p.creditor_country for p in read_order(data)}
    assert countries == {"E2E-KID": None, "E2E-SEPA": "DE", "E2E-USD": "US"}

    answers = answered(tmp_path, data)

    assert answers == {e2e: ("ACSP", ()) for e2e in ("E2E-KID", "E2E-SEPA", "E2E-USD")}


def test_a_us_account_number_without_the_payees_country_is_refused(tmp_path: Path) -> None:
    """Without Cdtr/PstlAdr/Ctry the account is taken as Norwegian: 123456789 is not one."""
    document = etree.fromstring((GOLDEN / ONE_RUN[0]).read_bytes())
    for country in document.xpath(
        "//*[local-name()='CdtTrfTxInf']/*[local-name()='Cdtr']"
        "/*[local-name()='PstlAdr']/*[local-name()='Ctry']"
    ):
        country.getparent().remove(country)
    data = etree.tostring(document, xml_declaration=True, encoding="UTF-8")

    answers = answered(tmp_path, data)

    assert answers["E2E-USD"] == ("RJCT", ("AC01",))
    assert answers["E2E-KID"] == answers["E2E-SEPA"] == ("ACSP", ())  # an IBAN says its country
