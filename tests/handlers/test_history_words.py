"""A payment's history in the Details modal and its card's last step, in words in both
languages: the details an import filled in from the supplier as well as the steps people take."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from paybot.core.company import Language
from paybot.core.payments import LastStep
from paybot.handlers.views.cards import step_text
from paybot.handlers.views.details_modal import history_lines
from tests.builders import OSLO

AT = datetime(2026, 11, 23, 9, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (Language.EN, "Payee's details filled in from the supplier "),
        (Language.NB, "Mottakerens opplysninger fylt inn fra leverandøren "),
    ],
)
def test_details_filled_in_from_the_supplier_are_said_in_words(
    language: Language, said: str
) -> None:
    event = {"action": "payment.fill_details", "at": AT, "actor": "paybot"}

    [line] = history_lines([event], language, OSLO)
    last = step_text(LastStep("payment.fill_details", None, "paybot", AT), language, OSLO)

    assert said in line and "payment.fill_details" not in line
    assert last is not None and last.startswith(said)
