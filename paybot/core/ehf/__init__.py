"""EHF (PEPPOL BIS Billing 3.0, UBL 2.1) supplier invoices and credit notes: reading, validation.

`read_ehf` reads what paying needs; `EhfValidator` checks the UBL 2.1 XSD and the EN 16931 /
PEPPOL rules that the document's CustomizationID calls for. Both refuse with `ImportRejected`.
`glimpse` reads what can be read of a file that may be refused, and refuses nothing.
"""

from paybot.core.ehf.document import (
    NOTHING_READ,
    EhfDocument,
    EhfGlimpse,
    EhfLine,
    EhfParty,
    EhfProfile,
    RuleMessage,
)
from paybot.core.ehf.reader import glimpse, kid_check, read_ehf
from paybot.core.ehf.validation import EhfValidator, RulesBroken

__all__ = [
    "NOTHING_READ",
    "EhfDocument",
    "EhfGlimpse",
    "EhfLine",
    "EhfParty",
    "EhfProfile",
    "EhfValidator",
    "RuleMessage",
    "RulesBroken",
    "glimpse",
    "kid_check",
    "read_ehf",
]
