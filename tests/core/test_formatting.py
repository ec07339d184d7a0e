"""A payment's reference reads as words, never as the enum's value, in English and Norwegian."""

from __future__ import annotations

import pytest

from paybot.core.company import Language
from paybot.core.formatting import reference_text, reference_type_name
from paybot.core.payments import ReferenceType


@pytest.mark.parametrize(
    ("kind", "english", "norwegian"),
    [
        (ReferenceType.KID, "KID", "KID"),
        (ReferenceType.MESSAGE, "Message", "Melding"),
        (ReferenceType.INVOICE, "Invoice no.", "Fakturanr."),
        (ReferenceType.EMPTY, "None", "Ingen"),
    ],
)
def test_every_reference_type_has_a_name_in_both_languages(
    kind: ReferenceType, english: str, norwegian: str
) -> None:
    assert reference_type_name(kind, Language.EN) == english
    assert reference_type_name(kind, Language.NB) == norwegian


def test_a_reference_is_shown_after_its_types_name() -> None:
    assert reference_text(ReferenceType.KID, "1234567897", Language.EN) == "KID 1234567897"
    assert reference_text(ReferenceType.MESSAGE, "Faktura 2", Language.NB) == "Melding Faktura 2"
    assert reference_text(ReferenceType.INVOICE, "F-1", Language.EN) == "Invoice no. F-1"


def test_no_reference_is_none_and_a_reference_without_a_type_is_shown_alone() -> None:
    assert reference_text(ReferenceType.KID, None, Language.EN) is None
    assert reference_text(ReferenceType.MESSAGE, "", Language.NB) is None
    assert reference_text(ReferenceType.EMPTY, "Faktura 2", Language.EN) == "Faktura 2"
