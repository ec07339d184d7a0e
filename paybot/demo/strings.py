"""The workspace page's own words (what a Slack client says around paybot's messages: the
sidebar, the person switcher, the phone's code, "Only visible to you", a modal's buttons, empty
states, the Block Kit renderer's placeholders) in the demo company's language, English or
Norwegian bokmål, as `Phrase(en, nb)` the way paybot's views say theirs.

The page gets them three ways: Python renders some into the state's HTML (`page`, `blockkit`),
the template is given `page_words(language)`, and the script reads the same dict from a JSON blob
in the page (`{name}` fields in a text are filled there).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from paybot.core.company import Language
from paybot.handlers.views.i18n import LOCALES, Phrase

# Said by the page's template and script (`page_words`).
PAGE = {
    "lang": Phrase("en", "nb"),
    "page_title": Phrase("paybot demo", "paybot-demo"),
    "demo_badge": Phrase("DEMO", "DEMO"),
    "demo_tooltip": Phrase(
        "A local demo: no Slack workspace, no bank",
        "En lokal demo: uten Slack-arbeidsområde og uten bank",
    ),
    "you_are": Phrase("You are", "Du er"),
    "code_label": Phrase(
        "Demo only — the one-time code this signer's phone shows now",
        "Bare i demoen — engangskoden signatarens telefon viser nå",
    ),
    "code_changes_in": Phrase("changes in {seconds} s", "byttes om {seconds} s"),
    "code_changing": Phrase("changing…", "byttes nå…"),
    "conversations": Phrase("Channels and apps", "Kanaler og apper"),
    "demo_time": Phrase("Demo time:", "Demotid:"),
    "message": Phrase("Message", "Melding"),
    "message_placeholder": Phrase(
        "Type a slash command: /bank search status:failed, /bank help …",
        "Skriv en skråstrekkommando: /bank search status:failed, /bank help …",
    ),
    "send": Phrase("Send", "Send"),
    "back": Phrase("Back", "Tilbake"),
    "close": Phrase("Close", "Lukk"),
    "cancel": Phrase("Cancel", "Avbryt"),
    "are_you_sure": Phrase("Are you sure?", "Er du sikker?"),
    "yes": Phrase("Yes", "Ja"),
    "did_not_work": Phrase("That did not work.", "Det gikk ikke."),
    "no_answer": Phrase("no answer", "ikke noe svar"),
    "slash_commands_only": Phrase(
        "In this demo the message box takes slash commands: try /bank help",
        "I denne demoen tar meldingsfeltet bare skråstrekkommandoer: prøv /bank help",
    ),
}

# Around the messages and views (`page`).
ONLY_VISIBLE_TO_YOU = Phrase("Only visible to you", "Bare synlig for deg")
ONE_REPLY = Phrase("{count} reply", "{count} svar")
REPLIES = Phrase("{count} replies", "{count} svar")
APP_TAG = Phrase("APP", "APP")
APP_HOME = Phrase("Home", "Hjem")
APP_MESSAGES = Phrase("Messages", "Meldinger")
OPENING_HOME = Phrase("Opening paybot’s Home tab…", "Åpner paybots Hjem-fane…")
NO_MESSAGES = Phrase("No messages yet.", "Ingen meldinger ennå.")
# The demo's clock in the sidebar (babel's date pattern): "Tue 01 Dec 09:12", "tir. 1. des. 09:12".
CLOCK = Phrase("EEE dd MMM HH:mm", "EEE d. MMM HH:mm")

# What Slack's client says where a view gives no text (`blockkit`).
BLOCKS = {
    "cancel": PAGE["cancel"],
    "optional": Phrase("(optional)", "(valgfritt)"),
    "select_item": Phrase("Select an item", "Velg et element"),
    "select_person": Phrase("Select a person", "Velg en person"),
    "more_actions": Phrase("More actions", "Flere handlinger"),
    "unknown_block": Phrase(
        "Block type “{kind}” is not shown here.", "Blokktypen «{kind}» vises ikke her."
    ),
    "unknown_element": Phrase(
        "Element “{kind}” is not shown here.", "Elementet «{kind}» vises ikke her."
    ),
}

# The demo people's titles in the person switcher (seed.PEOPLE); another title is shown as is.
TITLES = {
    "accountant": Phrase("accountant", "regnskapsfører"),
    "signer 1": Phrase("signer 1", "signatar 1"),
    "signer 2": Phrase("signer 2", "signatar 2"),
    "admin": Phrase("admin", "administrator"),
}


def page_words(language: Language) -> dict[str, str]:
    """The template's and the script's words, with their `{name}` fields left to fill."""
    return {name: phrase(language) for name, phrase in PAGE.items()}


def title(seeded: str, language: Language) -> str:
    """A demo person's title ("accountant") in the language."""
    phrase = TITLES.get(seeded)
    return seeded if phrase is None else phrase(language)


def replies(count: int, language: Language) -> str:
    """ "1 reply", "3 replies" ("3 svar")."""
    return (ONE_REPLY if count == 1 else REPLIES)(language, count=count)


def clock(now: datetime, language: Language, zone: ZoneInfo) -> str:
    """The demo's time in the sidebar, in the business time zone `zone`."""
    return format_datetime(now.astimezone(zone), CLOCK(language), locale=LOCALES[language])
