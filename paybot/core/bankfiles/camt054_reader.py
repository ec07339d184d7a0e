"""Reading camt.054 notifications: what was booked on our accounts, one entry at a time.

`read_camt054` takes camt.054.001.02, .08 and versions of the same shape (.04, ...), by local
names, as a stream: the header at once, then one `Entry` per `Ntry`, each dropped from the tree
once read, so memory stays flat however long the file (FORMATS.md §6 for the paths):

- account: the `Ntfctn/Acct/Id` (`IBAN`, else `Othr/Id`) of the notification holding the entry;
- status: `Sts` (v02) or `Sts/Cd` / `Sts/Prtry` (v08); dates: `BookgDt`/`ValDt` as `Dt` or `DtTm`;
- batch: the first `NtryDtls/Btch` (`MsgId`, `PmtInfId`);
- per `TxDtls`: `Refs` ids; amount from `AmtDtls/TxAmt/Amt`, else `Amt` (v04+), else
  `AmtDtls/InstdAmt/Amt`; the amount as ordered from `AmtDtls/InstdAmt/Amt` (a payment in
  another currency than the account's: what was sent, while the amount is what was debited);
  `kid` is the first `RmtInf/Strd/CdtrRefInf/Ref` whatever its type (KID, SCOR, RF, ...);
  `message` joins the `Ustrd` lines with a space; payer name `Dbtr/Nm` (v02) or
  `Dbtr/Pty/Nm` (v08); payer account as for the account; `RtrInf/Rsn/Cd` (or `Prtry`);
- line: where the `Ntry` (an entry's) or the `TxDtls` (a transaction's) starts in the file,
  which is where it stands, not what it says: `==` leaves it out.

Where an element is repeated, the first one counts (the `Ntry`'s `NtryDtls`, their `TxDtls` and
the `Strd` and `Ustrd` lines of a `RmtInf` excepted: those are all read, in order). Amounts are
`Decimal`, never float.

Speed: a bank's file has 100,000s of entries. libxml2's streaming parse of one (lxml's iterparse,
each entry cleared once read) costs about 8 µs per entry here, so reading 60,000 entries a second
leaves about as much again for the Python work of an entry and its transaction, some 20
elements. Per element that work is mostly lxml's: a proxy object, its tag, its text. Hence:

- the stream's elements come without the root's default namespace (`XmlStream(local_names=True)`,
  see safe_xml): lxml makes a namespaced tag by formatting "{urn:...}Name" on first reading, the
  dearest part of looking at an element (0.07 µs; a plain "Name" 0.03 µs, the proxy 0.04 µs);
  this reader matches local names only, so nothing it reads changes (the version still comes
  from the namespace, read from the file itself by `sniff`);
- each element is visited once, by one pass over its children as a list (`element[:]`, made in
  one C call: iterating the element makes an iterator object, which costs as much again),
  stopping early where one child is wanted; local names and dates come from bounded caches (a
  file's entries share a few days); a transaction amount written as its entry's reuses the
  entry's Decimal; the model's objects are built without their frozen __init__ (see the end of
  this module).

The C side of lxml was tried instead and left, on the bench's 100,000-entry file. The limits
found: libxslt (lxml.etree.XSLT) pays a few tenths of a µs per `xsl:value-of` and about 1 µs per
`xsl:for-each` item, as much as Python pays per element, so a stylesheet turning batches of 256
finished entries into one line each cost about 5.5 µs per entry for 16 of the fields, before any
Python built an Entry from the lines, with name tests bound to the file's namespace:
`local-name()` tests, which reading by local name needs, cost more than twice that. A stylesheet
cannot hold the control characters that make safe separators (XML 1.0 forbids them and
`XSLT.strparam` refuses them; EXSLT's `str:decode-uri('%1F')` makes one), and it needs a
finished (sub)tree, while iterparse's tree runs up to a read chunk ahead of its events. A
compiled `etree.XPath` per entry (one union of the paths, or one `concat()` of them) cost 7-11
µs per entry on a parsed tree, and `etree.tostring` of an entry alone about 3 µs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import fields
from datetime import date
from decimal import Decimal, InvalidOperation

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
        local_names=True,
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
# Each loop below reads `names.get(child.tag) or _local_name(child)`: the cache first.

_LOCAL_NAMES: dict[object, str] = {}  # tag -> local name


def _local_name(child: Element) -> str | None:
    """The local name of a child element (None for a comment or processing instruction)."""
    tag = child.tag
    if type(tag) is not str:  # its tag is a function (etree.Comment, etree.PI)
        return None
    name = tag[tag.find("}") + 1 :]
    if len(_LOCAL_NAMES) < _MAX_CACHED:
        _LOCAL_NAMES[tag] = name
    return name


def _first(element: Element | None, name: str) -> Element | None:
    """The first child with this local name."""
    if element is None:
        return None
    names = _LOCAL_NAMES
    for child in element[:]:
        if (names.get(child.tag) or _local_name(child)) == name:
            return child
    return None


def _text(element: Element | None) -> str | None:
    """Stripped text of `element`; None if absent or empty."""
    if element is None:
        return None
    value = element.text
    return (value.strip() or None) if value else None


def _first_text(element: Element | None, name: str) -> str | None:
    """`_text(_first(element, name))`, in one call."""
    if element is None:
        return None
    names = _LOCAL_NAMES
    for child in element[:]:
        if (names.get(child.tag) or _local_name(child)) == name:
            value = child.text
            return (value.strip() or None) if value else None
    return None


def _code(holder: Element | None) -> str | None:
    """The first `Cd`, else the first `Prtry` (`Sts` in v08, `RtrInf/Rsn`)."""
    if holder is None:
        return None
    code = other = None
    names = _LOCAL_NAMES
    for child in holder[:]:
        name = names.get(child.tag) or _local_name(child)
        if name == "Cd":
            if code is None:
                code = child
        elif name == "Prtry" and other is None:
            other = child
    return _text(code) or _text(other)


def _account(holder: Element | None) -> str | None:
    """`Acct`, `DbtrAcct`, …: `Id/IBAN`, else `Id/Othr/Id` (a BBAN or other number)."""
    ids = _first(holder, "Id")
    if ids is None:
        return None
    iban = other = None
    names = _LOCAL_NAMES
    for child in ids[:]:
        name = names.get(child.tag) or _local_name(child)
        if name == "IBAN":
            if iban is None:
                iban = child
        elif name == "Othr" and other is None:
            other = child
    return _text(iban) or _first_text(other, "Id")


# --- values -----------------------------------------------------------------------------------

_DATES: dict[str, date] = {}  # `<Dt>` text -> its date: a file's entries share a few days


def _date(source: str, holder: Element) -> date | None:
    """A `Dt` / `DtTm` choice (BookgDt, ValDt); the common lone `<Dt>YYYY-MM-DD</Dt>` directly,
    anything else (and any error) by `date_or_datetime`."""
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


def _amount(source: str, element: Element, raw: str | None) -> Decimal:
    """The amount `element` holds (`raw` is its text, already read)."""
    try:
        value = Decimal(raw.strip() if raw else "")
    except InvalidOperation:
        return to_decimal(source, element)  # refuses it, naming the field and the line
    return value if value.is_finite() else to_decimal(source, element)


# --- an entry and its transactions ------------------------------------------------------------


def _entry(source: str, element: Element, account: str | None) -> Entry:
    names = _LOCAL_NAMES
    amount = direction = status = booked = valued = reference = reversal = None
    details: list[Element] = []
    for child in element[:]:  # the first of each (every NtryDtls), in one pass
        name = names.get(child.tag) or _local_name(child)
        if name == "Amt":
            if amount is None:
                amount = child
        elif name == "CdtDbtInd":
            if direction is None:
                direction = child
        elif name == "Sts":
            if status is None:
                status = child
        elif name == "BookgDt":
            if booked is None:
                booked = child
        elif name == "ValDt":
            if valued is None:
                valued = child
        elif name == "AcctSvcrRef":
            if reference is None:
                reference = child
        elif name == "NtryDtls":
            details.append(child)
        elif name == "RvslInd" and reversal is None:
            reversal = child
    currency = (amount.get("Ccy") or "").strip() if amount is not None else ""
    code = _code(status) if status is not None and len(status) else _text(status)
    way = _text(direction)
    if amount is None or not currency or code is None or way is None:
        raise rejected(source, element, "<Ntry> needs <Amt Ccy=...>, <CdtDbtInd> and <Sts>")
    raw = amount.text
    value = _amount(source, amount, raw)
    booking_date = _date(source, booked) if booked is not None else None
    value_date = _date(source, valued) if valued is not None else None
    batch: Element | None = None
    transactions: list[EntryTransaction] = []
    for detail in details:  # their TxDtls, read in order: the first bad one refuses the file
        for child in detail[:]:
            name = names.get(child.tag) or _local_name(child)
            if name == "TxDtls":
                transactions.append(_transaction(source, child, raw, value))
            elif name == "Btch" and batch is None:
                batch = child
    message_id = payment_info_id = None
    if batch is not None:
        message_id, payment_info_id = _batch(batch)
    return _new_entry(
        account,
        value,
        currency,
        way,
        code,
        booking_date,
        value_date,
        _text(reference),
        _text(reversal) in ("true", "1"),
        message_id,
        payment_info_id,
        tuple(transactions),
        element.sourceline,
    )


def _batch(batch: Element) -> tuple[str | None, str | None]:
    """`Btch`: its `MsgId` and `PmtInfId`."""
    message_id = payment_info_id = None
    names = _LOCAL_NAMES
    for child in batch[:]:
        name = names.get(child.tag) or _local_name(child)
        if name == "MsgId":
            if message_id is None:
                message_id = child
        elif name == "PmtInfId" and payment_info_id is None:
            payment_info_id = child
    return _text(message_id), _text(payment_info_id)


def _refs(refs: Element) -> tuple[str | None, str | None, str | None, str | None]:
    """`Refs`: EndToEndId, InstrId, PmtInfId, MsgId."""
    end_to_end = instruction = payment_info = message = None
    names = _LOCAL_NAMES
    for child in refs[:]:
        name = names.get(child.tag) or _local_name(child)
        if name == "EndToEndId":
            if end_to_end is None:
                end_to_end = child
        elif name == "InstrId":
            if instruction is None:
                instruction = child
        elif name == "PmtInfId":
            if payment_info is None:
                payment_info = child
        elif name == "MsgId" and message is None:
            message = child
    return _text(end_to_end), _text(instruction), _text(payment_info), _text(message)


def _transaction(
    source: str, element: Element, entry_raw: str | None, entry_amount: Decimal
) -> EntryTransaction:
    """A `TxDtls`; `entry_raw` is its entry's `Amt` text, read as `entry_amount`."""
    refs = details = amount = parties = remittance = returned = None
    names = _LOCAL_NAMES
    for child in element[:]:  # the first of each
        name = names.get(child.tag) or _local_name(child)
        if name == "Refs":
            if refs is None:
                refs = child
        elif name == "AmtDtls":
            if details is None:
                details = child
        elif name == "Amt":
            if amount is None:
                amount = child
        elif name == "RltdPties":
            if parties is None:
                parties = child
        elif name == "RmtInf":
            if remittance is None:
                remittance = child
        elif name == "RtrInf" and returned is None:
            returned = child
    ordered = None
    if details is not None:  # AmtDtls/TxAmt/Amt, else Amt (v04 and later), else InstdAmt/Amt
        found = _first(_first(details, "TxAmt"), "Amt")
        ordered = _first(_first(details, "InstdAmt"), "Amt")
        if found is not None:
            amount = found
        elif amount is None:
            amount = ordered
    value: Decimal | None = None
    currency: str | None = None
    if amount is not None:
        raw = amount.text
        value = entry_amount if raw and raw == entry_raw else _amount(source, amount, raw)
        currency = amount.get("Ccy")
        currency = (currency.strip() or None) if currency else None
    instructed: Decimal | None = None
    instructed_currency: str | None = None
    if ordered is not None:
        instructed = value if ordered is amount else _amount(source, ordered, ordered.text)
        instructed_currency = (ordered.get("Ccy") or "").strip() or None
    end_to_end = instruction = payment_info = message_id = None
    if refs is not None:
        end_to_end, instruction, payment_info, message_id = _refs(refs)
    debtor_name = debtor_account = kid = message = None
    if parties is not None:
        debtor_name, debtor_account = _parties(parties)
    if remittance is not None:
        kid, message = _remittance(remittance)
    return _new_transaction(
        end_to_end,
        instruction,
        payment_info,
        message_id,
        value,
        currency,
        kid,
        message,
        debtor_name,
        debtor_account,
        _code(_first(returned, "Rsn")) if returned is not None else None,
        instructed,
        instructed_currency,
        element.sourceline,
    )


def _parties(parties: Element) -> tuple[str | None, str | None]:
    """`RltdPties`: the payer's name (`Dbtr/Nm`, else `Dbtr/Pty/Nm`) and account."""
    debtor = holder = None
    names = _LOCAL_NAMES
    for child in parties[:]:
        name = names.get(child.tag) or _local_name(child)
        if name == "Dbtr":
            if debtor is None:
                debtor = child
        elif name == "DbtrAcct" and holder is None:
            holder = child
    debtor_name = None
    if debtor is not None:
        debtor_name = _first_text(debtor, "Nm") or _first_text(_first(debtor, "Pty"), "Nm")
    return debtor_name, _account(holder)


def _remittance(remittance: Element) -> tuple[str | None, str | None]:
    """(kid, message): the first `Strd/CdtrRefInf/Ref`, and the `Ustrd` lines joined."""
    kid: str | None = None
    lines: list[str] = []
    names = _LOCAL_NAMES
    for child in remittance[:]:
        name = names.get(child.tag) or _local_name(child)
        if name == "Ustrd":
            line = _text(child)
            if line is not None:
                lines.append(line)
        elif name == "Strd" and kid is None:
            kid = _first_text(_first(child, "CdtrRefInf"), "Ref")
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
    line: int | None,
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
            "line": line,
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
    instructed_amount: Decimal | None,
    instructed_currency: str | None,
    line: int | None,
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
            "instructed_amount": instructed_amount,
            "instructed_currency": instructed_currency,
            "line": line,
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
