"""A refused EHF file reaches the buyer company's alerts channel, on both databases: the inbox
refuses it and raises the alarm (no payment to show), `send_alerts` posts it once, in the
company's language, to the local Slack Web API."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from paybot.app import web_client
from paybot.core.company import Language
from paybot.core.ehf import EhfValidator
from paybot.handlers.alerting import send_alerts
from paybot.handlers.deps import Deps
from paybot.handlers.proposal_posts import Pacer
from paybot.sandbox.slack_http import FakeSlackServer
from paybot.services import companies
from paybot.services.ehf_inbox import read_inbox
from paybot.store.uow import UnitOfWork
from tests.builders import NOW
from tests.shared_fixtures import shared_fixture

ALERTS = "C0ALERTS"
BUYER = "987654325"  # the buyer of the Norwegian samples
NORWEGIAN = "peppol_no_example1_invoice_nok_kid_iban.xml"


@pytest.fixture
def slack() -> Iterator[FakeSlackServer]:
    with FakeSlackServer() as fake:
        yield fake


def refused_in_inbox(uow: UnitOfWork, tmp_path: Path, language: Language) -> None:
    companies.add_company(
        uow, org_no=BUYER, name="Buyer AS", account="15032080119", bank="DNB", now=NOW
    )
    companies.update_settings(uow, org_no=BUYER, alerts_channel=ALERTS, language=language, now=NOW)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    data = shared_fixture(f"samples/ehf/{NORWEGIAN}").read_bytes()
    broken = data.replace(b"<cbc:IssueDate>", b"<cbc:Bogus>x</cbc:Bogus><cbc:IssueDate>", 1)
    (inbox / "tosl108 <&>.xml").write_bytes(broken)
    settled = NOW.timestamp() - 60
    os.utime(inbox / "tosl108 <&>.xml", (settled, settled))
    [outcome] = read_inbox(uow, EhfValidator(shared_fixture("ubl21")), inbox, now=NOW)
    assert outcome.outcome == "refused" and outcome.alarmed is not None


def posted(slack: FakeSlackServer, deps: Deps) -> list[str]:
    client = web_client(slack.slack.token, slack.url)
    pacer = Pacer(monotonic=lambda: 0.0, sleep=lambda _: None)
    send_alerts(client, deps, now=NOW, pacer=pacer)
    return [
        str(body["text"])
        for (channel, _), body in slack.slack.messages.items()
        if channel == ALERTS
    ]


def test_a_refused_ehf_file_is_posted_once_in_the_buyers_alerts_channel(
    uow: UnitOfWork, deps: Deps, slack: FakeSlackServer, tmp_path: Path
) -> None:
    refused_in_inbox(uow, tmp_path, Language.EN)

    [text] = posted(slack, deps)
    assert posted(slack, deps) == [text]  # once

    assert text.startswith("🧾 The EHF file tosl108 &lt;&amp;&gt;.xml (supplier: The ")
    for said in (
        "The Sellercompany ASA",
        "invoice: TOSL108",
        "not valid UBL 2.1",
        "rejected/",
        "nothing is paid for it until a corrected file is dropped",
    ):
        assert said in text
    [call] = slack.slack.calls_to("chat.postMessage")
    assert call["channel"] == ALERTS
    assert [block["type"] for block in call["blocks"]] == ["section"]  # no payment card


def test_a_norwegian_company_reads_it_in_norwegian(
    uow: UnitOfWork, deps: Deps, slack: FakeSlackServer, tmp_path: Path
) -> None:
    refused_in_inbox(uow, tmp_path, Language.NB)

    [text] = posted(slack, deps)

    assert text.startswith("🧾 EHF-filen tosl108 &lt;&amp;&gt;.xml (leverandør: The ")
    assert "faktura: TOSL108" in text and "ble avvist" in text and "rejected/" in text
