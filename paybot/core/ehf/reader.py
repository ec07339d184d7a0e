"""Reading an EHF invoice or credit note (UBL 2.1, PEPPOL BIS Billing 3.0) into an `EhfDocument`.

What is paid is what the document says is payable: `LegalMonetaryTotal/PayableAmount`, after
prepaid and rounding amounts, never the tax-inclusive total. Signs follow the payment: a
CreditNote's positive amount becomes negative, and an Invoice with negative amounts (the other
way BIS 3.0 credits) stays negative. The reader checks what it reads (dates, amounts, the
parties paybot needs); the XSD and the EN 16931 / PEPPOL rules are `EhfValidator`'s.

`PaymentMeans/PayeeFinancialAccount/ID` may be an IBAN or a Norwegian BBAN with no prefix: a
valid IBAN is `iban`, 11 digits passing MOD11 are `bban`, anything else is `other` and kept, for
the usual account checks to flag. BIS 3.0 does not check a KID: a KID-shaped PaymentID is kept
whatever its check digit, and `kid_check` says what is wrong with it.

`glimpse` reads what can be read of a file that may be refused (whom it is for, from whom, which
invoice), so a refusal can be told to the company it was meant for.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from itertools import islice
from typing import Literal

from paybot.core.ehf import ubl
from paybot.core.ehf.document import (
    NOTHING_READ,
    EhfAddress,
    EhfDocument,
    EhfGlimpse,
    EhfLine,
    EhfParty,
    profile_of,
)
from paybot.core.errors import ImportRejected
from paybot.core.identifiers import (
    account_problem,
    compact_account,
    is_iban_like,
    kid_problem,
    normalize_org_no,
)

Element = ubl.Element
ORG_NO_SCHEME = "0192"  # ISO 6523 ICD of the Norwegian organisation number (Enhetsregisteret)
NOTE_LIMIT = 300  # characters of the first note kept for the details view

# ASCII digits only (`\d` would take any script's digits, which Decimal and int accept too).
_KID_SHAPE = re.compile(r"[0-9]{1,24}[0-9-]")  # 2-25 characters; a MOD11 check digit may be '-'
_DATE = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})(?:Z|[+-][0-9]{2}:[0-9]{2})?")  # zone ignored
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")  # xs:decimal: no exponent, NaN
_CURRENCY = re.compile(r"[A-Z]{3}")
_MAX_INTEGER_DIGITS = 15  # more than any invoice holds, less than paybot's money columns
_COMPANY_IDS_TRIED = 20  # a party names itself a few times: VAT, legal entity


def kid_check(kid: str) -> str | None:
    """None for a valid KID (2-25 digits, MOD10 or MOD11 check digit, '-' for 10); else why not."""
    return kid_problem(kid)


def read_ehf(source: str, data: bytes) -> EhfDocument:
    """Read an EHF Invoice or CreditNote.

    Args:
        source: the file's name, as refusals should name it.
        data: the file's bytes.

    Raises:
        ImportRejected: naming the file, the line and the element at fault: hostile or malformed
            XML, not a UBL Invoice or CreditNote, a CustomizationID paybot does not take, a
            required element missing (ID, IssueDate, type code, DocumentCurrencyCode,
            PayableAmount, the seller's or buyer's name), or a value that is not a date, an
            amount or a currency code.
    """
    root = ubl.parse(source, data)
    root_name = ubl.ROOTS[str(root.tag)]
    customization_id = _required_text(source, root, "cbc:CustomizationID")
    profile = profile_of(customization_id)
    if profile is None:
        element = _required(source, root, "cbc:CustomizationID")
        raise ImportRejected(
            source,
            element.sourceline or 1,
            ubl.path_of(element),
            f"not a PEPPOL BIS Billing 3.0 / EHF document: CustomizationID {customization_id!r}",
        )
    currency = _currency(source, _required(source, root, "cbc:DocumentCurrencyCode"))
    amount = _amount(source, _required(source, root, "cac:LegalMonetaryTotal", "cbc:PayableAmount"))
    _same_currency(source, root, currency)
    kind: Literal["invoice", "credit_note"] = "invoice" if root_name == "Invoice" else "credit_note"
    sign = -1 if kind == "credit_note" else 1
    seller = _party(source, root, "cac:AccountingSupplierParty")
    account, bic, payment_id = _payment_means(root)
    kid, message = _reference(payment_id)
    return EhfDocument(
        source=source,
        kind=kind,
        type_code=_required_text(source, root, f"cbc:{root_name}TypeCode"),
        customization_id=" ".join(customization_id.split()),
        profile=profile,
        invoice_no=_required_text(source, root, "cbc:ID"),
        issue_date=_date(source, _required(source, root, "cbc:IssueDate")),
        due_date=_due_date(source, root),
        currency=currency,
        payable_amount=sign * amount,
        seller=seller,
        payee=_payee(source, root, seller),
        buyer=_party(source, root, "cac:AccountingCustomerParty"),
        account=account,
        account_kind=None if account is None else _account_kind(account),
        bic=bic,
        kid=kid,
        payment_message=message,
        note=_note(root),
        lines=_lines(source, root, root_name),
        seller_address=_address(root, "cac:AccountingSupplierParty"),
    )


def glimpse(source: str, data: bytes) -> EhfGlimpse:
    """Whom, from whom and which invoice a file names, read leniently: no element is required and
    nothing is checked but the buyer's organisation number, so a file the schema or the rules
    refuse still names its buyer. Read as safely as `read_ehf` reads (`ubl.parse`): a DTD or an
    entity, XML that is not well-formed (not XML at all, too deep) or a root that is not a UBL
    Invoice or CreditNote gives `NOTHING_READ`. Never raises for what the file holds.

    The buyer's number is found as the import finds it (EndpointID or PartyIdentification with
    scheme 0192, the legal entity's CompanyID), else in any `cbc:CompanyID` of the buyer's party
    that holds one, bare or as a VAT number (`NO987654325MVA`).
    """
    try:
        root = ubl.parse(source, data)
    except ImportRejected:
        return NOTHING_READ
    buyer = ubl.child(root, "cac:AccountingCustomerParty", "cac:Party")
    seller = ubl.child(root, "cac:AccountingSupplierParty", "cac:Party")
    return EhfGlimpse(
        buyer_org_no=None if buyer is None else _org_no(buyer) or _any_company_id(buyer),
        seller_name=None if seller is None else _name(seller, _LEGAL_NAME, _TRADING_NAME),
        invoice_no=_name(root, ("cbc:ID",)),
    )


def _any_company_id(party: Element) -> str | None:
    """The first of the party's CompanyIDs (the first few: a hostile file may hold endless ones)
    that is a valid organisation number, bare or between a VAT number's `NO` and `MVA`."""
    for element in islice(party.iter(ubl.clark("cbc:CompanyID")), _COMPANY_IDS_TRIED):
        compact = "".join((ubl.text_of(element) or "").split()).upper()
        if compact.startswith("NO") and compact.endswith("MVA"):
            compact = compact[2:-3]
        if not (compact.isascii() and compact.isdigit()):
            continue
        try:
            return normalize_org_no(compact)
        except ValueError:
            continue
    return None


# --- values ----------------------------------------------------------------------------------


def _required(source: str, root: Element, *names: str) -> Element:
    found = ubl.child(root, *names)
    if found is None or ubl.text_of(found) is None:
        raise ubl.missing(source, root, *names)
    return found


def _required_text(source: str, root: Element, *names: str) -> str:
    return " ".join("".join(_required(source, root, *names).itertext()).split())


def _refused(source: str, element: Element, problem: str) -> ImportRejected:
    return ImportRejected(source, element.sourceline or 1, ubl.path_of(element), problem)


def _date(source: str, element: Element) -> date:
    raw = ubl.text_of(element) or ""
    match = _DATE.fullmatch(raw)
    try:
        if match is None:
            raise ValueError(raw)
        return date.fromisoformat(match.group(1))
    except ValueError:
        raise _refused(source, element, f"{raw!r} is not a date (YYYY-MM-DD)") from None


def _amount(source: str, element: Element) -> Decimal:
    raw = ubl.text_of(element) or ""
    if not _DECIMAL.fullmatch(raw):
        raise _refused(source, element, f"{raw!r} is not an amount (digits, '.' for decimals)")
    whole = raw.lstrip("+-").partition(".")[0].lstrip("0")
    if len(whole) > _MAX_INTEGER_DIGITS:
        raise _refused(source, element, f"{raw!r} is too large an amount")
    return Decimal(raw)


def _currency(source: str, element: Element) -> str:
    code = ubl.text_of(element) or ""
    if not _CURRENCY.fullmatch(code):
        raise _refused(source, element, f"{code!r} is not a currency code (ISO 4217, e.g. NOK)")
    return code


def _same_currency(source: str, root: Element, currency: str) -> None:
    payable = ubl.child(root, "cac:LegalMonetaryTotal", "cbc:PayableAmount")
    stated = None if payable is None else (payable.get("currencyID") or "").strip()
    if payable is not None and stated and stated != currency:
        problem = f"the amount is in {stated}, but the document's currency is {currency}"
        raise _refused(source, payable, problem)


def _due_date(source: str, root: Element) -> date | None:
    candidates = [ubl.child(root, "cbc:DueDate")] + [
        ubl.child(means, "cbc:PaymentDueDate") for means in ubl.children(root, "cac:PaymentMeans")
    ]
    for due in candidates:
        if due is not None and ubl.text_of(due) is not None:
            return _date(source, due)
    return None


def _note(root: Element) -> str | None:
    note = " ".join((ubl.text_of(ubl.child(root, "cbc:Note")) or "").split())
    if len(note) > NOTE_LIMIT:
        return note[: NOTE_LIMIT - 1] + "…"
    return note or None


def _lines(source: str, root: Element, root_name: str) -> tuple[EhfLine, ...]:
    """InvoiceLine or CreditNoteLine: Item/Name (else Item/Description, else the line's ID), the
    invoiced or credited quantity with its unitCode, and the LineExtensionAmount."""
    quantity_name = "cbc:InvoicedQuantity" if root_name == "Invoice" else "cbc:CreditedQuantity"
    lines = []
    for line in ubl.children(root, f"cac:{root_name}Line"):
        amount = _amount(source, _required(source, line, "cbc:LineExtensionAmount"))
        description = (
            _name(line, ("cac:Item", "cbc:Name"), ("cac:Item", "cbc:Description"), ("cbc:ID",))
            or ""
        )
        counted = ubl.child(line, quantity_name)
        quantity = unit = None
        if counted is not None and ubl.text_of(counted) is not None:
            quantity = _amount(source, counted)
            unit = (counted.get("unitCode") or "").strip() or None
        lines.append(EhfLine(description, quantity, unit, amount))
    return tuple(lines)


# --- parties ---------------------------------------------------------------------------------


_LEGAL_NAME = ("cac:PartyLegalEntity", "cbc:RegistrationName")
_TRADING_NAME = ("cac:PartyName", "cbc:Name")


def _name(party: Element, *paths: tuple[str, ...]) -> str | None:
    for path in paths:
        name = ubl.text_of(ubl.child(party, *path))
        if name is not None:
            return " ".join(name.split())
    return None


def _org_no(party: Element) -> str | None:
    """The first valid Norwegian organisation number among: EndpointID with scheme 0192, the legal
    entity's CompanyID (scheme 0192 or none), a PartyIdentification/ID with scheme 0192."""
    candidates = []
    endpoint = ubl.child(party, "cbc:EndpointID")
    if endpoint is not None and endpoint.get("schemeID", "").strip() == ORG_NO_SCHEME:
        candidates.append(endpoint)
    company = ubl.child(party, "cac:PartyLegalEntity", "cbc:CompanyID")
    scheme = "" if company is None else company.get("schemeID", "").strip()
    if company is not None and scheme in ("", ORG_NO_SCHEME):
        candidates.append(company)
    for identification in ubl.children(party, "cac:PartyIdentification"):
        found = ubl.child(identification, "cbc:ID")
        if found is not None and found.get("schemeID", "").strip() == ORG_NO_SCHEME:
            candidates.append(found)
    for element in candidates:
        text = ubl.text_of(element)
        if text is None:
            continue
        try:
            return normalize_org_no(text)
        except ValueError:
            continue
    return None


def _party(source: str, root: Element, role: str) -> EhfParty:
    """The seller or buyer: its legal name (RegistrationName), else its trading name."""
    party = ubl.child(root, role, "cac:Party")
    if party is None:
        raise ubl.missing(source, root, role, "cac:Party")
    name = _name(party, _LEGAL_NAME, _TRADING_NAME)
    if name is None:
        raise ubl.missing(source, party, "cac:PartyLegalEntity", "cbc:RegistrationName")
    return EhfParty(name, _org_no(party))


def _address(root: Element, role: str) -> EhfAddress | None:
    """The party's `cac:PostalAddress` (BT-35..BT-40 for the seller), or None where it has none;
    AdditionalStreetName and CountrySubentity have no place in a payment's address."""
    address = ubl.child(root, role, "cac:Party", "cac:PostalAddress")
    if address is None:
        return None
    found = EhfAddress(
        street=_name(address, ("cbc:StreetName",)),
        building_no=_name(address, ("cbc:BuildingNumber",)),
        post_code=_name(address, ("cbc:PostalZone",)),
        town=_name(address, ("cbc:CityName",)),
        country=_name(address, ("cac:Country", "cbc:IdentificationCode")),
    )
    return None if found == EhfAddress() else found


def _payee(source: str, root: Element, seller: EhfParty) -> EhfParty | None:
    """The PayeeParty where it is not the seller (factoring); None where absent or the same."""
    party = ubl.child(root, "cac:PayeeParty")
    if party is None:
        return None
    name = _name(party, _TRADING_NAME, _LEGAL_NAME)
    if name is None:
        raise ubl.missing(source, party, "cac:PartyName", "cbc:Name")
    payee = EhfParty(name, _org_no(party))
    if payee.org_no is not None and seller.org_no is not None:
        same = payee.org_no == seller.org_no
    else:
        same = payee.name.casefold() == seller.name.casefold()
    return None if same else payee


# --- payment means -----------------------------------------------------------------------------


def _payment_means(root: Element) -> tuple[str | None, str | None, str | None]:
    """Account, BIC and PaymentID: from the first PaymentMeans that names an account (a PaymentID
    from any PaymentMeans where that one has none)."""
    means = ubl.children(root, "cac:PaymentMeans")
    account = bic = payment_id = None
    for candidate in means:
        financial = ubl.child(candidate, "cac:PayeeFinancialAccount")
        number = compact_account(ubl.text_of(ubl.child(financial, "cbc:ID")) or "")
        if number:
            account = number
            branch = ubl.text_of(ubl.child(financial, "cac:FinancialInstitutionBranch", "cbc:ID"))
            bic = "".join(branch.split()).upper() if branch else None
            payment_id = ubl.text_of(ubl.child(candidate, "cbc:PaymentID"))
            break
    if payment_id is None:
        found = (ubl.text_of(ubl.child(m, "cbc:PaymentID")) for m in means)
        payment_id = next((text for text in found if text is not None), None)
    return account, bic, payment_id


def _reference(payment_id: str | None) -> tuple[str | None, str | None]:
    """(KID, message): a KID-shaped PaymentID is a KID, whatever its check digit."""
    if payment_id is None:
        return None, None
    compact = "".join(payment_id.split())
    if _KID_SHAPE.fullmatch(compact):
        return compact, None
    return None, " ".join(payment_id.split())


def _account_kind(account: str) -> Literal["iban", "bban", "other"]:
    if is_iban_like(account):
        return "iban" if account_problem(account) is None else "other"
    digits = len(account) == 11 and account.isascii() and account.isdigit()
    return "bban" if digits and account_problem(account) is None else "other"
