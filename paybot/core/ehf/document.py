"""What paybot reads from an EHF invoice or credit note (PEPPOL BIS Billing 3.0, UBL 2.1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from paybot.core.payee_details import check_field, payee_problems
from paybot.core.payments import NO_PAYEE_DETAILS, PayeeDetails

# The specification identifiers (CustomizationID, BT-24) paybot takes, and nothing else.
BIS_BILLING_3_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
EHF_FORWARD_BILLING_ID = (
    BIS_BILLING_3_ID + "#conformant#urn:fdc:anskaffelser.no:2019:ehf:forward-billing:3.0"
)
EN16931_ID = "urn:cen.eu:en16931:2017"


class EhfProfile(StrEnum):
    """The rule set a document declares it follows, by its CustomizationID."""

    BIS_BILLING_3 = "bis_billing_3"
    EHF_FORWARD_BILLING = "ehf_forward_billing"
    EN16931 = "en16931"  # the CEN core alone, `urn:cen.eu:en16931:2017`


PROFILES = {
    BIS_BILLING_3_ID: EhfProfile.BIS_BILLING_3,
    EHF_FORWARD_BILLING_ID: EhfProfile.EHF_FORWARD_BILLING,
    EN16931_ID: EhfProfile.EN16931,
}


def profile_of(customization_id: str) -> EhfProfile | None:
    """The profile a CustomizationID names, or None for one paybot does not take."""
    return PROFILES.get(" ".join(customization_id.split()))


@dataclass(frozen=True)
class EhfAddress:
    """A party's `cac:PostalAddress` as the document writes it (spaces collapsed, blanks None):
    StreetName, BuildingNumber, PostalZone, CityName and Country/IdentificationCode."""

    street: str | None = None
    building_no: str | None = None
    post_code: str | None = None
    town: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class EhfParty:
    """A party of the document: its name, and its Norwegian organisation number where valid."""

    name: str
    org_no: str | None


@dataclass(frozen=True)
class EhfGlimpse:
    """What can be told of a file that may be refused (`reader.glimpse`): the buyer's Norwegian
    organisation number, the seller's name and the invoice number, each None where it cannot be
    read. The texts are as the file writes them (spaces collapsed), unchecked: whoever shows them
    makes them safe to show."""

    buyer_org_no: str | None = None
    seller_name: str | None = None
    invoice_no: str | None = None


NOTHING_READ = EhfGlimpse()


@dataclass(frozen=True)
class RuleMessage:
    """One finding of the EN 16931 or PEPPOL rules (SVRL), as paybot keeps it.

    `flag` is "fatal" or "warning" as paybot applies it: a PEPPOL rule that is fatal for BIS
    Billing 3.0 is a warning for an EHF Forward Billing document. `location` is the element's
    path (`Invoice/cac:AccountingSupplierParty/cac:Party`), `line` its line where found.
    """

    rule_id: str
    flag: str
    text: str
    location: str
    line: int | None = None


@dataclass(frozen=True)
class EhfLine:
    """An invoice or credit note line, for the details view, as the document writes it:
    `amount` is its LineExtensionAmount (net of line allowances and charges, before VAT) with the
    document's sign, not the payment's (a credit note's lines are usually positive, and agree
    with their quantities); `quantity` and `unit` (a UN/ECE rec 20 code) where given."""

    description: str
    quantity: Decimal | None
    unit: str | None
    amount: Decimal


@dataclass(frozen=True)
class EhfDocument:
    """An EHF invoice or credit note, as far as paying it goes.

    `payable_amount` is signed as a payment: a CreditNote's (positive) amount is negative here,
    an Invoice's negative amount stays negative. `kid` is any KID-shaped PaymentID, kept even
    with a wrong check digit (see `kid_check`); any other PaymentID is `payment_message`.
    `lines` are the document's lines, in order, for the details view.
    """

    source: str
    kind: Literal["invoice", "credit_note"]
    type_code: str
    customization_id: str
    profile: EhfProfile
    invoice_no: str
    issue_date: date
    due_date: date | None
    currency: str
    payable_amount: Decimal
    seller: EhfParty
    payee: EhfParty | None
    buyer: EhfParty
    account: str | None
    account_kind: Literal["iban", "bban", "other"] | None
    bic: str | None
    kid: str | None
    payment_message: str | None
    note: str | None
    lines: tuple[EhfLine, ...] = ()
    # The seller's cac:PostalAddress (BT-35..BT-40), where the document gives one.
    seller_address: EhfAddress | None = None

    def seller_details(self) -> PayeeDetails:
        """What the document tells of its seller's details for payments abroad.

        The seller's postal address, whole, where each of its parts may be stored as it is (no
        control or invisible character, within its column) and its country is an ISO 3166 code;
        else no address. The BIC of the account paid (`FinancialInstitutionBranch/ID`), where it
        is a BIC and the seller is paid itself: a PayeeParty's bank (factoring) is not the
        seller's. Nothing else (charge bearer, purpose) is in an invoice.
        """
        address = _storable(self.seller_address)
        bic = check_field("bic", self.bic)[0] if self.bic and self.payee is None else None
        if address is None and bic is None:
            return NO_PAYEE_DETAILS
        return PayeeDetails(
            street=address.street if address else None,
            building_no=address.building_no if address else None,
            post_code=address.post_code if address else None,
            town=address.town if address else None,
            country=address.country if address else None,
            bic=bic,
        )


def _storable(address: EhfAddress | None) -> EhfAddress | None:
    """The address as it is stored (core.payee_details), or None where any part is unfit."""
    if address is None or address.country is None:
        return None
    parts = {
        "street": address.street,
        "building_no": address.building_no,
        "post_code": address.post_code,
        "town": address.town,
        "country": address.country,
    }
    stored, problems = payee_problems(parts)
    if problems:
        return None
    return EhfAddress(**{name: stored.get(name) for name in parts})
