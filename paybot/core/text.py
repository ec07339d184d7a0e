"""Texts people and files hand to paybot: what may be in them, and how long they may be.

Names, invoice numbers and references end up in Slack messages, terminals, payment files and the
bank's netbank. A character that is invisible or changes how the text around it is shown has no
business there, and a hostile file could use one to make a payee read as someone else:
- control characters (Unicode category Cc): ANSI escape sequences that recolour or rewrite a
  terminal, NUL (PostgreSQL refuses it), line breaks and tabs (a tab is refused too: no column
  has a use for one, it shows as a gap of any width, and payment files do not allow it);
- format characters (Cf): the bidirectional overrides and isolates (U+202A-U+202E,
  U+2066-U+2069) and marks (U+200E, U+200F, U+061C) that reorder what is shown, and the
  invisible rest (zero-width space U+200B, soft hyphen, word joiner, byte order mark, tags);
- line and paragraph separators (Zl, Zp), which break a line like a newline does;
- lone surrogates (Cs), which are not characters at all (JSON's "\\ud800" makes one) and cannot
  be stored as UTF-8.
Everything else passes: letters of any script with their accents (æøå, é, ü), punctuation such as
– and ’, symbols, no-break spaces.
"""

from __future__ import annotations

import unicodedata

__all__ = ["length_problem", "text_problem", "too_long"]

# Categories refused anywhere in a text (see the module docstring for why).
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})

# Control characters have no Unicode name; these are the ones a person may recognise.
_CONTROL_NAMES = {
    0x09: "tab",
    0x0A: "line break",
    0x0D: "carriage return",
    0x1B: "escape, as in terminal colour codes",
}


def text_problem(text: str, *, offset: int = 0) -> str | None:
    """None if `text` holds no refused character; otherwise which one and where.

    Args:
        text: The text to check.
        offset: Characters before `text` in what the person wrote (trimmed spaces), so the
            position is counted from the start of what they see.

    Returns:
        For example "control character U+202E at position 5 (right-to-left override)": the
        first refused character, with its position counted from 1.
    """
    # str.isprintable is False for every refused category (and for spaces other than ' ',
    # private use and unassigned characters, which pass): one fast C loop for nearly every text.
    if text.isprintable():
        return None
    for index, char in enumerate(text):
        category = unicodedata.category(char)
        if category in REFUSED_CATEGORIES:
            return _describe(char, category, offset + index + 1)
    return None


def length_problem(text: str, limit: int) -> str | None:
    """None if `text` fits a column of `limit` characters; otherwise "at most N characters (got M)".

    Characters are code points, which is what PostgreSQL's varchar(N) counts.
    """
    return None if len(text) <= limit else too_long(text, limit)


def too_long(text: str, limit: int) -> str:
    """What is wrong with `text`, which is longer than `limit` characters."""
    return f"at most {limit} characters (got {len(text)})"


def _describe(char: str, category: str, position: int) -> str:
    code = ord(char)
    if category == "Cs":
        return f"invalid character U+{code:04X} at position {position} (half of a surrogate pair)"
    name = _CONTROL_NAMES.get(code) or unicodedata.name(char, "").lower()
    where = f"control character U+{code:04X} at position {position}"
    return f"{where} ({name})" if name else where
