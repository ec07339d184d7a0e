"""camt.054 notifications: read what was booked on our accounts; write them for the sandbox bank.

Reading (`read_camt054`) takes camt.054.001.02, .08 and versions of the same shape (.04, ...), by
local names, as a stream: the header at once, then one `Entry` per `Ntry`, each dropped from the
tree once read, so memory stays flat however long the file (FORMATS.md §6 for the paths):

- account: the `Ntfctn/Acct/Id` (`IBAN`, else `Othr/Id`) of the notification holding the entry;
- status: `Sts` (v02) or `Sts/Cd` / `Sts/Prtry` (v08); dates: `BookgDt`/`ValDt` as `Dt` or `DtTm`;
- batch: the first `NtryDtls/Btch` (`MsgId`, `PmtInfId`);
- per `TxDtls`: `Refs` ids; amount from `AmtDtls/TxAmt/Amt`, else `Amt` (v04+), else
  `AmtDtls/InstdAmt/Amt`; `kid` is the first `RmtInf/Strd/CdtrRefInf/Ref` whatever its type (KID,
  SCOR, RF, ...); `message` joins the `Ustrd` lines with a space; payer name `Dbtr/Nm` (v02) or
  `Dbtr/Pty/Nm` (v08); payer account as for the account; `RtrInf/Rsn/Cd` (or `Prtry`).

Amounts are `Decimal`, never float. Writing (`write_camt054`) streams a valid camt.054.001.02 with
`lxml.etree.xmlfile`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from itertools import chain, groupby
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, BinaryIO

from lxml import etree

from paybot.core.bankfiles.model import Entry, EntryTransaction, Notification
from paybot.core.bankfiles.safe_xml import (
    Element,
    XmlData,
    XmlStream,
    bounded,
    date_or_datetime,
    each,
    first,
    group_header,
    rejected,
    to_decimal,
)

if TYPE_CHECKING:
    from paybot.core.bankfiles.safe_xml import XmlWriter

FAMILY = "camt.054"
NS_V02 = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"
ENTRY_STATUSES = frozenset({"BOOK", "PDNG", "INFO"})
DIRECTIONS = frozenset({"CRDT", "DBIT"})
_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[a-zA-Z0-9]{1,30}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_PLAIN_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


# --- reading ----------------------------------------------------------------------------------


def read_camt054(source: str, data: XmlData) -> tuple[Notification, Iterator[Entry]]:
    """The notification's header now, and its entries one by one; `source` names the file.

    The byte scan (DTDs/entities), the file kind and the header are checked before this returns;
    a problem further down (malformed XML, an amount that is not a number, a missing required
    field) raises `BankFileRejected` during iteration: apply a file's entries all or nothing.
    """
    stream = XmlStream(
        source,
        data,
        message="BkToCstmrDbtCdtNtfctn",
        family=FAMILY,
        ends=("GrpHdr", "Ntfctn", "Ntry"),
    )
    return _header(stream), _entries(stream)


def _header(stream: XmlStream) -> Notification:
    message_id, created_at = group_header(stream)
    return Notification(message_id, created_at, stream.kind.version or FAMILY)


def _entries(stream: XmlStream) -> Iterator[Entry]:
    notification: Element | None = None  # the Ntfctn whose entries are being read
    account: str | None = None
    source = stream.source
    for _, name, element in stream:
        if name != "Ntry":
            continue  # a Ntfctn's end (its entries were read before) or a stray GrpHdr
        parent = element.getparent()
        if parent is not notification:
            notification, account = parent, _account(_parts(parent).get("Acct"))
        yield _entry(source, element, account)


# Reading an entry costs mostly Python objects per element: each element is visited once, by a
# single pass over its parent's children (`_parts`), and local names come from a small cache.
_LOCAL_NAMES: dict[str, str] = {}
_MAX_LOCAL_NAMES = 512  # a hostile file's endless distinct tags must not grow the cache


def _parts(element: Element | None) -> Mapping[str, Element]:
    """Local name -> first child of that name (as safe_xml's `children`, names cached)."""
    if element is None:
        return _NONE
    found: dict[str, Element] = {}
    names = _LOCAL_NAMES
    for child in element:
        tag = child.tag
        if type(tag) is str:  # not a comment or processing instruction
            name = names.get(tag)
            if name is None:
                name = tag[tag.find("}") + 1 :]
                if len(names) < _MAX_LOCAL_NAMES:
                    names[tag] = name
            found.setdefault(name, child)
    return found


_NONE: Mapping[str, Element] = MappingProxyType({})


def _text(element: Element | None) -> str | None:
    """Stripped text of `element`; None if absent or empty."""
    if element is None:
        return None
    value = element.text
    return (value.strip() or None) if value is not None else None


def _account(holder: Element | None) -> str | None:
    """`Acct`, `DbtrAcct`, …: `Id/IBAN`, else `Id/Othr/Id` (a BBAN or other number)."""
    ids = _parts(_parts(holder).get("Id"))
    return _text(ids.get("IBAN")) or _text(_parts(ids.get("Othr")).get("Id"))


def _status(status: Element | None) -> str | None:
    """`Sts` (v02) or `Sts/Cd`, `Sts/Prtry` (v08)."""
    if status is None or len(status) == 0:
        return _text(status)
    codes = _parts(status)
    return _text(codes.get("Cd")) or _text(codes.get("Prtry"))


def _date(source: str, holder: Element | None) -> date | None:
    """A `Dt` / `DtTm` choice (BookgDt, ValDt); the common lone `<Dt>YYYY-MM-DD</Dt>` directly,
    anything else (and any error) by `date_or_datetime`."""
    if holder is None:
        return None
    if len(holder) == 1:
        day = holder[0]
        raw = day.text
        if raw and _PLAIN_DATE.fullmatch(raw) and str(day.tag).rpartition("}")[2] == "Dt":
            try:
                return date.fromisoformat(raw)
            except ValueError:
                pass  # date_or_datetime says what is wrong, and where
    return date_or_datetime(source, holder)


def _amount(source: str, element: Element) -> Decimal:
    try:
        value = Decimal((element.text or "").strip())
    except InvalidOperation:
        return to_decimal(source, element)  # refuses it, naming the field and the line
    return value if value.is_finite() else to_decimal(source, element)


def _entry(source: str, element: Element, account: str | None) -> Entry:
    parts = _parts(element)
    amount = parts.get("Amt")
    currency = (amount.get("Ccy") or "").strip() if amount is not None else ""
    status, direction = _status(parts.get("Sts")), _text(parts.get("CdtDbtInd"))
    if amount is None or not currency or status is None or direction is None:
        problem = "<Ntry> needs <Amt Ccy=...>, <CdtDbtInd> and <Sts>"
        raise rejected(source, element, problem)
    details = list(each(element, "NtryDtls")) if "NtryDtls" in parts else []
    batch = next((b for b in (first(d, "Btch") for d in details) if b is not None), None)
    batch_ids = _parts(batch)
    return Entry(
        account,
        _amount(source, amount),
        currency,
        direction,
        status,
        _date(source, parts.get("BookgDt")),
        _date(source, parts.get("ValDt")),
        _text(parts.get("AcctSvcrRef")),
        _text(parts.get("RvslInd")) in ("true", "1"),
        _text(batch_ids.get("MsgId")),
        _text(batch_ids.get("PmtInfId")),
        tuple(_transaction(source, tx) for part in details for tx in each(part, "TxDtls")),
    )


def _transaction(source: str, element: Element) -> EntryTransaction:
    parts = _parts(element)
    refs = _parts(parts.get("Refs"))
    amount = _transaction_amount(parts)
    parties = _parts(parts.get("RltdPties"))
    debtor = _parts(parties.get("Dbtr"))
    reason = _parts(_parts(parts.get("RtrInf")).get("Rsn"))
    remittance = parts.get("RmtInf")
    return EntryTransaction(
        _text(refs.get("EndToEndId")),
        _text(refs.get("InstrId")),
        _text(refs.get("PmtInfId")),
        _text(refs.get("MsgId")),
        _amount(source, amount) if amount is not None else None,
        (amount.get("Ccy") or "").strip() or None if amount is not None else None,
        _creditor_reference(remittance),
        _unstructured(remittance),
        _text(debtor.get("Nm")) or _text(_parts(debtor.get("Pty")).get("Nm")),
        _account(parties.get("DbtrAcct")),
        _text(reason.get("Cd")) or _text(reason.get("Prtry")),
    )


def _transaction_amount(parts: Mapping[str, Element]) -> Element | None:
    """`AmtDtls/TxAmt/Amt`, else `Amt` (v04 and later), else `AmtDtls/InstdAmt/Amt`."""
    details = _parts(parts.get("AmtDtls"))
    for found in (_parts(details.get("TxAmt")).get("Amt"), parts.get("Amt")):
        if found is not None:
            return found
    return _parts(details.get("InstdAmt")).get("Amt")


def _creditor_reference(remittance: Element | None) -> str | None:
    if remittance is None:
        return None
    refs = (_text(_parts(_parts(s).get("CdtrRefInf")).get("Ref")) for s in each(remittance, "Strd"))
    return next((ref for ref in refs if ref is not None), None)


def _unstructured(remittance: Element | None) -> str | None:
    if remittance is None:
        return None
    lines = [line for line in map(_text, each(remittance, "Ustrd")) if line is not None]
    return " ".join(lines) or None


# --- writing ----------------------------------------------------------------------------------


def write_camt054(
    target: Path | BinaryIO, notification: Notification, entries: Iterable[Entry]
) -> None:
    """Stream a valid camt.054.001.02 to `target` (a path or a binary file).

    `entries` (any iterable, read once) is written in order; consecutive entries on the same
    `account` share one `Ntfctn` (an IBAN as `Acct/Id/IBAN`, anything else as `Othr/Id` with
    scheme BBAN). `BkTxCd` is PMNT/ICDT/DMCT for debits and PMNT/RCDT/DMCT for credits. A
    transaction amount without a currency takes the entry's; a `kid` becomes a SCOR reference.

    Raises:
        ValueError: a value camt.054.001.02 cannot hold (no entries, no `created_at`, no
            account, a negative amount or one with more than 5 decimals, a status other than
            BOOK/PDNG/INFO, a text too long, ...). The target then holds a partial file.
    """
    if notification.created_at is None:
        raise ValueError("a camt.054 needs created_at")
    message_id = bounded(notification.message_id, 35, "MsgId")
    created = notification.created_at.isoformat()
    entries = iter(entries)
    head = next(entries, None)
    if head is None:
        raise ValueError("a camt.054 needs at least one entry (its Ntfctn needs an account)")
    entries = chain((head,), entries)
    output = str(target) if isinstance(target, Path) else target
    with etree.xmlfile(output, encoding="UTF-8") as xf:
        xf.write_declaration()
        with xf.element(_q("Document"), nsmap={None: NS_V02}):
            with xf.element(_q("BkToCstmrDbtCdtNtfctn")):
                with xf.element(_q("GrpHdr")):
                    _leaf(xf, "MsgId", value=message_id)
                    _leaf(xf, "CreDtTm", value=created)
                for number, (account, group) in enumerate(groupby(entries, _account_of), 1):
                    with xf.element(_q("Ntfctn")):
                        _leaf(xf, "Id", value=f"{message_id[:28]}-{number}")
                        _leaf(xf, "CreDtTm", value=created)
                        _write_account(xf, "Acct", account)
                        for entry in group:
                            _write_entry(xf, entry)


def _q(name: str) -> str:
    return f"{{{NS_V02}}}{name}"


def _leaf(xf: XmlWriter, *path: str, value: str, currency: str | None = None) -> None:
    """`<a><b>value</b></a>` for the path (a, b); `currency` becomes the last one's Ccy."""
    if len(path) > 1:
        with xf.element(_q(path[0])):
            _leaf(xf, *path[1:], value=value, currency=currency)
        return
    with xf.element(_q(path[0]), None if currency is None else {"Ccy": currency}):
        xf.write(value)


def _account_of(entry: Entry) -> str:
    if entry.account is None:
        raise ValueError("every entry needs the account it was booked on")
    return entry.account


def _write_account(xf: XmlWriter, tag: str, account: str) -> None:
    with xf.element(_q(tag)), xf.element(_q("Id")):
        if _IBAN.fullmatch(account):
            _leaf(xf, "IBAN", value=account)
            return
        with xf.element(_q("Othr")):
            _leaf(xf, "Id", value=bounded(account, 34, "account"))
            _leaf(xf, "SchmeNm", "Cd", value="BBAN")


def _amount_text(amount: Decimal) -> str:
    """At least 0, at most 5 decimals and 18 digits (XSD); trailing zeros beyond 5 dropped."""
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"amount must be a finite number, at least 0: {amount}")
    if int(amount.as_tuple().exponent) < -5:  # finite, so the exponent is an int
        amount = amount.normalize()
    _, digits, exponent = amount.as_tuple()
    if int(exponent) < -5 or len(digits) > 18:
        raise ValueError(f"amount needs at most 5 decimals and 18 digits: {amount}")
    return format(amount, "f")


def _write_amount(xf: XmlWriter, *path: str, amount: Decimal, currency: str) -> None:
    if not _CURRENCY.fullmatch(currency):
        raise ValueError(f"currency must be three capitals: {currency!r}")
    _leaf(xf, *path, "Amt", value=_amount_text(amount), currency=currency)


def _write_entry(xf: XmlWriter, entry: Entry) -> None:
    if entry.status not in ENTRY_STATUSES or entry.direction not in DIRECTIONS:
        raise ValueError(f"entry status/direction {entry.status}/{entry.direction} not allowed")
    with xf.element(_q("Ntry")):
        _write_amount(xf, amount=entry.amount, currency=entry.currency)
        _leaf(xf, "CdtDbtInd", value=entry.direction)
        if entry.reversal:
            _leaf(xf, "RvslInd", value="true")
        _leaf(xf, "Sts", value=entry.status)
        for tag, day in (("BookgDt", entry.booking_date), ("ValDt", entry.value_date)):
            if day is not None:
                _leaf(xf, tag, "Dt", value=day.isoformat())
        if entry.bank_reference is not None:
            _leaf(xf, "AcctSvcrRef", value=bounded(entry.bank_reference, 35, "AcctSvcrRef"))
        with xf.element(_q("BkTxCd")), xf.element(_q("Domn")):
            _leaf(xf, "Cd", value="PMNT")
            with xf.element(_q("Fmly")):
                _leaf(xf, "Cd", value="ICDT" if entry.direction == "DBIT" else "RCDT")
                _leaf(xf, "SubFmlyCd", value="DMCT")
        batch = entry.batch_message_id is not None or entry.batch_payment_info_id is not None
        if batch or entry.transactions:
            with xf.element(_q("NtryDtls")):
                if batch:
                    _write_batch(xf, entry)
                for transaction in entry.transactions:
                    _write_transaction(xf, transaction, entry.currency)


def _write_batch(xf: XmlWriter, entry: Entry) -> None:
    with xf.element(_q("Btch")):
        if entry.batch_message_id is not None:
            _leaf(xf, "MsgId", value=bounded(entry.batch_message_id, 35, "Btch/MsgId"))
        if entry.batch_payment_info_id is not None:
            info_id = bounded(entry.batch_payment_info_id, 35, "Btch/PmtInfId")
            _leaf(xf, "PmtInfId", value=info_id)
        if entry.transactions:
            _leaf(xf, "NbOfTxs", value=str(len(entry.transactions)))


def _write_transaction(xf: XmlWriter, tx: EntryTransaction, currency: str) -> None:
    """One `TxDtls`, its parts in XSD order: Refs, AmtDtls, RltdPties, RmtInf, RtrInf."""
    with xf.element(_q("TxDtls")):
        refs = (
            ("MsgId", tx.message_id),
            ("PmtInfId", tx.payment_info_id),
            ("InstrId", tx.instruction_id),
            ("EndToEndId", tx.end_to_end_id),
        )
        if any(value is not None for _, value in refs):
            with xf.element(_q("Refs")):
                for tag, value in refs:
                    if value is not None:
                        _leaf(xf, tag, value=bounded(value, 35, tag))
        if tx.amount is not None:
            _write_amount(
                xf, "AmtDtls", "TxAmt", amount=tx.amount, currency=tx.currency or currency
            )
        _write_parties(xf, tx)
        _write_remittance(xf, tx)
        if tx.return_reason is not None:
            code = bounded(tx.return_reason, 35, "return reason")
            _leaf(xf, "RtrInf", "Rsn", "Cd" if len(code) <= 4 else "Prtry", value=code)


def _write_parties(xf: XmlWriter, tx: EntryTransaction) -> None:
    if tx.debtor_name is None and tx.debtor_account is None:
        return
    with xf.element(_q("RltdPties")):
        if tx.debtor_name is not None:
            _leaf(xf, "Dbtr", "Nm", value=bounded(tx.debtor_name, 140, "Dbtr/Nm"))
        if tx.debtor_account is not None:
            _write_account(xf, "DbtrAcct", tx.debtor_account)


def _write_remittance(xf: XmlWriter, tx: EntryTransaction) -> None:
    if tx.message is None and tx.kid is None:
        return
    with xf.element(_q("RmtInf")):
        if tx.message is not None:
            _leaf(xf, "Ustrd", value=bounded(tx.message, 140, "Ustrd"))
        if tx.kid is not None:
            with xf.element(_q("Strd")), xf.element(_q("CdtrRefInf")):
                _leaf(xf, "Tp", "CdOrPrtry", "Cd", value="SCOR")
                _leaf(xf, "Ref", value=bounded(tx.kid, 35, "CdtrRefInf/Ref"))
