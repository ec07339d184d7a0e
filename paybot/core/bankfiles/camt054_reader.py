"""Reading camt.054 notifications: what was booked on our accounts, one entry at a time.

`read_camt054` takes camt.054.001.02, .08 and versions of the same shape (.04, ...), by local
names, as a stream: the header at once, then one `Entry` per `Ntry`, each dropped from the tree
once read, so memory stays flat however long the file (FORMATS.md §6 for the paths):

- account: the `Ntfctn/Acct/Id` (`IBAN`, else `Othr/Id`) of the notification holding the entry;
- status: `Sts` (v02) or `Sts/Cd` / `Sts/Prtry` (v08); dates: `BookgDt`/`ValDt` as `Dt` or `DtTm`;
- batch: the first `NtryDtls/Btch` (`MsgId`, `PmtInfId`);
- per `TxDtls`: `Refs` ids; amount from `AmtDtls/TxAmt/Amt`, else `Amt` (v04+), else
  `AmtDtls/InstdAmt/Amt`; `kid` is the first `RmtInf/Strd/CdtrRefInf/Ref` whatever its type (KID,
  SCOR, RF, ...); `message` joins the `Ustrd` lines with a space; payer name `Dbtr/Nm` (v02) or
  `Dbtr/Pty/Nm` (v08); payer account as for the account; `RtrInf/Rsn/Cd` (or `Prtry`).

Where an element is repeated, the first one counts (the `Ntry`'s `NtryDtls`, their `TxDtls` and
the `Strd` and `Ustrd` lines of a `RmtInf` excepted: those are all read, in order). Amounts are
`Decimal`, never float.

Speed: a bank's file has 100,000s of entries, and what reading one costs is mostly Python work
per element looked at (its proxy object, its tag, its text). So each element is visited once, by
one pass over its parent's children, stopping early where one child is wanted; local names come
from a bounded cache, and so do the dates (a file's entries share a few days); the model's
objects are built without their frozen __init__ (see the end of this module).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import fields
from datetime import date
from decimal import Decimal, InvalidOperation
from types import MappingProxyType

from paybot.core.bankfiles.model import Entry, EntryTransaction, Notification
from paybot.core.bankfiles.safe_xml import (
    Element,
    XmlData,
    XmlStream,
    date_or_datetime,
    group_header,
    rejected,
    to_decimal,
)

FAMILY = "camt.054"
_PLAIN_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MAX_CACHED = 512  # entries in each cache below: a hostile file's endless values must not grow it


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
            notification, account = parent, _account(_first(parent, "Acct"))
        yield _entry(source, element, account)


# --- one pass over an element's children ------------------------------------------------------

_LOCAL_NAMES: dict[object, str] = {}  # tag -> local name


def _local_name(child: Element) -> str | None:
    """The local name of a child element (None for a comment or processing instruction);
    callers try `_LOCAL_NAMES.get(child.tag)` first."""
    tag = child.tag
    if type(tag) is not str:  # its tag is a function (etree.Comment, etree.PI)
        return None
    name = tag[tag.find("}") + 1 :]
    if len(_LOCAL_NAMES) < _MAX_CACHED:
        _LOCAL_NAMES[tag] = name
    return name


def _parts(element: Element | None) -> Mapping[str, Element]:
    """Local name -> first child of that name."""
    if element is None:
        return _NONE
    found: dict[str, Element] = {}
    names = _LOCAL_NAMES
    for child in element:
        name = names.get(child.tag) or _local_name(child)
        if name is not None and name not in found:
            found[name] = child
    return found


def _first(element: Element | None, name: str) -> Element | None:
    """The first child with this local name: stops there, unlike `_parts`."""
    if element is None:
        return None
    names = _LOCAL_NAMES
    for child in element:
        if (names.get(child.tag) or _local_name(child)) == name:
            return child
    return None


def _texts(element: Element) -> Mapping[str, str | None]:
    """Local name -> stripped text (None if empty) of the first child of that name: for a
    group of leaves (`Refs`, `Btch`), cheaper than `_parts` and a `_text` per field."""
    found: dict[str, str | None] = {}
    names = _LOCAL_NAMES
    for child in element:
        name = names.get(child.tag) or _local_name(child)
        if name is not None and name not in found:
            value = child.text
            found[name] = (value.strip() or None) if value is not None else None
    return found


_NONE: Mapping[str, Element] = MappingProxyType({})
_NO_TEXTS: Mapping[str, str | None] = MappingProxyType({})


def _text(element: Element | None) -> str | None:
    """Stripped text of `element`; None if absent or empty."""
    if element is None:
        return None
    value = element.text
    return (value.strip() or None) if value is not None else None


# --- values -----------------------------------------------------------------------------------

_DATES: dict[str, date] = {}  # `<Dt>` text -> its date: a file's entries share a few days


def _date(source: str, holder: Element | None) -> date | None:
    """A `Dt` / `DtTm` choice (BookgDt, ValDt); the common lone `<Dt>YYYY-MM-DD</Dt>` directly,
    anything else (and any error) by `date_or_datetime`."""
    if holder is None:
        return None
    if len(holder) == 1:
        day = holder[0]
        raw = day.text
        if raw is not None and (_LOCAL_NAMES.get(day.tag) or _local_name(day)) == "Dt":
            known = _DATES.get(raw)
            if known is not None:
                return known
            if _PLAIN_DATE.fullmatch(raw):
                try:
                    value = date.fromisoformat(raw)
                except ValueError:
                    pass  # date_or_datetime says what is wrong, and where
                else:
                    if len(_DATES) < _MAX_CACHED:
                        _DATES[raw] = value
                    return value
    return date_or_datetime(source, holder)


def _amount(source: str, element: Element) -> Decimal:
    try:
        value = Decimal((element.text or "").strip())
    except InvalidOperation:
        return to_decimal(source, element)  # refuses it, naming the field and the line
    return value if value.is_finite() else to_decimal(source, element)


def _account(holder: Element | None) -> str | None:
    """`Acct`, `DbtrAcct`, …: `Id/IBAN`, else `Id/Othr/Id` (a BBAN or other number)."""
    ids = _parts(_first(holder, "Id"))
    return _text(ids.get("IBAN")) or _text(_first(ids.get("Othr"), "Id"))


def _status(status: Element | None) -> str | None:
    """`Sts` (v02) or `Sts/Cd`, `Sts/Prtry` (v08)."""
    if status is None or len(status) == 0:
        return _text(status)
    codes = _parts(status)
    return _text(codes.get("Cd")) or _text(codes.get("Prtry"))


# --- an entry and its transactions ------------------------------------------------------------


def _entry(source: str, element: Element, account: str | None) -> Entry:
    parts: dict[str, Element] = {}
    details: list[Element] = []
    names = _LOCAL_NAMES
    for child in element:
        name = names.get(child.tag) or _local_name(child)
        if name is None:
            continue
        if name == "NtryDtls":
            details.append(child)
        if name not in parts:
            parts[name] = child
    amount = parts.get("Amt")
    currency = (amount.get("Ccy") or "").strip() if amount is not None else ""
    status, direction = _status(parts.get("Sts")), _text(parts.get("CdtDbtInd"))
    if amount is None or not currency or status is None or direction is None:
        problem = "<Ntry> needs <Amt Ccy=...>, <CdtDbtInd> and <Sts>"
        raise rejected(source, element, problem)
    batch: Element | None = None
    found: list[Element] = []  # the TxDtls of every NtryDtls, in order
    for detail in details:
        for child in detail:
            name = names.get(child.tag) or _local_name(child)
            if name == "TxDtls":
                found.append(child)
            elif name == "Btch" and batch is None:
                batch = child
    batch_ids = _texts(batch) if batch is not None else _NO_TEXTS
    return _new_entry(
        account,
        _amount(source, amount),
        currency,
        direction,
        status,
        _date(source, parts.get("BookgDt")),
        _date(source, parts.get("ValDt")),
        _text(parts.get("AcctSvcrRef")),
        _text(parts.get("RvslInd")) in ("true", "1"),
        batch_ids.get("MsgId"),
        batch_ids.get("PmtInfId"),
        tuple([_transaction(source, tx) for tx in found]),
    )


def _transaction(source: str, element: Element) -> EntryTransaction:
    refs = details = amount = parties = returned = remittance = None
    names = _LOCAL_NAMES
    for child in element:  # the first of each, as _parts would give it
        name = names.get(child.tag) or _local_name(child)
        if name == "Refs":
            refs = refs if refs is not None else child
        elif name == "AmtDtls":
            details = details if details is not None else child
        elif name == "Amt":
            amount = amount if amount is not None else child
        elif name == "RltdPties":
            parties = parties if parties is not None else child
        elif name == "RmtInf":
            remittance = remittance if remittance is not None else child
        elif name == "RtrInf":
            returned = returned if returned is not None else child
    ids = _texts(refs) if refs is not None else _NO_TEXTS
    if details is not None:  # AmtDtls/TxAmt/Amt, else Amt (v04 and later), else InstdAmt/Amt
        found = _first(_first(details, "TxAmt"), "Amt")
        if found is not None:
            amount = found
        elif amount is None:
            amount = _first(_first(details, "InstdAmt"), "Amt")
    debtor_name = debtor_account = return_reason = None
    if parties is not None:
        party = _parts(parties)
        debtor = party.get("Dbtr")
        debtor_name = _text(_first(debtor, "Nm")) or _text(_first(_first(debtor, "Pty"), "Nm"))
        debtor_account = _account(party.get("DbtrAcct"))
    if returned is not None:
        reason = _parts(_first(returned, "Rsn"))
        return_reason = _text(reason.get("Cd")) or _text(reason.get("Prtry"))
    kid, message = _remittance(remittance)
    return _new_transaction(
        ids.get("EndToEndId"),
        ids.get("InstrId"),
        ids.get("PmtInfId"),
        ids.get("MsgId"),
        _amount(source, amount) if amount is not None else None,
        ((amount.get("Ccy") or "").strip() or None) if amount is not None else None,
        kid,
        message,
        debtor_name,
        debtor_account,
        return_reason,
    )


def _remittance(remittance: Element | None) -> tuple[str | None, str | None]:
    """(kid, message): the first `Strd/CdtrRefInf/Ref`, and the `Ustrd` lines joined."""
    if remittance is None:
        return None, None
    kid: str | None = None
    lines: list[str] = []
    names = _LOCAL_NAMES
    for child in remittance:
        name = names.get(child.tag) or _local_name(child)
        if name == "Ustrd":
            line = _text(child)
            if line is not None:
                lines.append(line)
        elif name == "Strd" and kid is None:
            kid = _text(_first(_first(child, "CdtrRefInf"), "Ref"))
    return kid, " ".join(lines) or None


# --- the model's objects, built for a stream ----------------------------------------------------
# A frozen dataclass's __init__ sets each field through object.__setattr__: for an Entry and its
# EntryTransaction that was a fifth of reading the entry. Neither has a __post_init__, so filling
# __dict__ directly makes the very same objects; the check below fails at import if that changes.


def _new_entry(
    account: str | None,
    amount: Decimal,
    currency: str,
    direction: str,
    status: str,
    booking_date: date | None,
    value_date: date | None,
    bank_reference: str | None,
    reversal: bool,
    batch_message_id: str | None,
    batch_payment_info_id: str | None,
    transactions: tuple[EntryTransaction, ...],
) -> Entry:
    entry: Entry = _new(Entry)
    entry.__dict__.update(
        {
            "account": account,
            "amount": amount,
            "currency": currency,
            "direction": direction,
            "status": status,
            "booking_date": booking_date,
            "value_date": value_date,
            "bank_reference": bank_reference,
            "reversal": reversal,
            "batch_message_id": batch_message_id,
            "batch_payment_info_id": batch_payment_info_id,
            "transactions": transactions,
        }
    )
    return entry


def _new_transaction(
    end_to_end_id: str | None,
    instruction_id: str | None,
    payment_info_id: str | None,
    message_id: str | None,
    amount: Decimal | None,
    currency: str | None,
    kid: str | None,
    message: str | None,
    debtor_name: str | None,
    debtor_account: str | None,
    return_reason: str | None,
) -> EntryTransaction:
    transaction: EntryTransaction = _new(EntryTransaction)
    transaction.__dict__.update(
        {
            "end_to_end_id": end_to_end_id,
            "instruction_id": instruction_id,
            "payment_info_id": payment_info_id,
            "message_id": message_id,
            "amount": amount,
            "currency": currency,
            "kid": kid,
            "message": message,
            "debtor_name": debtor_name,
            "debtor_account": debtor_account,
            "return_reason": return_reason,
        }
    )
    return transaction


_new = object.__new__


def _check_plain(cls: type, maker: Callable[..., object]) -> None:
    """`maker` fills exactly `cls`'s fields, in order, as `cls.__init__` does and no more."""
    names = [field.name for field in fields(cls)]
    made, built = maker(*names), cls(*names)
    if (
        hasattr(cls, "__post_init__")
        or list(vars(made).items()) != list(zip(names, names, strict=True))
        or list(vars(made).items()) != list(vars(built).items())
        or made != built
    ):
        raise TypeError(f"{cls.__name__} changed: its fast constructor here must follow")


_check_plain(Entry, _new_entry)
_check_plain(EntryTransaction, _new_transaction)
