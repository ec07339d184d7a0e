"""pain.001 credit-transfer orders (pain.001.001.03 and .09), streamed one transaction at a time.

Norwegian mapping (FORMATS.md §3): a BBAN goes in `Othr/Id` with `SchmeNm/Cd` BBAN, a KID is a
structured creditor reference (SCOR), an invoice number a referred document (CINV), free text
`Ustrd`. The whole order is checked before the first byte is written, so a refused order leaves
`out` untouched; the XML itself is never held in memory, only the order's objects are.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any, BinaryIO, NoReturn

from lxml import etree  # type: ignore[import-untyped, unused-ignore]  # stubs: types-lxml

from paybot.core.bankfiles.model import (
    BankFileRejected,
    CreditTransfer,
    Pain001Version,
    Party,
    PaymentBlock,
    PaymentOrder,
)
from paybot.core.identifiers import account_problem, compact_account, is_iban_like, kid_problem
from paybot.core.money import AmountError, check_size, currency_exponent, is_iso_currency
from paybot.core.payments import ReferenceType

# MsgId, PmtInfId, InstrId, EndToEndId: 1-35 characters of the set every bank accepts (§4).
_ID = re.compile(r"[A-Za-z0-9/\-?:().,'+ ]{1,35}")
_BIC = re.compile(r"[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?")
# CtrlSum is an xs:decimal of at most 18 digits.
_MAX_DIGITS = 18

_BASIC = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,'+ ")
_NORDIC = "áäçđéíóöúüýæøå"
# Domestic and Nordic payments may also carry these (BSK appendix, FORMATS.md §4).
_DOMESTIC = _BASIC | frozenset(_NORDIC + _NORDIC.upper() + "ß%&=@§")
# Spelled out rather than stripped: "Ærlig" must not become "rlig", and "Bø" reads better as "Boe".
_SPELLED = {
    "æ": "ae", "Æ": "AE", "ø": "oe", "Ø": "OE", "å": "aa", "Å": "AA", "ß": "ss",
    "đ": "d", "Đ": "D", "&": "+", "‘": "'", "’": "'", "“": "'", "”": "'", '"': "'",
    "–": "-", "—": "-", "_": "-",
}  # fmt: skip


def clean_text(text: str, max_len: int, *, domestic: bool = True) -> str:
    """Text reduced to what banks accept (BSK character set), whitespace collapsed, cut to max_len.

    Domestic payments keep Norwegian and Nordic letters; for others they are spelled out (æ → ae)
    or lose their accents (é → e). Any other character becomes a space.
    """
    allowed = _DOMESTIC if domestic else _BASIC
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
    charge_bearer: str
    domestic: bool  # all transfers to Norwegian accounts in NOK


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


_SHAPES = {
    Pain001Version.V03: _Shape(bic="BIC", execution_date="ReqdExctnDt"),
    Pain001Version.V09: _Shape(bic="BICFI", execution_date="ReqdExctnDt/Dt"),
}


def write_pain001(
    order: PaymentOrder, out: BinaryIO, version: Pain001Version = Pain001Version.V03
) -> Pain001Summary:
    """Write `order` as a pain.001 document to `out`, element by element.

    Args:
        order: the payments, grouped in blocks (one PmtInf each).
        out: a binary stream; flushed after every transaction, never closed.
        version: pain.001.001.03 (what Norwegian banks document) or .09.

    Returns:
        The message id, number of transactions and control sum written in the group header.

    Raises:
        BankFileRejected: an id, amount, account, BIC, KID or name a bank would refuse; nothing
            has been written then.
    """
    facts = _check_order(order)
    out.write(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    with etree.xmlfile(out, encoding="utf-8") as xf:
        xml = _Xml(xf, f"urn:iso:std:iso:20022:tech:xsd:{version.value}", _SHAPES[version])
        with xml.root("Document"), xml.node("CstmrCdtTrfInitn"):
            _write_group_header(xml, order, facts)
            for block, block_facts in zip(order.blocks, facts.blocks, strict=True):
                _write_block(xml, order.debtor, block, block_facts)
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
            used = self._ids.setdefault(field, set())
            if value in used:
                _reject(self.source, f"{field} {value!r} appears twice in the file")
            used.add(value)


def _reject(source: str, problem: str) -> NoReturn:
    raise BankFileRejected(source=source, problem=problem)


def _check_order(order: PaymentOrder) -> _OrderFacts:
    seen = _Seen(order.message_id)
    seen.check_id("MsgId", order.message_id)
    if order.created_at.utcoffset() is None:
        _reject(seen.source, "CreDtTm needs a time zone (created_at is naive)")
    _check_party(seen, "InitgPty", order.initiator, domestic=True)
    if not order.blocks:
        _reject(seen.source, "an order needs at least one payment block")
    blocks = tuple(_check_block(seen, block) for block in order.blocks)
    for block in blocks:
        _check_party(seen, "Dbtr", order.debtor, domestic=block.domestic)
    total = sum((block.total for block in blocks), Decimal(0))
    decimals = max(block.decimals for block in blocks)
    _check_control_sum(seen.source, total, decimals)
    count = sum(block.count for block in blocks)
    return _OrderFacts(count, _decimal_text(total, decimals), blocks)


def _check_party(seen: _Seen, role: str, party: Party, *, domestic: bool) -> None:
    if not clean_text(party.name, 140, domestic=domestic):
        _reject(seen.source, f"{role} has no name")
    if party.org_no is not None:
        seen.check_id(f"{role} organisation number", party.org_no, unique=False)


def _check_block(seen: _Seen, block: PaymentBlock) -> _BlockFacts:
    seen.check_id("PmtInfId", block.payment_info_id)
    where = f"PmtInf {block.payment_info_id}"
    _check_account(seen.source, where, block.debtor_account)
    _check_bic(seen.source, where, block.debtor_bic)
    if not block.transfers:
        _reject(seen.source, f"{where} has no transfers")
    total, decimals, currencies = Decimal(0), 2, set[str]()
    domestic = all_iban = True
    for transfer in block.transfers:
        _check_transfer(seen, transfer)
        total += transfer.amount
        decimals = max(decimals, currency_exponent(transfer.currency))
        currencies.add(transfer.currency)
        domestic = domestic and _is_domestic(transfer)
        all_iban = all_iban and is_iban_like(compact_account(transfer.creditor_account))
    _check_control_sum(seen.source, total, decimals)
    currency = currencies.pop() if len(currencies) == 1 else None
    bearer = _charge_bearer(domestic=domestic, all_iban=all_iban, currency=currency)
    account_currency = _account_currency(block.debtor_account, currency)
    return _BlockFacts(len(block.transfers), total, decimals, account_currency, bearer, domestic)


def _account_currency(account: str, currency: str | None) -> str | None:
    # Ccy is the currency the account is held in; banks use it to pick a sub-account and decide on
    # conversion, so "EUR" for a NOK account paying in EUR would be wrong. The model does not know
    # the account's currency: claim NOK only for a Norwegian account paying only NOK.
    compact = compact_account(account)
    norwegian = not is_iban_like(compact) or compact.startswith("NO")
    return "NOK" if norwegian and currency == "NOK" else None


def _charge_bearer(*, domestic: bool, all_iban: bool, currency: str | None) -> str:
    # Domestic: the payer pays its own bank (DEBT, the usual Norwegian setting). SEPA-shaped (all
    # IBAN, all EUR): the scheme's rules (SLEV). Other cross-border: each side pays its own bank.
    if domestic:
        return "DEBT"
    if all_iban and currency == "EUR":
        return "SLEV"
    return "SHAR"


def _check_transfer(seen: _Seen, transfer: CreditTransfer) -> None:
    seen.check_id("EndToEndId", transfer.end_to_end_id)
    seen.check_id("InstrId", transfer.instruction_id)
    where = f"EndToEndId {transfer.end_to_end_id}"
    if not is_iso_currency(transfer.currency):
        _reject(seen.source, f"{where}: {transfer.currency!r} is not an ISO 4217 currency")
    if not transfer.amount.is_finite() or transfer.amount <= 0:
        _reject(seen.source, f"{where}: the amount {transfer.amount} must be above zero")
    try:
        check_size(transfer.amount)
    except AmountError as exc:
        _reject(seen.source, f"{where}: {exc}")
    if Decimal(_amount_text(transfer.amount, transfer.currency)) != transfer.amount:
        _reject(seen.source, f"{where}: {transfer.amount} is finer than {transfer.currency} allows")
    _check_account(seen.source, where, transfer.creditor_account)
    _check_bic(seen.source, where, transfer.creditor_bic)
    domestic = _is_domestic(transfer)
    if not clean_text(transfer.creditor.name, 140, domestic=domestic):
        _reject(seen.source, f"{where}: the creditor has no name")
    _check_reference(seen.source, where, transfer, domestic=domestic)


def _check_reference(source: str, where: str, transfer: CreditTransfer, *, domestic: bool) -> None:
    kind = transfer.reference_type
    if kind is ReferenceType.KID:
        problem = kid_problem(transfer.reference)
        if problem is not None:
            _reject(source, f"{where}: {problem}")
    elif kind is not ReferenceType.EMPTY:
        if not clean_text(transfer.reference, 140, domestic=domestic):
            _reject(source, f"{where}: the {kind.value} reference is empty")


def _check_account(source: str, where: str, account: str) -> None:
    problem = account_problem(account)
    if problem is not None:
        _reject(source, f"{where}: {problem}")


def _check_bic(source: str, where: str, bic: str | None) -> None:
    if bic is not None and not _BIC.fullmatch(bic):
        _reject(source, f"{where}: {bic!r} is not a BIC (8 or 11 letters and digits)")


def _check_control_sum(source: str, total: Decimal, decimals: int) -> None:
    if len(_decimal_text(total, decimals).replace(".", "")) > _MAX_DIGITS:
        _reject(source, f"the control sum {total} has more than {_MAX_DIGITS} digits")


def _is_domestic(transfer: CreditTransfer) -> bool:
    account = compact_account(transfer.creditor_account)
    return transfer.currency == "NOK" and (not is_iban_like(account) or account.startswith("NO"))


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


def _write_group_header(xml: _Xml, order: PaymentOrder, facts: _OrderFacts) -> None:
    with xml.node("GrpHdr"):
        xml.leaf("MsgId", order.message_id)
        xml.leaf("CreDtTm", order.created_at.isoformat(timespec="seconds"))
        xml.leaf("NbOfTxs", str(facts.count))
        xml.leaf("CtrlSum", facts.control_sum)
        with xml.node("InitgPty"):
            xml.leaf("Nm", clean_text(order.initiator.name, 140))
            if order.initiator.org_no is not None:
                # CUST: the organisation number as the bank knows its customer by (FORMATS.md §3).
                with xml.node("Id"), xml.node("OrgId"), xml.node("Othr"):
                    xml.leaf("Id", order.initiator.org_no)
                    xml.leaf("SchmeNm/Cd", "CUST")


def _write_block(xml: _Xml, debtor: Party, block: PaymentBlock, facts: _BlockFacts) -> None:
    with xml.node("PmtInf"):
        xml.leaf("PmtInfId", block.payment_info_id)
        xml.leaf("PmtMtd", "TRF")
        # One booking per payment, so each shows on the statement with its own reference.
        xml.leaf("BtchBookg", "false")
        xml.leaf("NbOfTxs", str(facts.count))
        xml.leaf("CtrlSum", _decimal_text(facts.total, facts.decimals))
        xml.leaf("PmtTpInf/SvcLvl/Cd", "NURG")
        xml.leaf(xml.shape.execution_date, block.execution_date.isoformat())
        xml.leaf("Dbtr/Nm", clean_text(debtor.name, 140, domestic=facts.domestic))
        with xml.node("DbtrAcct"):
            _write_account_id(xml, block.debtor_account)
            if facts.account_currency is not None:
                xml.leaf("Ccy", facts.account_currency)
        with xml.node("DbtrAgt"), xml.node("FinInstnId"):
            if block.debtor_bic is not None:
                xml.leaf(xml.shape.bic, block.debtor_bic)
            else:
                xml.leaf("Othr/Id", "NOTPROVIDED")
        xml.leaf("ChrgBr", facts.charge_bearer)
        for transfer in block.transfers:
            _write_transfer(xml, transfer)
            xml.flush()


def _write_transfer(xml: _Xml, transfer: CreditTransfer) -> None:
    domestic = _is_domestic(transfer)
    amount = _amount_text(transfer.amount, transfer.currency)
    with xml.node("CdtTrfTxInf"):
        with xml.node("PmtId"):
            xml.leaf("InstrId", transfer.instruction_id)
            xml.leaf("EndToEndId", transfer.end_to_end_id)
        xml.leaf("Amt/InstdAmt", amount, {"Ccy": transfer.currency})
        if transfer.creditor_bic is not None:
            xml.leaf(f"CdtrAgt/FinInstnId/{xml.shape.bic}", transfer.creditor_bic)
        xml.leaf("Cdtr/Nm", clean_text(transfer.creditor.name, 140, domestic=domestic))
        with xml.node("CdtrAcct"):
            _write_account_id(xml, transfer.creditor_account)
        _write_remittance(xml, transfer, domestic=domestic)


def _write_account_id(xml: _Xml, account: str) -> None:
    compact = compact_account(account)
    with xml.node("Id"):
        if is_iban_like(compact):
            xml.leaf("IBAN", compact)
        else:
            with xml.node("Othr"):
                xml.leaf("Id", compact)
                xml.leaf("SchmeNm/Cd", "BBAN")


def _write_remittance(xml: _Xml, transfer: CreditTransfer, *, domestic: bool) -> None:
    kind = transfer.reference_type
    if kind is ReferenceType.EMPTY:
        return
    if kind is ReferenceType.KID:
        with xml.node("RmtInf"), xml.node("Strd"), xml.node("CdtrRefInf"):
            xml.leaf("Tp/CdOrPrtry/Cd", "SCOR")
            xml.leaf("Ref", transfer.reference.strip())
        return
    text = clean_text(transfer.reference, 140, domestic=domestic)
    if kind is ReferenceType.INVOICE and len(text) <= 35:
        with xml.node("RmtInf"), xml.node("Strd"), xml.node("RfrdDocInf"):
            xml.leaf("Tp/CdOrPrtry/Cd", "CINV")
            xml.leaf("Nb", text)
        return
    # Free text, and invoice numbers too long for Nb (FORMATS.md §3 fallback).
    if kind is ReferenceType.INVOICE:
        text = clean_text(f"{'Faktura' if domestic else 'Invoice'} {text}", 140, domestic=domestic)
    xml.leaf("RmtInf/Ustrd", text)
