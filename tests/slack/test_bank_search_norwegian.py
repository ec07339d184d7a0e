"""`/bank search` with Norwegian field names and statuses, and a term whose word is no field,
through the real HTTP endpoint, signed as Slack signs (both databases)."""

from __future__ import annotations

import json

import pytest

from paybot.core.company import Language
from paybot.services import companies
from paybot.store.uow import UnitOfWork
from tests.builders import NOW, ORG_NO, VIEWER
from tests.slack.conftest import SlackEndpoint
from tests.slack.test_bank_command import company, ephemeral

__all__ = ["company"]  # the fixture: a company with two proposals, NOK 1,250 and NOK 3,750


@pytest.fixture
def norwegian(uow: UnitOfWork) -> None:
    companies.update_settings(uow, org_no=ORG_NO, language=Language.NB, now=NOW)


@pytest.mark.usefixtures("norwegian")
def test_a_search_by_belop_finds_what_amount_finds(endpoint: SlackEndpoint) -> None:
    data = ephemeral(endpoint.command(VIEWER.slack_user_id, "search beløp:>2000"))
    assert data["text"] == "1 betaling(er) passer `beløp:&gt;2000`"
    text = json.dumps(data["blocks"], ensure_ascii=False)
    assert "NOK 3 750,00" in text and "1 250,00" not in text


@pytest.mark.usefixtures("norwegian")
def test_norwegian_fields_and_statuses_combine(endpoint: SlackEndpoint) -> None:
    query = "search mottaker:leverandør status:betalingsforslag forfall:..31.12.2026"
    data = ephemeral(endpoint.command(VIEWER.slack_user_id, query))
    assert data["text"].startswith("2 betaling(er) passer")


@pytest.mark.parametrize("language", list(Language))
def test_a_term_whose_word_is_no_field_is_refused_naming_the_fields(
    endpoint: SlackEndpoint, uow: UnitOfWork, language: Language
) -> None:
    companies.update_settings(uow, org_no=ORG_NO, language=language, now=NOW)
    data = ephemeral(endpoint.command(VIEWER.slack_user_id, "search kid:0000001230"))
    assert "betaling(er) passer" not in data["text"] and "payment(s) match" not in data["text"]
    assert "kid" in data["text"]
    for field in ("to", "company", "amount", "due", "status", "currency"):
        assert field in data["text"]


def test_a_quoted_word_with_a_colon_is_searched_as_text(endpoint: SlackEndpoint) -> None:
    data = ephemeral(endpoint.command(VIEWER.slack_user_id, 'search "kid:0000001230"'))
    assert data["text"] == '0 payment(s) match `"kid:0000001230"`'


@pytest.mark.usefixtures("norwegian")
def test_a_norwegian_user_is_told_in_norwegian_which_fields_there_are(
    endpoint: SlackEndpoint,
) -> None:
    data = ephemeral(endpoint.command(VIEWER.slack_user_id, "search pris:>2000"))
    assert data["text"].startswith("«pris» er ikke et søkefelt. Søkefeltene er ")
    for field in ("mottaker", "beløp", "forfall", "status", "valuta"):
        assert field in data["text"]
