"""What the modals of the payment actions share: the loading and notice modals, the confirm
step of Delete, the payee's details as shown, and the parts of Block Kit within Slack's limits.
Pure builders; the Sign, Fix and Details modals have modules of their own."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from babel import Locale

from paybot.core import formatting
from paybot.core.company import Language
from paybot.core.money import format_money
from paybot.core.payments import PayeeDetails, PaymentView
from paybot.core.purpose_codes import purpose_code
from paybot.handlers.ids import View
from paybot.handlers.views.blocks import Block, escape, section
from paybot.handlers.views.cards import payment_summary
from paybot.handlers.views.i18n import (
    ADDRESS,
    CHARGE_BEARER_NAMES,
    LOCALES,
    PAYEE_LABELS,
    Phrase,
)

TITLE_LIMIT = 24
SECTION_TEXT = 3000
# Lines of payments a modal lists before "and N more" (a modal holds 100 blocks, 250 kB).
LISTED = 60
OPTION_TEXT = 75  # characters of a select option's text
DELETE_TITLE = Phrase("Delete payment", "Slett betaling")
DELETE_BUTTON = Phrase("Delete", "Slett")
CLOSE = Phrase("Close", "Lukk")
CANCEL = Phrase("Cancel", "Avbryt")
AND_MORE = Phrase("…and {count} more", "…og {count} til")
DELETE_TEXT = Phrase(
    "Delete payment #{id}?\n{summary}\nIt leaves the bank module. You can add it back later.",
    "Slette betaling #{id}?\n{summary}\nDen fjernes fra Bank. Du kan legge den til igjen senere.",
)
REFERENCE_TYPE_LABEL = Phrase("Reference type", "Referansetype")
REFERENCE_LABEL = Phrase("Reference", "Referanse")
# "KID", "Message", "Invoice no." (the command line names them the same).
REFERENCE_TYPES = {kind: Phrase(*names) for kind, names in formatting.REFERENCE_TYPES.items()}
YES = Phrase("Yes", "Ja")
NOTHING = "–"


def loading() -> dict[str, Any]:
    """The modal opened at once with the click's trigger id (it lives 3 s), before any database
    work; the company's language is not known yet, so it speaks both."""
    return {
        "type": "modal",
        "title": short("paybot"),
        "close": short("Close / Lukk"),
        "blocks": [section(":hourglass_flowing_sand: Loading… / Henter…")],
    }


def notice(title: str, text: str, language: Language = Language.EN) -> dict[str, Any]:
    """A modal that only says something (a refusal, a result), with a Close button."""
    return {
        "type": "modal",
        "title": short(title),
        "close": short(CLOSE(language)),
        "blocks": [section(text)],
    }


def payee_values(payment: PaymentView, language: Language) -> list[tuple[str, str]]:
    """The payee's details a payment abroad has, as (label, mrkdwn value): the address, the
    BIC, who bears the charges, the purpose, and whether it is urgent. Nothing when none."""
    details = payment.payee_details
    shown: list[tuple[str, str]] = []
    street = " ".join(filter(None, [details.street, details.building_no]))
    town = " ".join(filter(None, [details.post_code, details.town]))
    country = country_name(details.country, language) if details.country else ""
    address = [part for part in (street, town, country) if part]
    if address:
        shown.append((ADDRESS(language), escape("\n".join(address))))
    if details.bic:
        shown.append((PAYEE_LABELS["bic"](language), escape(details.bic)))
    if details.charge_bearer:
        bearer = CHARGE_BEARER_NAMES.get(details.charge_bearer)
        shown.append(
            (
                PAYEE_LABELS["charge_bearer"](language),
                bearer(language) if bearer else escape(details.charge_bearer),
            )
        )
    purpose = purpose_text(details, language)
    if purpose:
        shown.append((PAYEE_LABELS["purpose_text"](language), purpose))
    if payment.urgent:
        shown.append((PAYEE_LABELS["urgent"](language), YES(language)))
    return shown


def purpose_text(details: PayeeDetails, language: Language) -> str:
    """ "14 Purchase/sale of goods · Machine parts" (mrkdwn): the purpose code with its name in
    Norges Bank's list, and the text; empty when neither is set."""
    code = details.purpose_code
    entry = purpose_code(code)
    named = f"{code} {entry.name(language.value)}" if entry else code
    return escape(" · ".join(filter(None, [named, details.purpose_text])))


def country_name(code: str, language: Language) -> str:
    """ "Germany (DE)" in English, "Tyskland (DE)" in Norwegian; the code alone if unknown."""
    name = Locale.parse(LOCALES[language]).territories.get(code)
    return f"{name} ({code})" if name else code


def delete_modal(payment: PaymentView, language: Language, *, metadata: str) -> dict[str, Any]:
    """The confirm step of Delete from the overflow menu (its options carry no confirm)."""
    text = DELETE_TEXT(language, id=payment.id, summary=payment_summary(payment, language))
    return {
        "type": "modal",
        "callback_id": View.DELETE.value,
        "title": short(DELETE_TITLE(language)),
        "submit": short(DELETE_BUTTON(language)),
        "close": short(CANCEL(language)),
        "private_metadata": metadata,
        "blocks": [section(text)],
    }


def totals_text(totals: dict[str, Decimal], language: Language) -> str:
    """ "NOK 3,750.00 + EUR 200.00"."""
    return " + ".join(
        format_money(amount, currency, language) for currency, amount in sorted(totals.items())
    )


def listed(lines: list[str], language: Language) -> list[str]:
    if len(lines) <= LISTED:
        return lines
    return [*lines[:LISTED], AND_MORE(language, count=len(lines) - LISTED)]


def sections(lines: Iterable[str]) -> list[Block]:
    """Lines packed into as few sections as their 3000 characters allow."""
    blocks: list[Block] = []
    current = ""
    for line in lines:
        line = line[: SECTION_TEXT - 1]
        if current and len(current) + 1 + len(line) > SECTION_TEXT:
            blocks.append(section(current))
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        blocks.append(section(current))
    return blocks


def input_block(block: str, label: str, initial: str | None, *, max_length: int) -> Block:
    """A plain text input whose action id is its block id (`BlockId` or a payee field)."""
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": str(block),
        "max_length": max_length,
    }
    if initial:
        element["initial_value"] = initial[:max_length]
    return {"type": "input", "block_id": str(block), "label": plain(label), "element": element}


def select_option(text: str, value: str) -> dict[str, Any]:
    """A select option; its text cut to Slack's 75 characters, its value to 150."""
    if len(text) > OPTION_TEXT:
        text = text[: OPTION_TEXT - 1] + "…"
    return {"text": plain(text), "value": value[:150]}


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def short(text: str) -> dict[str, Any]:
    """A modal's title, submit or close text: 24 characters at most."""
    return plain(text if len(text) <= TITLE_LIMIT else text[: TITLE_LIMIT - 1] + "…")
