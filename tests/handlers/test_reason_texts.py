"""Every reason a payment is flagged for reads in English and Norwegian."""

from __future__ import annotations

from paybot.core.company import Language
from paybot.core.payments import Reason
from paybot.handlers.views.i18n import REASONS


def test_every_reason_has_its_text_in_both_languages_the_english_as_core_says() -> None:
    assert set(REASONS) == set(Reason)
    for reason in Reason:
        assert REASONS[reason](Language.EN) == reason.description
        assert REASONS[reason](Language.NB)


def test_a_transfer_to_an_unsupported_tax_withholding_account_says_so_in_norwegian() -> None:
    text = REASONS[Reason.TAX_ACCOUNT_UNSUPPORTED](Language.NB)
    assert text == (
        "Mottakerkontoen er selskapets skattetrekkskonto, og banken støtter ikke skattetrekkskonto"
    )
