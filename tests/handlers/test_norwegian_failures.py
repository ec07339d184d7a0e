"""A failed payment's reason in a Norwegian company's views: the card (Home tab, channels), the
search line and the alert say it in Norwegian from the failure's kind and the bank's reason
codes; the bank's own text is shown as the bank wrote it, and English companies see it as
stored."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from paybot.core.bankfiles.pain002 import reason_text
from paybot.core.company import CompanyInfo, DispatchTiming, Language, PostingMode
from paybot.core.errors import CodeReplayed, InvalidOtp, NotEnrolled, OtpLocked, PaybotError
from paybot.core.payments import PaymentView
from paybot.core.states import PaymentStatus
from paybot.handlers.views import alerts
from paybot.handlers.views.cards import payment_entry, payment_line, payment_text
from paybot.handlers.views.home import CompanyHome, home_view
from paybot.handlers.views.i18n_bank import REASONS_NB, code_refusal, failure_words
from paybot.services.alerts import Alert, AlertKind
from paybot.services.netbank import NOT_PAID_REASON
from paybot.services.returns import NO_RETURN_REASON
from tests.builders import OSLO
from tests.handlers.test_cards_view import a_payment

AC01 = reason_text("AC01")  # "The account number is wrong or missing (AC01)"


def failed(kind: str, reason: str, **overrides: Any) -> PaymentView:
    return a_payment(
        status=PaymentStatus.FAILED, failure_kind=kind, failure_reason=reason, **overrides
    )


def text_of(blocks: Any) -> str:
    return json.dumps(blocks, ensure_ascii=False)


@pytest.mark.parametrize(
    ("kind", "reason", "said"),
    [
        ("rejected", AC01, "Kontonummeret er feil eller mangler (AC01)"),
        (
            "rejected",
            f"{AC01}; {reason_text('AM04')}",
            "Kontonummeret er feil eller mangler (AC01); Ikke nok penger på kontoen (AM04)",
        ),
        ("rejected", reason_text("XY99"), "Banken avviste den med kode XY99"),
        ("rejected", "The bank gave no reason", "Banken oppga ingen grunn"),
        (
            "returned",
            f"The bank returned the money: {reason_text('AC04')}",
            "Banken sendte pengene tilbake: Kontoen er avsluttet (AC04)",
        ),
        (
            "returned",
            "The bank returned the money: no reason given",
            "Banken sendte pengene tilbake: ingen grunn oppgitt",
        ),
        ("no_return", NO_RETURN_REASON, "Intet svar fra banken: sjekk nettbanken før du betaler"),
        (
            "no_return",
            "The upload of batch 7 broke off: the bank may or may not have it. Check the "
            "netbank before paying again.",
            "Opplastingen brøt av: banken kan ha fått den eller ikke.",
        ),
        ("checked_not_left", NOT_PAID_REASON, "Stoppet, så registrert som ikke betalt"),
        (
            "checked_not_left",
            "No answer from the bank; the netbank shows the money did not leave. Fix it if "
            "needed and sign again.",
            "Intet svar fra banken; nettbanken viser at pengene ikke gikk.",
        ),
        (
            "unwritable",
            "the payee's name has no letter the file keeps",
            "Den kunne ikke skrives i en fil banken tar imot: the payee's name has no letter",
        ),
    ],
)
def test_a_failed_card_says_the_reason_in_norwegian(kind: str, reason: str, said: str) -> None:
    card = payment_text(failed(kind, reason), Language.NB)
    assert f"• {said}" in card.replace("&amp;", "&")
    assert reason.split(":")[0] not in card or kind == "unwritable"


def test_every_reason_code_has_norwegian_words_on_the_card() -> None:
    for code, words in REASONS_NB.items():
        card = payment_text(failed("rejected", reason_text(code)), Language.NB)
        assert f"• {words} ({code})" in card


def test_the_search_line_says_the_reason_in_norwegian() -> None:
    line = payment_line(failed("no_return", NO_RETURN_REASON), Language.NB)
    assert "Intet svar fra banken" in line and "No answer" not in line


def test_the_home_tab_shows_a_failed_payment_in_norwegian() -> None:
    company = CompanyInfo(
        id=1,
        org_no="974760673",
        name="Acme AS",
        currency="NOK",
        dispatch_timing=DispatchTiming.DUE,
        approval_required=False,
        dual_control_threshold=None,
        posting_mode=PostingMode.PER_PAYMENT,
        language=Language.NB,
    )
    payment = failed("rejected", AC01)
    home = CompanyHome(
        company, (), None, {PaymentStatus.FAILED: 1}, {PaymentStatus.FAILED: [payment]}
    )
    view = text_of(home_view([home], datetime(2026, 12, 1, 9, tzinfo=UTC), OSLO))
    assert "Kontonummeret er feil eller mangler (AC01)" in view
    assert "The account number" not in view


def test_the_alert_and_its_card_say_it_in_norwegian_with_the_banks_own_text() -> None:
    payment = failed("rejected", reason_text("NARR"), bank_text="Konto sperret av banken")
    alert = Alert(
        key="alert:failed:42",
        kind=AlertKind.FAILED,
        company_org_no="974760673",
        channel="C0ALERTS",
        language=Language.NB,
        payment=payment,
    )
    message = alerts.message(alert, OSLO)
    assert (
        "feilet: Se bankens forklaring (NARR) (banken: Konto sperret av banken)"
        in (message["text"])
    )
    card = text_of(message["blocks"][1:])
    assert "• Se bankens forklaring (NARR)" in card and "See the bank" not in card


def test_an_english_company_sees_the_reason_as_stored() -> None:
    for kind, reason in [("rejected", AC01), ("no_return", NO_RETURN_REASON)]:
        assert f"• {reason}" in payment_text(failed(kind, reason), Language.EN)
        assert failure_words(kind, reason, Language.EN) == reason


def test_text_paybot_does_not_recognise_is_shown_as_stored() -> None:
    odd = "Something (ABCD) else"
    assert failure_words("rejected", odd, Language.NB) == odd
    assert failure_words(None, None, Language.NB) is None


def test_the_longest_norwegian_card_is_still_a_valid_entry() -> None:
    reasons = "; ".join(reason_text(code) for code in REASONS_NB)
    blocks = payment_entry(failed("rejected", reasons), None, Language.NB, zone=OSLO)
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")


def with_values(error: PaybotError, **values: int) -> PaybotError:
    for name, value in values.items():
        setattr(error, name, value)
    return error


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (InvalidOtp("x"), "Koden er feil (eller utløpt). Skriv inn koden som vises nå."),
        (
            with_values(InvalidOtp("x"), left=4),
            "Koden er feil (eller utløpt). Skriv inn koden som vises nå. 4 feil kode(r) til "
            "låser signeringen.",
        ),
        (
            with_values(InvalidOtp("x"), left=0),
            "Koden er feil (eller utløpt). Skriv inn koden som vises nå. Det var 5 feil koder på "
            "rad: signeringen er låst i 15 minutter",
        ),
        (
            with_values(OtpLocked("x"), minutes=12),
            "Signeringen er låst etter 5 feil koder på rad, i 12 minutt(er) til",
        ),
        (OtpLocked("x"), "Signeringen er låst etter 5 feil koder på rad; en administrator"),
        (CodeReplayed("x"), "Den koden er brukt allerede. Vent på neste kode."),
        (NotEnrolled("x"), "Du har ingen bekreftet engangskode-enhet"),
    ],
)
def test_a_refused_code_is_said_from_its_kind_and_values(error: PaybotError, said: str) -> None:
    text = code_refusal(error, Language.NB)
    assert text is not None and text.startswith(said)
    assert code_refusal(error, Language.EN) is None


def test_a_refusal_not_about_the_code_is_left_to_its_own_message() -> None:
    assert code_refusal(PaybotError("limit"), Language.NB) is None
