"""pain.002 status reports: read what the bank says about our orders; write them for the sandbox.

Reading (`read_pain002`, or `stream_pain002` for one report at a time) takes pain.002.001.03, .10
and any variant of the same shape (e.g. PostFinance's `pain.002.001.03.ch.02`), by local names. It
yields one `StatusReport` per level, in file order:

- one GROUP report (`OrgnlGrpInfAndSts`), always, even without a `GrpSts`;
- one PAYMENT_INFO report per `OrgnlPmtInfAndSts` that carries a status, a reason or a note;
- one TRANSACTION report per `TxInfAndSts`.

Lower levels inherit `OrgnlMsgId`; transactions inherit their block's `OrgnlPmtInfId`. Each
`StsRsnInf/Rsn/Cd` (or `Prtry`) becomes a reason code and each `AddtlInf` a note; status and reason
codes are kept as they are, known or not. The file is parsed as a stream (safe_xml): each
`TxInfAndSts` is read at its end and dropped, so no tree is built.

Writing (`write_pain002`) streams a valid pain.002.001.03 with `lxml.etree.xmlfile`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from lxml import etree

from paybot.core.bankfiles.model import BankFileRejected, StatusFile, StatusLevel, StatusReport
from paybot.core.bankfiles.safe_xml import (
    Element,
    XmlData,
    XmlStream,
    bounded,
    children,
    each,
    group_header,
    local_name,
    rejected,
    text,
)

if TYPE_CHECKING:
    from paybot.core.bankfiles.safe_xml import XmlWriter

FAMILY = "pain.002"
NS_V03 = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"
GROUP_STATUSES = frozenset({"ACTC", "RCVD", "PART", "RJCT", "PDNG", "ACCP", "ACSP", "ACSC", "ACWC"})
TRANSACTION_STATUSES = GROUP_STATUSES - {"RCVD", "PART"}

_REASONS = {
    "AC01": "The account number is wrong or missing",
    "AC03": "The payee's account number is wrong or missing",
    "AC04": "The account is closed",
    "AC06": "The account is blocked",
    "AC13": "The paying account's type is wrong or missing",
    "AG01": "This kind of payment is not allowed on this account",
    "AM02": "The amount is above the allowed maximum",
    "AM04": "Not enough money on the account",
    "AM05": "Duplicate: this payment was sent before",
    "AM09": "The amount is wrong",
    "AM10": "The sum of the payments does not match the file's control sum",
    "BE01": "The name does not match the account",
    "BE04": "The payee's address is wrong or missing",
    "RC01": "The bank identifier (BIC) is wrong",
    "RR01": "Regulatory details missing: the paying account or the payer's ID",
    "RR02": "Regulatory details missing: the payer's name or address",
    "RR03": "Regulatory details missing: the payee's name or address",
    "RR04": "Stopped for regulatory reasons",
    "CH03": "The payment date is too far ahead",
    "DT01": "The date is invalid",
    "TM01": "The bank received it after the cut-off time",
    "CUST": "Cancelled at the payer's request",
    "DUPL": "Duplicate payment",
    "FF01": "The file format is incomplete or invalid",
    "MS02": "No reason given by the customer",
    "MS03": "No reason given by the bank",
    "NARR": "See the bank's explanation",
}

_STATUSES = {
    "RCVD": "Received by the bank",
    "ACTC": "Accepted: the file passed the bank's technical checks",
    "ACCP": "Accepted: technical and customer checks passed",
    "ACSP": "Accepted for payment",
    "ACSC": "Paid: settled from our account",
    "ACWC": "Accepted with a change (for example the date)",
    "PDNG": "Pending: the bank will check it further",
    "PART": "Partly accepted: some payments were rejected",
    "RJCT": "Rejected",
}


def reason_text(code: str) -> str:
    """Words a finance person understands for an ISO status reason code (FORMATS.md §5).

    >>> reason_text("AM04")
    'Not enough money on the account (AM04)'
    """
    key = code.strip().upper()
    words = _REASONS.get(key)
    if words is None:
        return f"The bank rejected it with code {code.strip()}" if key else "The bank gave no code"
    return f"{words} ({key})"


def status_text(code: str | None) -> str:
    """Words for a pain.002 status code; unknown codes are named as they are."""
    if code is None or not code.strip():
        return "No status given"
    key = code.strip().upper()
    return _STATUSES.get(key, f"Status {code.strip()} from the bank")


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusHeader:
    """A pain.002's own header (GrpHdr) and version, read before its reports."""

    message_id: str
    created_at: datetime | None
    version: str  # from the namespace, e.g. pain.002.001.03; "pain.002" if it names none


def read_pain002(source: str, data: Path | bytes) -> StatusFile:
    """Read a whole pain.002 into a `StatusFile`; `source` names the file in errors.

    Raises:
        BankFileRejected: not a pain.002, malformed, DTD/entity found, or a required field missing.
    """
    header, reports = stream_pain002(source, data)
    return StatusFile(header.message_id, header.created_at, header.version, tuple(reports))


def stream_pain002(source: str, data: XmlData) -> tuple[StatusHeader, Iterator[StatusReport]]:
    """The header now, and the reports one by one (flat memory however long the file).

    The byte scan and the header are checked before this returns; a problem further down raises
    `BankFileRejected` during iteration, so apply a file's reports all or nothing.
    """
    stream = XmlStream(
        source,
        data,
        message="CstmrPmtStsRpt",
        family=FAMILY,
        ends=("GrpHdr", "OrgnlGrpInfAndSts", "OrgnlPmtInfAndSts", "TxInfAndSts"),
    )
    return _header(stream), _reports(stream)


def _header(stream: XmlStream) -> StatusHeader:
    message_id, created_at = group_header(stream)
    return StatusHeader(message_id, created_at, stream.kind.version or FAMILY)


class _Codes:
    """Shares equal codes and code tuples between reports: 100,000 'RJCT's cost one string."""

    def __init__(self) -> None:
        self._strings: dict[str, str] = {}
        self._tuples: dict[tuple[str, ...], tuple[str, ...]] = {}

    def one(self, value: str | None) -> str | None:
        return None if value is None else self._strings.setdefault(value, value)

    def many(self, values: list[str]) -> tuple[str, ...]:
        key = tuple(self._strings.setdefault(v, v) for v in values)
        return self._tuples.setdefault(key, key)


def _reports(stream: XmlStream) -> Iterator[StatusReport]:
    source, codes = stream.source, _Codes()
    group: str | None = None
    block: Element | None = None  # the OrgnlPmtInfAndSts whose transactions are being read
    block_id: str | None = None
    for _, name, element in stream:
        if name == "OrgnlGrpInfAndSts":
            group = text(element, "OrgnlMsgId")
            if group is None:
                raise rejected(source, element, "<OrgnlGrpInfAndSts> has no <OrgnlMsgId>")
            yield _level_report(element, StatusLevel.GROUP, group, codes)
        elif group is None:
            raise rejected(source, element, f"<{name}> comes before <OrgnlGrpInfAndSts>")
        elif name == "TxInfAndSts":
            parent = element.getparent()
            if parent is not None and parent is not block:  # the block's first transaction:
                block, block_id = parent, text(parent, "OrgnlPmtInfId")  # its fields come first
                yield from _block_report(source, parent, group, codes)
            yield _transaction_report(element, group, block_id, codes)
        elif name == "OrgnlPmtInfAndSts":
            if element is not block:  # a block without transactions
                yield from _block_report(source, element, group, codes)
            block = block_id = None
    if group is None:
        raise BankFileRejected(source, "the file has no <OrgnlGrpInfAndSts>")


def _reasons(
    element: Element, codes: _Codes, parts: Mapping[str, Element] | None = None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Reason codes (`StsRsnInf/Rsn/Cd` or `Prtry`) and notes (`AddtlInf`), in file order."""
    if parts is not None and "StsRsnInf" not in parts:
        return (), ()
    reasons: list[str] = []
    notes: list[str] = []
    for info in each(element, "StsRsnInf"):
        code = text(info, "Rsn", "Cd") or text(info, "Rsn", "Prtry")
        if code is not None:
            reasons.append(code)
        notes.extend(note for note in map(text, each(info, "AddtlInf")) if note is not None)
    return codes.many(reasons), tuple(notes)


def _level_report(element: Element, level: StatusLevel, group: str, codes: _Codes) -> StatusReport:
    """The GROUP report or a PAYMENT_INFO one; `group` is the OrgnlMsgId."""
    status_tag = "GrpSts" if level is StatusLevel.GROUP else "PmtInfSts"
    reasons, notes = _reasons(element, codes)
    return StatusReport(
        level=level,
        original_message_id=group,
        status=codes.one(text(element, status_tag)),
        original_payment_info_id=text(element, "OrgnlPmtInfId"),
        reason_codes=reasons,
        additional_info=notes,
    )


def _block_report(
    source: str, element: Element, group: str, codes: _Codes
) -> Iterator[StatusReport]:
    if text(element, "OrgnlPmtInfId") is None:  # also a TxInfAndSts outside any block
        raise rejected(source, element, f"<{local_name(element)}> has no <OrgnlPmtInfId>")
    report = _level_report(element, StatusLevel.PAYMENT_INFO, group, codes)
    if report.status is not None or report.reason_codes or report.additional_info:
        yield report


def _transaction_report(
    element: Element, group: str, block_id: str | None, codes: _Codes
) -> StatusReport:
    parts = children(element)
    reasons, notes = _reasons(element, codes, parts)
    return StatusReport(
        level=StatusLevel.TRANSACTION,
        original_message_id=group,
        status=codes.one(text(parts.get("TxSts"))),
        original_payment_info_id=block_id,
        original_end_to_end_id=text(parts.get("OrgnlEndToEndId")),
        reason_codes=reasons,
        additional_info=notes,
    )


# --- writing ----------------------------------------------------------------------------------


def write_pain002(
    target: Path | BinaryIO,
    reports: Iterable[StatusReport],
    *,
    message_id: str,
    created_at: datetime,
    original_message_name: str = "pain.001.001.03",
) -> None:
    """Stream a valid pain.002.001.03 to `target` (a path or a binary file).

    `reports` (any iterable, read once) must start with the one GROUP report; then, per block, an
    optional PAYMENT_INFO report followed by that block's TRANSACTION reports (consecutive reports
    with the same `original_payment_info_id` form one `OrgnlPmtInfAndSts`). Several reason codes
    become several `StsRsnInf`; the notes go into the first.

    Raises:
        ValueError: reports out of order, or a value pain.002.001.03 cannot hold (a status not
            allowed at its level, an id over 35 characters, a note over 105, ...). The target
            then holds a partial file.
    """
    output = str(target) if isinstance(target, Path) else target
    reports = iter(reports)
    group = next(reports, None)
    if group is None or group.level is not StatusLevel.GROUP:
        raise ValueError("the first report must be the GROUP report")
    with etree.xmlfile(output, encoding="UTF-8") as xf:
        xf.write_declaration()
        with xf.element(_q("Document"), nsmap={None: NS_V03}), xf.element(_q("CstmrPmtStsRpt")):
            with xf.element(_q("GrpHdr")):
                _leaf(xf, "MsgId", bounded(message_id, 35, "MsgId"))
                _leaf(xf, "CreDtTm", created_at.isoformat())
            with xf.element(_q("OrgnlGrpInfAndSts")):
                _leaf(xf, "OrgnlMsgId", bounded(group.original_message_id, 35, "OrgnlMsgId"))
                _leaf(xf, "OrgnlMsgNmId", bounded(original_message_name, 35, "OrgnlMsgNmId"))
                _status(xf, "GrpSts", group, GROUP_STATUSES)
            for block_id, members in groupby(reports, key=lambda r: _block_key(r, group)):
                _write_block(xf, block_id, members)


def _q(name: str) -> str:
    return f"{{{NS_V03}}}{name}"


def _leaf(xf: XmlWriter, name: str, value: str) -> None:
    with xf.element(_q(name)):
        xf.write(value)


def _block_key(report: StatusReport, group: StatusReport) -> str:
    if report.level is StatusLevel.GROUP:
        raise ValueError("only one GROUP report, and it comes first")
    if report.original_message_id != group.original_message_id:
        raise ValueError(f"report for {report.original_message_id!r} in a file about another")
    if report.original_payment_info_id is None:
        raise ValueError(f"{report.level} report without original_payment_info_id")
    return bounded(report.original_payment_info_id, 35, "OrgnlPmtInfId")


def _write_block(xf: XmlWriter, block_id: str, members: Iterator[StatusReport]) -> None:
    with xf.element(_q("OrgnlPmtInfAndSts")):
        _leaf(xf, "OrgnlPmtInfId", block_id)
        for number, report in enumerate(members):
            if report.level is StatusLevel.TRANSACTION:
                _write_transaction(xf, report)
            elif number == 0:
                _status(xf, "PmtInfSts", report, GROUP_STATUSES)
            else:
                raise ValueError(f"PAYMENT_INFO report for {block_id!r} after its transactions")


def _write_transaction(xf: XmlWriter, report: StatusReport) -> None:
    with xf.element(_q("TxInfAndSts")):
        if report.original_end_to_end_id is not None:
            _leaf(xf, "OrgnlEndToEndId", bounded(report.original_end_to_end_id, 35, "EndToEndId"))
        _status(xf, "TxSts", report, TRANSACTION_STATUSES)


def _status(xf: XmlWriter, tag: str, report: StatusReport, allowed: frozenset[str]) -> None:
    """`<tag>` then one StsRsnInf per reason code (notes in the first), in XSD order."""
    if report.status is not None:
        if report.status not in allowed:
            raise ValueError(f"{tag} {report.status!r} is not allowed in pain.002.001.03")
        _leaf(xf, tag, report.status)
    notes = list(report.additional_info)
    for code in report.reason_codes or (("",) if notes else ()):
        with xf.element(_q("StsRsnInf")):
            if code:
                with xf.element(_q("Rsn")):
                    _leaf(xf, "Cd" if len(code) <= 4 else "Prtry", bounded(code, 35, "reason"))
            for note in notes:
                _leaf(xf, "AddtlInf", bounded(note, 105, "AddtlInf"))
            notes = []
