"""When something happened, put in a sentence: a card's last step says the time ("at 18:46",
"kl. 18:46"), the Details modal's history the date and time ("on 3 Dec 2026 at 18:46",
"3. des. 2026 kl. 18:46"), never "kl." or "at" before a date."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from paybot.core.company import Language
from paybot.core.payments import LastStep
from paybot.core.signing import SecondSigner, WhySecond
from paybot.handlers.views.cards import STEPS, step_text
from paybot.handlers.views.details_modal import history_lines
from paybot.handlers.views.i18n import at_clock, at_moment, moment
from tests.builders import OSLO

AT = datetime(2026, 12, 3, 17, 46, tzinfo=UTC)  # 18:46 in Oslo
ACTIONS = [*STEPS, "payment.propose", "import.ehf"]


def history(action: str, language: Language) -> str:
    [line] = history_lines([{"action": action, "at": AT, "actor": "Kari (U1)"}], language, OSLO)
    return line


@pytest.mark.parametrize(
    ("language", "bare", "clock", "dated"),
    [
        (Language.EN, "3 Dec 2026 18:46", "at 18:46", "on 3 Dec 2026 at 18:46"),
        (Language.NB, "3. des. 2026 kl. 18:46", "kl. 18:46", "3. des. 2026 kl. 18:46"),
    ],
)
def test_a_moment_is_said_as_the_language_writes_it(
    language: Language, bare: str, clock: str, dated: str
) -> None:
    assert moment(AT, language, OSLO) == bare
    assert at_clock(AT, language, OSLO) == clock
    assert at_moment(AT, language, OSLO) == dated


@pytest.mark.parametrize(
    ("language", "proposed", "approved"),
    [
        (
            Language.EN,
            "• Proposed from the ledger on 3 Dec 2026 at 18:46",
            "• Approved by Kari on 3 Dec 2026 at 18:46",
        ),
        (
            Language.NB,
            "• Foreslått fra reskontro 3. des. 2026 kl. 18:46",
            "• Godkjent av Kari 3. des. 2026 kl. 18:46",
        ),
    ],
)
def test_the_history_says_the_date_then_the_time(
    language: Language, proposed: str, approved: str
) -> None:
    assert history("payment.propose", language) == proposed
    assert history("payment.approve", language) == approved


@pytest.mark.parametrize("action", ACTIONS)
def test_no_history_line_puts_kl_or_at_before_a_date(action: str) -> None:
    english, norwegian = history(action, Language.EN), history(action, Language.NB)
    assert "on 3 Dec 2026 at 18:46" in english and "at 3 Dec" not in english
    assert "3. des. 2026 kl. 18:46" in norwegian and "kl. 3." not in norwegian
    assert "  " not in english + norwegian


@pytest.mark.parametrize("action", list(STEPS))
def test_a_cards_last_step_says_the_time_only(action: str) -> None:
    step = LastStep(action, "U1", "Kari", AT)
    english = step_text(step, Language.EN, OSLO)
    norwegian = step_text(step, Language.NB, OSLO)
    assert english is not None and "at 18:46" in english and "Dec" not in english
    assert norwegian is not None and "kl. 18:46" in norwegian and "des." not in norwegian
    assert "  " not in english + norwegian


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (Language.EN, "Approved by <@U1> at 18:46"),
        (Language.NB, "Godkjent av <@U1> kl. 18:46"),
    ],
)
def test_a_cards_last_step_reads_as_before(language: Language, said: str) -> None:
    assert step_text(LastStep("payment.approve", "U1", "Kari", AT), language, OSLO) == said


def test_a_first_signature_waiting_says_when_and_why() -> None:
    why = WhySecond((SecondSigner.OWN_CHANGE,), None, "NOK")
    step = LastStep("payment.first_signature", "U1", "Kari", AT, why=why)
    assert step_text(step, Language.NB, OSLO) == (
        "Signert av <@U1> kl. 18:46: 1 av 2 signaturer — det trengs en signatar til fordi den "
        "første signataren endret kontonummeret eller referansen."
    )
    assert step_text(step, Language.EN, OSLO) == (
        "Signed by <@U1> at 18:46: 1 of 2 signatures — a second signer is needed because the "
        "first signer changed the account or reference."
    )
