"""What the ledger writers share: amounts as text, the texts a file can carry, party ids."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from decimal import Decimal

from paybot.core.errors import ValidationFailed
from paybot.core.vouchers import CENT, Party

__all__ = ["PARTY_KINDS", "amount_text", "cents_text", "check_text", "party_id"]

PARTY_KINDS = ("supplier", "customer")

# What no ledger file can carry: the C0 control characters other than tab, line feed and carriage
# return (XML 1.0 forbids them, and a terminal or spreadsheet may act on an escape sequence),
# half surrogates (not characters: UTF-8 cannot encode them) and the non-characters U+FFFE and
# U+FFFF (forbidden in XML).
_UNCARRIABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Control characters have no Unicode name; these are the ones a person may recognise.
_NAMES = {0x00: "null", 0x07: "bell", 0x08: "backspace", 0x1B: "escape"}


def cents_text(amount: Decimal) -> str:
    """An amount in whole cents as "1234.50" (no thousands separator, never exponent form).

    The voucher fold has refused amounts with fractions of a cent, so nothing is rounded here.
    """
    return f"{amount:.2f}"


def amount_text(amount: Decimal) -> str:
    """An amount as "1234.50": two decimals, or more where it has more (a BHD 3-decimal amount
    is written as it is, not rounded)."""
    if amount.quantize(CENT) == amount:
        return f"{amount:.2f}"
    return f"{amount.normalize():f}"


def check_text(where: str, field: str, text: str) -> str:
    """`text`, or ValidationFailed naming where it is ("voucher 12"), the field and the first
    character that no ledger file can carry (see `_UNCARRIABLE`)."""
    if text.isprintable():  # one C loop clears nearly every text
        return text
    found = _UNCARRIABLE.search(text)
    if found is None:
        return text
    code = ord(found.group())
    if 0xD800 <= code <= 0xDFFF:
        name = "half of a surrogate pair"
    else:
        name = _NAMES.get(code) or unicodedata.name(found.group(), "").lower()
    what = f"character U+{code:04X} at position {found.start() + 1}"
    if name:
        what += f" ({name})"
    raise ValidationFailed({where: f"{field}: {what}, which a ledger file cannot carry"})


def party_id(party: Party) -> str:
    """The id a supplier or customer has in the ledger files: the ledger's own key where it has
    one, else its organisation number, else one made from its name ("N-" and 12 hex digits of
    its SHA-256), so the same party gets the same id in every export."""
    if party.key:
        return party.key
    if party.org_no:
        return "".join(party.org_no.split())
    digest = hashlib.sha256(" ".join(party.name.split()).casefold().encode("utf-8"))
    return "N-" + digest.hexdigest()[:12]
