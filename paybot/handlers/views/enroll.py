"""`/bank enroll`: the modal that walks a person through setting up their authenticator app,
the direct message with the QR code, and the QR code itself as a PNG."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any

import qrcode
from qrcode.image.pure import PyPNGImage

from paybot.core.company import CompanyInfo, Language
from paybot.handlers.ids import Block, View
from paybot.handlers.views.bank import CLOSE, NO_ROLE, notice_modal
from paybot.handlers.views.blocks import context, escape, section
from paybot.handlers.views.i18n import Phrase

FILENAME = "paybot-code.png"

TITLE = Phrase("Authenticator", "Autentisering")
PREPARING = (
    "Preparing your code… (the QR code comes in a direct message from paybot)\n"
    "_Lager koden din… (QR-koden kommer i en direktemelding fra paybot)_"
)
SCAN = Phrase(
    "I have sent you a QR code in a direct message from paybot. Scan it with an authenticator "
    "app (Google Authenticator, Microsoft Authenticator, 1Password…), then type the code the "
    "app shows below.",
    "Jeg har sendt deg en QR-kode i en direktemelding fra paybot. Skann den med en "
    "autentiseringsapp (Google Authenticator, Microsoft Authenticator, 1Password…), og skriv "
    "inn koden appen viser nedenfor.",
)
CANT_SCAN = Phrase(
    "Reading Slack on the phone that should scan it? Add this setup key in the app instead: "
    "`{key}`",
    "Leser du Slack på telefonen som skal skanne? Legg inn denne nøkkelen i appen i stedet: "
    "`{key}`",
)
CODE_LABEL = Phrase("The code your app shows now", "Koden appen viser nå")
CONFIRM = Phrase("Confirm", "Bekreft")
READY = Phrase(
    "Your authenticator is ready; you can sign now.",
    "Autentiseringsappen er klar; nå kan du signere.",
)
DM_TITLE = Phrase("paybot one-time code", "paybot engangskode")
DM_TEXT = Phrase(
    "Scan this QR code with your authenticator app, then type the code it shows in the paybot "
    "window. Keep it to yourself: it makes your signing codes. Delete this message once the "
    "app shows codes.",
    "Skann denne QR-koden med autentiseringsappen, og skriv koden den viser i paybot-vinduet. "
    "Hold den for deg selv: den lager signeringskodene dine. Slett meldingen når appen viser "
    "koder.",
)
WHICH = Phrase(
    "You have a role in several companies; name the one to enroll for: {choices}",
    "Du har en rolle i flere selskaper; si hvilket du vil registrere deg for: {choices}",
)
NOT_YOURS = Phrase(
    "You have no role in a company with organisation number {org_no}. Yours: {choices}",
    "Du har ingen rolle i et selskap med organisasjonsnummer {org_no}. Dine: {choices}",
)
ACTIVE = Phrase(
    "Your authenticator is set up already; you can sign. For a new phone, an admin resets the "
    "old one first (`paybot otp reset`), then you run `/bank enroll` again.",
    "Autentiseringsappen din er allerede satt opp; du kan signere. For en ny telefon "
    "tilbakestiller en administrator den gamle først (`paybot otp reset`), så kjører du "
    "`/bank enroll` igjen.",
)
NOT_SENT = Phrase(
    "I could not send you the QR code ({error}). Try `/bank enroll` again in a minute, or ask "
    "an admin.",
    "Jeg fikk ikke sendt deg QR-koden ({error}). Prøv `/bank enroll` igjen om et minutt, eller "
    "spør en administrator.",
)


def preparing() -> dict[str, Any]:
    """Opened at once, before anything is read: in both languages, as none is known yet."""
    return {
        "type": "modal",
        "callback_id": View.ENROLL.value,
        "title": {"type": "plain_text", "text": TITLE(Language.EN)},
        "close": {"type": "plain_text", "text": CLOSE(Language.EN)},
        "blocks": [section(PREPARING)],
    }


def notice(text: str, language: Language) -> dict[str, Any]:
    return notice_modal(View.ENROLL, TITLE(language), text, language)


def no_role(language: Language) -> dict[str, Any]:
    return notice(NO_ROLE(language), language)


def choose(
    companies: Sequence[CompanyInfo], language: Language, org_no: str = ""
) -> dict[str, Any]:
    """Which company: the person has several, or named one they have no role in."""
    choices = ", ".join(f"`/bank enroll {c.org_no}` ({escape(c.name)})" for c in companies)
    if org_no:
        return notice(NOT_YOURS(language, org_no=escape(org_no), choices=choices), language)
    return notice(WHICH(language, choices=choices), language)


def ask_code(language: Language, *, org_no: str, setup_key: str) -> dict[str, Any]:
    """The QR code is in the DM; the first code confirms the device."""
    return {
        "type": "modal",
        "callback_id": View.ENROLL.value,
        "private_metadata": json.dumps({"org_no": org_no, "language": language.value}),
        "title": {"type": "plain_text", "text": TITLE(language)},
        "submit": {"type": "plain_text", "text": CONFIRM(language)},
        "close": {"type": "plain_text", "text": CLOSE(language)},
        "blocks": [
            section(SCAN(language)),
            context(CANT_SCAN(language, key=setup_key)),
            {
                "type": "input",
                "block_id": Block.CODE.value,
                "label": {"type": "plain_text", "text": CODE_LABEL(language)},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "code",
                    "placeholder": {"type": "plain_text", "text": "123456"},
                    "max_length": 10,
                },
            },
        ],
    }


def ready(language: Language) -> dict[str, Any]:
    return notice(READY(language), language)


def language_in(private_metadata: str) -> Language:
    try:
        return Language(json.loads(private_metadata or "{}").get("language", "en"))
    except (ValueError, AttributeError):
        return Language.EN


def qr_png(text: str, *, scale: int = 8, border: int = 4) -> bytes:
    """`text` as a QR code in a black-on-white PNG."""
    image = qrcode.make(
        text,
        image_factory=PyPNGImage,
        box_size=scale,
        border=border,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
    )
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()
