"""camt.054 notifications: read what was booked on our accounts; write them for the sandbox bank.

Reading (`read_camt054`, in camt054_reader) streams camt.054.001.02, .08 and versions of the same
shape, one `Entry` per `Ntry`, in flat memory. Writing (`write_camt054`) streams a valid
camt.054.001.02 with `lxml.etree.xmlfile`. Amounts are `Decimal`, never float.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from itertools import chain, groupby
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from lxml import etree

from paybot.core.bankfiles.camt054_reader import FAMILY, read_camt054
from paybot.core.bankfiles.model import Entry, EntryTransaction, Notification
from paybot.core.bankfiles.safe_xml import bounded

if TYPE_CHECKING:
    from paybot.core.bankfiles.safe_xml import XmlWriter

__all__ = ["FAMILY", "NS_V02", "read_camt054", "write_camt054"]

NS_V02 = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"
ENTRY_STATUSES = frozenset({"BOOK", "PDNG", "INFO"})
DIRECTIONS = frozenset({"CRDT", "DBIT"})
_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[a-zA-Z0-9]{1,30}")
_CURRENCY = re.compile(r"[A-Z]{3}")


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
        if tx.amount is not None or tx.instructed_amount is not None:
            with xf.element(_q("AmtDtls")):  # InstdAmt before TxAmt, as the XSD has them
                if tx.instructed_amount is not None:
                    ordered = tx.instructed_currency or tx.currency or currency
                    _write_amount(xf, "InstdAmt", amount=tx.instructed_amount, currency=ordered)
                if tx.amount is not None:
                    _write_amount(xf, "TxAmt", amount=tx.amount, currency=tx.currency or currency)
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
