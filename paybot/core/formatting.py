"""A payment's reference as people read it, in English or Norwegian: "KID 1234567897",
"Melding Faktura 12", "Invoice no. F-1" (the command line and Slack alike).

Amounts have their one form in `paybot.core.money.format_money`.
"""

from __future__ import annotations

from paybot.core.company import Language
from paybot.core.payments import ReferenceType

# (English, Norwegian) name of each reference type.
REFERENCE_TYPES = {
    ReferenceType.KID: ("KID", "KID"),
    ReferenceType.MESSAGE: ("Message", "Melding"),
    ReferenceType.INVOICE: ("Invoice no.", "Fakturanr."),
    ReferenceType.EMPTY: ("None", "Ingen"),
}


def reference_type_name(kind: ReferenceType, language: Language) -> str:
    """ "KID", "Message" or "Invoice no." ("Melding", "Fakturanr." in Norwegian)."""
    english, norwegian = REFERENCE_TYPES[kind]
    return norwegian if language is Language.NB else english


def reference_text(kind: ReferenceType, reference: str | None, language: Language) -> str | None:
    """The reference after its type's name ("KID 1234567897"); None when there is none."""
    if not reference:
        return None
    if kind is ReferenceType.EMPTY:
        return reference
    return f"{reference_type_name(kind, language)} {reference}"
