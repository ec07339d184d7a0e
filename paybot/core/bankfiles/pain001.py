"""pain.001 credit-transfer orders (pain.001.001.03 and .09), streamed one transaction at a time.

Norwegian mapping (FORMATS.md §3): a BBAN goes in `Othr/Id` with `SchmeNm/Cd` BBAN, a KID is a
structured creditor reference (SCOR), an invoice number a referred document (CINV), free text
`Ustrd`. The whole order is checked before the first byte is written, so a refused order leaves
`out` untouched; the XML itself is never held in memory, only the order's objects are.

Each payment block holds one payment type (core.payment_types), and is written as that type asks:
- domestic (NOK to a Norwegian account): service level NURG, the bank profile's charge bearer, no
  creditor address needed, the profile's character set;
- SEPA credit transfer (EUR to an IBAN in the SEPA zone): service level SEPA, charge bearer SLEV,
  the creditor's name (at most 70 characters) and country, the SEPA basic Latin character set;
- other cross-border payments: service level NURG (URGP when urgent), charge bearer SHAR unless
  the block says DEBT or CRED, the creditor's address with town and country, the creditor agent's
  BIC where the account is not an IBAN (a foreign account number goes in `Othr/Id`, without a
  scheme), SWIFT's character set (the same basic set).
A payment abroad carries its purpose for the Currency Register as `RgltryRptg/Dtls` (`Cd`: the
payment-type code, `Inf`: the short text). The debtor agent is the company's bank BIC;
`Othr/Id` NOTPROVIDED only for domestic payments, and only where the bank profile allows it.
pain.001.001.09 carries each payment's UETR.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any, BinaryIO, NamedTuple, NoReturn

from lxml import etree  # type: ignore[import-untyped, unused-ignore]  # stubs: types-lxml

from paybot.core.bank_profiles import GENERIC, AddressFormat, BankProfile, CharacterSet
from paybot.core.bankfiles.model import (
    BankFileRejected,
    CreditTransfer,
    Pain001Version,
    Party,
    PaymentBlock,
    PaymentOrder,
    PostalAddress,
)
from paybot.core.identifiers import (
    account_problem,
    compact_account,
    is_bic,
    is_country,
    is_iban_like,
    kid_problem,
)
from paybot.core.money import AmountError, check_size, currency_exponent, is_iso_currency
from paybot.core.payment_types import ChargeBearer, PaymentType, is_abroad, payment_type
from paybot.core.payments import ReferenceType

# MsgId, PmtInfId, InstrId, EndToEndId: 1-35 characters of the set every bank accepts (§4).
_ID = re.compile(r"[A-Za-z0-9/\-?:().,'+ ]{1,35}")
_UETR = re.compile(r"[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}")  # v4
# RgltryRptg/Dtls/Cd is a Max10Text; the Currency Register's codes are two digits.
_REPORT_CODE = re.compile(r"[A-Za-z0-9]{1,10}")
# CtrlSum is an xs:decimal of at most 18 digits.
_MAX_DIGITS = 18
# SEPA: a party's name at most 70 characters (the EPC's customer-to-bank guidelines, as sepaxml
# applies them, FORMATS.md §10).
_SEPA_NAME_MAX = 70
_NAME_MAX = 140

# How the payment types are named in a refusal.
_KIND = {
    PaymentType.DOMESTIC: "domestic",
    PaymentType.SEPA: "SEPA",
    PaymentType.CROSS_BORDER: "cross-border",
}

_BASIC = CharacterSet.BASIC.characters
_DOMESTIC = CharacterSet.BSK.characters
# Spelled out rather than stripped: "Ærlig" must not become "rlig", and "Bø" reads better as "Boe".
_SPELLED = {
    "æ": "ae", "Æ": "AE", "ø": "oe", "Ø": "OE", "å": "aa", "Å": "AA", "ß": "ss",
    "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "TH", "ł": "l", "Ł": "L",
    "œ": "oe", "Œ": "OE", "ı": "i", "&": "+", "‘": "'", "’": "'", "‚": "'", "“": "'", "”": "'",
    "„": "'", '"': "'", "«": "'", "»": "'", "‹": "'", "›": "'", "–": "-", "—": "-", "_": "-",
}  # fmt: skip


def clean_text(
    text: str, max_len: int, *, domestic: bool = True, charset: CharacterSet | None = None
) -> str:
    """Text reduced to what banks accept, whitespace collapsed, cut to max_len.

    `charset` names the characters allowed; without it, BSK's set: domestic payments keep
    Norwegian and Nordic letters, others have them spelled out (æ → ae) or lose their accents
    (é → e). Any other character becomes a space; nothing outside the set is ever returned.
    """
    if charset is not None:
        return _clean(text, max_len, charset.characters)
    return _clean(text, max_len, _DOMESTIC if domestic else _BASIC)


class WrittenText(NamedTuple):
    """A text as a payment file carries it (`as_written`). A named tuple rather than a frozen
    dataclass: the flags make one per text of every payment, and a tuple is made faster."""

    text: str  # cleaned as clean_text cleans it, not cut to any length
    # The characters left out (each became a space), with their positions from 1 in the text
    # (NFC): neither kept, spelled out (æ → ae) nor written without their accent (é → e).
    dropped: tuple[tuple[int, str], ...] = ()

    @property
    def has_words(self) -> bool:
        """It holds a letter or digit: a bank (and a person) can read something in it."""
        return any(char.isalnum() for char in self.text)


def as_written(
    text: str, kind: PaymentType = PaymentType.CROSS_BORDER, profile: BankProfile = GENERIC
) -> WrittenText:
    """What the writer makes of `text` in a payment of `kind`, for the bank `profile`: paybot's
    one rule for "would the payment file keep this text", for the flags and the checks of what a
    person types (core.payee_details), so that a payment is never agreed to as one text and sent
    as another.

    Domestic payments are written in the profile's character set, others in the basic set
    (CharacterSet.BASIC: SEPA and SWIFT), as `write_pain001` writes them. The profile matters
    only at home: GENERIC's set (BSK's) is also the smallest any profile has there.
    """
    allowed = profile.domestic_characters.characters if kind is PaymentType.DOMESTIC else _BASIC
    text = unicodedata.normalize("NFC", text)
    if allowed.issuperset(text):  # most names, references and addresses
        return WrittenText(" ".join(text.split()))
    written = _clean(text, sys.maxsize, allowed)
    dropped = tuple(
        (position, char)
        for position, char in enumerate(text, start=1)
        if char not in allowed and not char.isspace() and not _clean_char(char, allowed).strip()
    )
    return WrittenText(written, dropped)


def _clean(text: str, max_len: int, allowed: frozenset[str]) -> str:
    text = unicodedata.normalize("NFC", text)
    if not allowed.issuperset(text):  # most names and messages need no more than this test
        text = "".join(_clean_char(char, allowed) for char in text)
    return " ".join(text.split())[:max_len].rstrip()


def _clean_char(char: str, allowed: frozenset[str]) -> str:
    if char in allowed:
        return char
    spelled = _SPELLED.get(char)
    if spelled is not None and all(c in allowed for c in spelled):
        return spelled
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if c in allowed)
    return base or " "


@dataclass(frozen=True)
class Pain001Summary:
    """What was written: the totals a bank's reply (pain.002) and the audit trail refer to."""

    message_id: str
    number_of_transactions: int
    control_sum: Decimal


@dataclass(frozen=True)
class _BlockFacts:
    count: int
    total: Decimal
    decimals: int  # of its CtrlSum: the most any of its currencies has, at least 2
    account_currency: str | None  # DbtrAcct/Ccy, written only when it is surely the account's
    kind: PaymentType  # of every transfer in the block
    service_level: str  # PmtTpInf/SvcLvl/Cd
    charge_bearer: str
    characters: frozenset[str]  # what its names, addresses and messages may hold
    name_max: int  # of Dbtr/Nm and Cdtr/Nm


@dataclass(frozen=True)
class _OrderFacts:
    count: int
    control_sum: str  # as written: exact, with the most decimals any currency needs (at least 2)
    blocks: tuple[_BlockFacts, ...]


@dataclass(frozen=True)
class _Shape:
    """Where the two versions differ in what paybot writes (FORMATS.md §2)."""

    bic: str
    execution_date: str
    uetr: bool  # PmtId/UETR exists


_SHAPES = {
    Pain001Version.V03: _Shape(bic="BIC", execution_date="ReqdExctnDt", uetr=False),
    Pain001Version.V09: _Shape(bic="BICFI", execution_date="ReqdExctnDt/Dt", uetr=True),
}


def write_pain001(
    order: PaymentOrder,
    out: BinaryIO,
    version: Pain001Version = Pain001Version.V03,
    profile: BankProfile = GENERIC,
) -> Pain001Summary:
    """Write `order` as a pain.001 document to `out`, element by element.

    Args:
        order: the payments, grouped in blocks (one PmtInf each) of one payment type each.
        out: a binary stream; flushed after every transaction, never closed.
        version: pain.001.001.03 (what Norwegian banks document) or .09.
        profile: the company's bank's rules (core.bank_profiles); GENERIC where unknown.

    Returns:
        The message id, number of transactions and control sum written in the group header.

    Raises:
        BankFileRejected: an id, amount, account, BIC, KID, name, address or charge bearer a bank
            would refuse, or a block mixing payment types; nothing has been written then.
    """
    facts = _check_order(order, profile)
    out.write(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    with etree.xmlfile(out, encoding="utf-8") as xf:
        xml = _Xml(xf, f"urn:iso:std:iso:20022:tech:xsd:{version.value}", _SHAPES[version])
        with xml.root("Document"), xml.node("CstmrCdtTrfInitn"):
            _write_group_header(xml, order, facts, profile)
            for block, block_facts in zip(order.blocks, facts.blocks, strict=True):
                _write_block(xml, order.debtor, block, block_facts, profile)
    out.write(b"\n")
    out.flush()
    return Pain001Summary(order.message_id, facts.count, Decimal(facts.control_sum))


# --- checking, in one pass over the order before anything is written ----------------------------


class _Seen:
    """Ids already used in this file: a bank refuses duplicates (DUPL, AM05)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._ids: dict[str, set[str]] = {}

    def check_id(self, field: str, value: str, *, unique: bool = True) -> None:
        if not _ID.fullmatch(value):
            _reject(self.source, f"{field} {value!r} must be 1-35 of A-Z a-z 0-9 /-?:().,'+ space")
        if unique:
            self.check_unique(field, value)

    def check_unique(self, field: str, value: str) -> None:
        used = self._ids.setdefault(field, set())
        if value in used:
            _reject(self.source, f"{field} {value!r} appears twice in the file")
        used.add(value)


def _reject(source: str, problem: str) -> NoReturn:
    raise BankFileRejected(source=source, problem=problem)


def _check_order(order: PaymentOrder, profile: BankProfile) -> _OrderFacts:
    seen = _Seen(order.message_id)
    seen.check_id("MsgId", order.message_id)
    if order.created_at.utcoffset() is None:
        _reject(seen.source, "CreDtTm needs a time zone (created_at is naive)")
    _check_party(seen, "InitgPty", order.initiator, profile.domestic_characters.characters)
    if not order.blocks:
        _reject(seen.source, "an order needs at least one payment block")
    blocks = tuple(_check_block(seen, block, profile) for block in order.blocks)
    for block in blocks:
        _check_party(seen, "Dbtr", order.debtor, block.characters)
    total = sum((block.total for block in blocks), Decimal(0))
    decimals = max(block.decimals for block in blocks)
    _check_control_sum(seen.source, total, decimals)
    count = sum(block.count for block in blocks)
    return _OrderFacts(count, _decimal_text(total, decimals), blocks)


def _check_party(seen: _Seen, role: str, party: Party, characters: frozenset[str]) -> None:
    if not _clean(party.name, _NAME_MAX, characters):
        _reject(seen.source, f"{role} has no name")
    if party.org_no is not None:
        seen.check_id(f"{role} organisation number", party.org_no, unique=False)


def _check_block(seen: _Seen, block: PaymentBlock, profile: BankProfile) -> _BlockFacts:
    seen.check_id("PmtInfId", block.payment_info_id)
    where = f"PmtInf {block.payment_info_id}"
    _check_account(seen.source, where, block.debtor_account)
    _check_bic(seen.source, where, block.debtor_bic)
    if not block.transfers:
        _reject(seen.source, f"{where} has no transfers")
    total, decimals, currencies = Decimal(0), 2, set[str]()
    kind: PaymentType | None = None
    at_home = profile.domestic_characters.characters
    for transfer in block.transfers:
        try:
            transfer_kind = _check_transfer(seen, transfer, at_home)
        except BankFileRejected as refused:
            refused.end_to_end_id = transfer.end_to_end_id  # this payment's own problem
            raise
        if kind is None:
            kind = transfer_kind
        elif transfer_kind is not kind:
            _reject(
                seen.source,
                f"{where} mixes {_KIND[kind]} and {_KIND[transfer_kind]} payments "
                f"(EndToEndId {transfer.end_to_end_id}): a block holds one payment type",
            )
        total += transfer.amount
        decimals = max(decimals, currency_exponent(transfer.currency))
        currencies.add(transfer.currency)
    assert kind is not None  # the block has transfers
    _check_control_sum(seen.source, total, decimals)
    _check_debtor_agent(seen.source, where, block, kind, profile)
    if block.urgent and kind is not PaymentType.CROSS_BORDER:
        _reject(
            seen.source,
            f"{where}: only cross-border payments can be urgent, not {_KIND[kind]} ones",
        )
    currency = currencies.pop() if len(currencies) == 1 else None
    domestic = kind is PaymentType.DOMESTIC
    return _BlockFacts(
        count=len(block.transfers),
        total=total,
        decimals=decimals,
        account_currency=_account_currency(block.debtor_account, currency),
        kind=kind,
        service_level=_service_level(kind, urgent=block.urgent),
        charge_bearer=_charge_bearer(seen.source, where, kind, block.charge_bearer, profile),
        characters=profile.domestic_characters.characters if domestic else _BASIC,
        name_max=_SEPA_NAME_MAX if kind is PaymentType.SEPA else _NAME_MAX,
    )


def _check_debtor_agent(
    source: str, where: str, block: PaymentBlock, kind: PaymentType, profile: BankProfile
) -> None:
    bic = block.debtor_bic
    if bic is None:
        if kind is not PaymentType.DOMESTIC:
            _reject(source, f"{where}: {_KIND[kind]} payments need the BIC of the company's bank")
        if not profile.debtor_agent_not_provided:
            _reject(
                source,
                f"{where}: domestic payments need the BIC of the company's bank: the "
                f"{profile.display_name} profile takes no NOTPROVIDED",
            )
    elif not profile.allows_debtor_bic(bic):
        _reject(
            source,
            f"{where}: the debtor agent {bic} is not {profile.display_name}'s "
            f"({', '.join(profile.bics)}): is the bank profile right?",
        )


def _service_level(kind: PaymentType, *, urgent: bool) -> str:
    if kind is PaymentType.SEPA:
        return "SEPA"
    return "URGP" if urgent else "NURG"


_CHARGE_BEARERS = frozenset(ChargeBearer)


def _charge_bearer(
    source: str, where: str, kind: PaymentType, requested: str | None, profile: BankProfile
) -> str:
    # None: the payment type's default (BankProfile.charge_bearer: SLEV for SEPA, the profile's for
    # domestic payments, SHAR abroad). A block that names one gets it, if its type allows it.
    if requested is None:
        return profile.charge_bearer(kind).value
    if requested not in _CHARGE_BEARERS:
        _reject(source, f"{where}: {requested!r} is not a charge bearer (DEBT, CRED, SHAR, SLEV)")
    if kind is PaymentType.SEPA and requested != ChargeBearer.SLEV:
        _reject(source, f"{where}: SEPA payments are sent with charge bearer SLEV, not {requested}")
    if kind is not PaymentType.SEPA and requested == ChargeBearer.SLEV:
        _reject(
            source, f"{where}: charge bearer SLEV is for SEPA payments only, not {_KIND[kind]} ones"
        )
    return requested


def _account_currency(account: str, currency: str | None) -> str | None:
    # Ccy is the currency the account is held in; banks use it to pick a sub-account and decide on
    # conversion, so "EUR" for a NOK account paying in EUR would be wrong. The model does not know
    # the account's currency: claim NOK only for a Norwegian account paying only NOK.
    compact = compact_account(account)
    norwegian = not is_iban_like(compact) or compact.startswith("NO")
    return "NOK" if norwegian and currency == "NOK" else None


def _check_transfer(seen: _Seen, transfer: CreditTransfer, at_home: frozenset[str]) -> PaymentType:
    """Checks one payment; returns its type. `at_home`: what domestic payments' texts may hold."""
    seen.check_id("EndToEndId", transfer.end_to_end_id)
    seen.check_id("InstrId", transfer.instruction_id)
    source, where = seen.source, f"EndToEndId {transfer.end_to_end_id}"
    if not is_iso_currency(transfer.currency):
        _reject(source, f"{where}: {transfer.currency!r} is not an ISO 4217 currency")
    if not transfer.amount.is_finite() or transfer.amount <= 0:
        _reject(source, f"{where}: the amount {transfer.amount} must be above zero")
    try:
        check_size(transfer.amount)
    except AmountError as exc:
        _reject(source, f"{where}: {exc}")
    if Decimal(_amount_text(transfer.amount, transfer.currency)) != transfer.amount:
        _reject(source, f"{where}: {transfer.amount} is finer than {transfer.currency} allows")
    address = transfer.creditor.address
    country = None if address is None else address.country
    if country is not None and not is_country(country):
        _reject(source, f"{where}: the creditor's country {country!r} is not an ISO 3166 code")
    _check_account(source, where, transfer.creditor_account, country)
    _check_bic(source, where, transfer.creditor_bic)
    kind = payment_type(transfer.creditor_account, transfer.currency, country)
    if kind is PaymentType.DOMESTIC:
        characters, name_max = at_home, _NAME_MAX
    else:
        characters = _BASIC
        name_max = _SEPA_NAME_MAX if kind is PaymentType.SEPA else _NAME_MAX
    if not _clean(transfer.creditor.name, name_max, characters):
        _reject(source, f"{where}: the creditor has no name")
    _check_reference(source, where, transfer, characters)
    if kind is not PaymentType.DOMESTIC:
        _check_abroad(source, where, transfer, kind)
    if transfer.uetr is not None:
        if not _UETR.fullmatch(transfer.uetr):
            _reject(source, f"{where}: UETR {transfer.uetr!r} is not a lower-case UUID version 4")
        seen.check_unique("UETR", transfer.uetr)
    return kind


def _check_abroad(source: str, where: str, transfer: CreditTransfer, kind: PaymentType) -> None:
    """What a SEPA or cross-border payment needs beyond a domestic one."""
    address = transfer.creditor.address or _NO_ADDRESS
    if address.country is None:
        _reject(source, f"{where}: a {_KIND[kind]} payment needs the creditor's country")
    # A currency payment to a Norwegian account: its payee is in Norway (Ctry NO is enough).
    if kind is PaymentType.CROSS_BORDER and is_abroad(transfer.creditor_account, address.country):
        if not _clean(address.town or "", 35, _BASIC):
            _reject(source, f"{where}: a cross-border payment needs the creditor's town")
        if transfer.creditor_bic is None and not is_iban_like(
            compact_account(transfer.creditor_account)
        ):
            _reject(
                source,
                f"{where}: the account {transfer.creditor_account} is not an IBAN, so the "
                "payment needs the BIC of the creditor's bank (CdtrAgt)",
            )
    report = transfer.regulatory_report
    if report is not None:
        if not _REPORT_CODE.fullmatch(report.code):
            _reject(source, f"{where}: purpose code {report.code!r} is not 1-10 letters and digits")
        if not _clean(report.text, 35, _BASIC):
            _reject(source, f"{where}: the purpose for the Currency Register has no text")


_NO_ADDRESS = PostalAddress()


def _check_reference(
    source: str, where: str, transfer: CreditTransfer, characters: frozenset[str]
) -> None:
    kind = transfer.reference_type
    if kind is ReferenceType.KID:
        problem = kid_problem(transfer.reference)
        if problem is not None:
            _reject(source, f"{where}: {problem}")
    elif kind is not ReferenceType.EMPTY:
        if not _clean(transfer.reference, 140, characters):
            _reject(source, f"{where}: the {kind.value} reference is empty")


def _check_account(source: str, where: str, account: str, country: str | None = None) -> None:
    problem = account_problem(account, country)
    if problem is not None:
        _reject(source, f"{where}: {problem}")


def _check_bic(source: str, where: str, bic: str | None) -> None:
    if bic is not None and not is_bic(bic):
        _reject(source, f"{where}: {bic!r} is not a BIC (8 or 11 letters and digits)")


def _check_control_sum(source: str, total: Decimal, decimals: int) -> None:
    if len(_decimal_text(total, decimals).replace(".", "")) > _MAX_DIGITS:
        _reject(source, f"the control sum {total} has more than {_MAX_DIGITS} digits")


def _decimal_text(amount: Decimal, decimals: int) -> str:
    return f"{amount.quantize(Decimal(1).scaleb(-decimals)):f}"


def _amount_text(amount: Decimal, currency: str) -> str:
    # Exactly the currency's decimals. The check pass refuses amounts this would round, but takes
    # trailing zeros ("1250.0000" from the store is 1250.00 NOK), unlike money.quantize.
    return _decimal_text(amount, currency_exponent(currency))


# --- writing -------------------------------------------------------------------------------------

_INDENTS = ["\n" + "  " * depth for depth in range(32)]


class _Xml:
    """Indented elements of one namespace, written through lxml's incremental `xmlfile`.

    Plain classes rather than generator context managers: a payment has some 25 elements, and
    this is the loop that decides how long 100,000 payments take.
    """

    def __init__(self, xf: Any, namespace: str, shape: _Shape) -> None:
        self._element, self._write, self.flush = xf.element, xf.write, xf.flush
        self._namespace, self._prefix, self.shape = namespace, f"{{{namespace}}}", shape
        self._open: list[Any] = []
        # Made once per tag, not once per payment: fewer allocations, a faster loop.
        self._names: dict[str, str] = {}
        self._nodes: dict[str, _Node] = {}

    @contextmanager
    def root(self, tag: str) -> Iterator[None]:
        with self._element(self._prefix + tag, nsmap={None: self._namespace}):
            yield
            self._write("\n")

    def node(self, tag: str) -> _Node:
        node = self._nodes.get(tag)
        if node is None:
            node = self._nodes[tag] = _Node(self, tag)
        return node

    def _name(self, tag: str) -> str:
        name = self._names.get(tag)
        if name is None:
            name = self._names[tag] = self._prefix + tag
        return name

    def leaf(self, path: str, text: str, attrib: dict[str, str] | None = None) -> None:
        """Write `text` in the element at `path` ("A/B/C"), opening and closing its parents."""
        parents, tag = _split_path(path)
        for parent in parents:
            self.start(parent)
        self._write(_INDENTS[len(self._open)])
        with self._element(self._name(tag), attrib):
            self._write(text)
        for _ in parents:
            self.end()

    def start(self, tag: str) -> None:
        self._write(_INDENTS[len(self._open)])
        element = self._element(self._name(tag))
        element.__enter__()
        self._open.append(element)

    def end(self) -> None:
        element = self._open.pop()
        self._write(_INDENTS[len(self._open)])
        element.__exit__(None, None, None)


class _Node:
    """`with xml.node("Tag"):` opens an element for the children written inside the block."""

    __slots__ = ("_xml", "_tag")

    def __init__(self, xml: _Xml, tag: str) -> None:
        self._xml, self._tag = xml, tag

    def __enter__(self) -> None:
        self._xml.start(self._tag)

    def __exit__(self, *exc_info: object) -> None:
        self._xml.end()


@lru_cache(maxsize=64)
def _split_path(path: str) -> tuple[tuple[str, ...], str]:
    *parents, tag = path.split("/")
    return tuple(parents), tag


def _write_group_header(
    xml: _Xml, order: PaymentOrder, facts: _OrderFacts, profile: BankProfile
) -> None:
    with xml.node("GrpHdr"):
        xml.leaf("MsgId", order.message_id)
        xml.leaf("CreDtTm", order.created_at.isoformat(timespec="seconds"))
        xml.leaf("NbOfTxs", str(facts.count))
        xml.leaf("CtrlSum", facts.control_sum)
        with xml.node("InitgPty"):
            xml.leaf(
                "Nm",
                _clean(order.initiator.name, _NAME_MAX, profile.domestic_characters.characters),
            )
            if order.initiator.org_no is not None:
                # CUST: the organisation number as the bank knows its customer by (FORMATS.md §3).
                with xml.node("Id"), xml.node("OrgId"), xml.node("Othr"):
                    xml.leaf("Id", order.initiator.org_no)
                    xml.leaf("SchmeNm/Cd", "CUST")


def _write_block(
    xml: _Xml, debtor: Party, block: PaymentBlock, facts: _BlockFacts, profile: BankProfile
) -> None:
    with xml.node("PmtInf"):
        xml.leaf("PmtInfId", block.payment_info_id)
        xml.leaf("PmtMtd", "TRF")
        # One booking per payment, so each shows on the statement with its own reference.
        xml.leaf("BtchBookg", "false")
        xml.leaf("NbOfTxs", str(facts.count))
        xml.leaf("CtrlSum", _decimal_text(facts.total, facts.decimals))
        xml.leaf("PmtTpInf/SvcLvl/Cd", facts.service_level)
        xml.leaf(xml.shape.execution_date, block.execution_date.isoformat())
        xml.leaf("Dbtr/Nm", _clean(debtor.name, facts.name_max, facts.characters))
        with xml.node("DbtrAcct"):
            _write_account_id(xml, block.debtor_account, norwegian=True)
            if facts.account_currency is not None:
                xml.leaf("Ccy", facts.account_currency)
        with xml.node("DbtrAgt"), xml.node("FinInstnId"):
            if block.debtor_bic is not None:
                xml.leaf(xml.shape.bic, block.debtor_bic)
            else:  # a domestic block, where the profile allows it (checked)
                xml.leaf("Othr/Id", "NOTPROVIDED")
        xml.leaf("ChrgBr", facts.charge_bearer)
        for transfer in block.transfers:
            _write_transfer(xml, transfer, facts, profile.address_format)
            xml.flush()


def _write_transfer(
    xml: _Xml, transfer: CreditTransfer, facts: _BlockFacts, address_format: AddressFormat
) -> None:
    domestic = facts.kind is PaymentType.DOMESTIC
    amount = _amount_text(transfer.amount, transfer.currency)
    with xml.node("CdtTrfTxInf"):
        with xml.node("PmtId"):
            xml.leaf("InstrId", transfer.instruction_id)
            xml.leaf("EndToEndId", transfer.end_to_end_id)
            if transfer.uetr is not None and xml.shape.uetr:
                xml.leaf("UETR", transfer.uetr)
        xml.leaf("Amt/InstdAmt", amount, {"Ccy": transfer.currency})
        if transfer.creditor_bic is not None:
            xml.leaf(f"CdtrAgt/FinInstnId/{xml.shape.bic}", transfer.creditor_bic)
        creditor = transfer.creditor
        name = _clean(creditor.name, facts.name_max, facts.characters)
        if creditor.address is None:
            xml.leaf("Cdtr/Nm", name)
        else:
            with xml.node("Cdtr"):
                xml.leaf("Nm", name)
                _write_address(xml, creditor.address, facts.characters, address_format)
        with xml.node("CdtrAcct"):
            # A non-IBAN account is a Norwegian BBAN, unless the creditor's country says it is a
            # foreign account number (which has no scheme a Norwegian bank knows).
            country = None if creditor.address is None else creditor.address.country
            _write_account_id(xml, transfer.creditor_account, norwegian=country in (None, "NO"))
        report = transfer.regulatory_report
        if report is not None and not domestic:
            # The purpose the Currency Register needs above NOK 100,000: "what the transfer
            # concerns and its payment type" (valutaregisterforskriften § 9 nr. 5), which DNB and
            # Nordea ask for as a payment-type code of the Tax Administration's list and a short
            # text, also in payment files (their Currency Register pages). Where in pain.001: Cd
            # and Inf of one Dtls, the elements made for a code and its text. Not confirmed in a
            # bank's guide: the sections that say (BSK's "3.1.3 Myndighetsrapportering", Nordea's
            # Appendix Norway 2.2, Danske Bank's MIG appendix I) could not be read; nor whether
            # DbtCdtRptgInd or Authrty is wanted, so neither is written.
            with xml.node("RgltryRptg"), xml.node("Dtls"):
                xml.leaf("Cd", report.code)
                xml.leaf("Inf", _clean(report.text, 35, _BASIC))
        _write_remittance(xml, transfer, facts.characters, domestic=domestic)


# PstlAdr's structured elements, in the schema's order, with their lengths.
_ADDRESS_PARTS = (("StrtNm", 70), ("BldgNb", 16), ("PstCd", 16), ("TwnNm", 35))


def _write_address(
    xml: _Xml, address: PostalAddress, characters: frozenset[str], address_format: AddressFormat
) -> None:
    """`PstlAdr` with what is known of `address`; nothing where nothing is."""
    values = (address.street, address.building_no, address.post_code, address.town)
    if address_format is AddressFormat.STRUCTURED:
        parts = [
            (tag, _clean(value, limit, characters))
            for (tag, limit), value in zip(_ADDRESS_PARTS, values, strict=True)
            if value
        ]
        parts = [(tag, text) for tag, text in parts if text]
        if address.country is not None:
            parts.append(("Ctry", address.country))
    else:  # Ctry, then "street building" and "post code town" as address lines
        street, building, post_code, town = (value or "" for value in values)
        parts = [("Ctry", address.country)] if address.country is not None else []
        for line in (f"{street} {building}", f"{post_code} {town}"):
            text = _clean(line, 70, characters)
            if text:
                parts.append(("AdrLine", text))
    if parts:
        with xml.node("PstlAdr"):
            for tag, text in parts:
                xml.leaf(tag, text)


def _write_account_id(xml: _Xml, account: str, *, norwegian: bool) -> None:
    compact = compact_account(account)
    with xml.node("Id"):
        if is_iban_like(compact):
            xml.leaf("IBAN", compact)
        else:
            with xml.node("Othr"):
                xml.leaf("Id", compact)
                if norwegian:
                    xml.leaf("SchmeNm/Cd", "BBAN")


def _write_remittance(
    xml: _Xml, transfer: CreditTransfer, characters: frozenset[str], *, domestic: bool
) -> None:
    kind = transfer.reference_type
    if kind is ReferenceType.EMPTY:
        return
    if kind is ReferenceType.KID:
        with xml.node("RmtInf"), xml.node("Strd"), xml.node("CdtrRefInf"):
            xml.leaf("Tp/CdOrPrtry/Cd", "SCOR")
            xml.leaf("Ref", transfer.reference.strip())
        return
    text = _clean(transfer.reference, 140, characters)
    if kind is ReferenceType.INVOICE and len(text) <= 35:
        with xml.node("RmtInf"), xml.node("Strd"), xml.node("RfrdDocInf"):
            xml.leaf("Tp/CdOrPrtry/Cd", "CINV")
            xml.leaf("Nb", text)
        return
    # Free text, and invoice numbers too long for Nb (FORMATS.md §3 fallback).
    if kind is ReferenceType.INVOICE:
        text = _clean(f"{'Faktura' if domestic else 'Invoice'} {text}", 140, characters)
    xml.leaf("RmtInf/Ustrd", text)
