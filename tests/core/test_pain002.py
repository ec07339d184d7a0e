"""pain.002 status reports: real bank files read, our writer's files valid, memory flat."""

from __future__ import annotations

import io
import os
import tracemalloc
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from paybot.core.bankfiles.model import BankFileRejected, StatusLevel, StatusReport
from paybot.core.bankfiles.pain002 import (
    GROUP_STATUSES,
    TRANSACTION_STATUSES,
    read_pain002,
    reason_text,
    status_text,
    stream_pain002,
    write_pain002,
)
from tests.shared_fixtures import shared_fixture, shared_fixture_names

pytestmark = pytest.mark.filterwarnings("error::FutureWarning")

SAMPLES = "samples/pain002"
XSD = "iso20022/pain.002.001.03.xsd"
CREATED = datetime(2026, 11, 23, 10, 0)
GROUP, BLOCK, TX = StatusLevel.GROUP, StatusLevel.PAYMENT_INFO, StatusLevel.TRANSACTION


def sample(name: str) -> Path:
    return shared_fixture(f"{SAMPLES}/{name}")


def sample_names() -> list[str]:
    return shared_fixture_names(SAMPLES)


def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(shared_fixture(XSD))))


@pytest.fixture(scope="module")
def xsd() -> etree.XMLSchema:
    """The schema, once per module: a property test then finds it missing before it starts."""
    return schema()


def written(reports: list[StatusReport], message_id: str = "STS-1") -> bytes:
    out = io.BytesIO()
    write_pain002(out, reports, message_id=message_id, created_at=CREATED)
    return out.getvalue()


def tx(e2e: str, status: str, *reasons: str, block: str = "PMT-1") -> StatusReport:
    return StatusReport(TX, "PAY-1", status, block, e2e, reasons)


# --- real files ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sample_names())
def test_every_real_pain002_sample_reads(name: str) -> None:
    status = read_pain002(name, sample(name))
    assert status.version == "pain.002.001.03"
    assert status.reports[0].level is GROUP
    assert all(
        r.original_message_id == status.reports[0].original_message_id for r in status.reports
    )


def test_postfinance_whole_file_rejected_for_control_sum() -> None:
    status = read_pain002("rjct.xml", sample("postfinance_ch_pain002_grp_RJCT_AM10.xml"))
    assert status.message_id == "20180326375204011685776"
    assert status.created_at == datetime(2018, 3, 26, 14, 40)
    assert status.reports == (
        StatusReport(
            GROUP,
            "MsgId-005",
            "RJCT",
            reason_codes=("AM10",),
            additional_info=("904114;ControlSum fehlerhaft",),
        ),
    )
    assert (
        reason_text("AM10")
        == "The sum of the payments does not match the file's control sum (AM10)"
    )


def test_postfinance_partly_accepted_block_with_a_rejected_account() -> None:
    status = read_pain002("part.xml", sample("postfinance_ch_pain002_pmtinf_PART_AC01.xml"))
    group, block, rejected = status.reports
    assert (group.level, group.status) == (GROUP, None)
    assert block == StatusReport(BLOCK, "MsgId-001", "PART", "PmtInfId-001-03")
    assert rejected == StatusReport(
        TX,
        "MsgId-001",
        "RJCT",
        "PmtInfId-001-03",
        "EndToEndId-001-03-04",
        ("AC01",),
        ("1301813;Konto ungültig",),
    )
    assert reason_text("AC01") == "The account number is wrong or missing (AC01)"


def test_part_with_closed_account() -> None:
    status = read_pain002("ac04.xml", sample("pain001lib_pain002_001_03_PART_AC04.xml"))
    assert [(r.level, r.status, r.reason_codes) for r in status.reports] == [
        (GROUP, "PART", ()),
        (BLOCK, "PART", ()),
        (TX, "RJCT", ("AC04",)),
    ]
    assert status.reports[2].original_payment_info_id == "PAY-INFO-001"
    assert reason_text("AC04") == "The account is closed (AC04)"


def test_block_rejected_with_narrative_and_transaction_reason() -> None:
    status = read_pain002("narr.xml", sample("postfinance_ch_pain002_tx_RJCT_AC01_NARR.xml"))
    block, transaction = status.reports[1:]
    assert (block.status, block.reason_codes) == ("RJCT", ("NARR",))
    assert block.additional_info == ("1297193;Sammelauftrag ohne ausführbaren Einzelauftrag",)
    assert (transaction.original_end_to_end_id, transaction.reason_codes) == (
        "EndToEndId-006-01-01",
        ("AC01",),
    )


def test_bank_of_ireland_reasons_per_transaction_and_inherited_ids() -> None:
    name = "oca_bankofireland_pain002_001_03_rjct_AC01_MS02_MD06_AM04.xml"
    status = read_pain002(name, sample(name))
    assert status.reports[0] == StatusReport(GROUP, "MSGID12345678912", None)
    assert [
        (r.original_payment_info_id, r.original_end_to_end_id, r.status, r.reason_codes)
        for r in status.reports[1:]
    ] == [
        ("PMTINFID1", "E2EID1", "RJCT", ("AC01",)),
        ("PMTINFID1", "E2EID2", "RJCT", ("MS02",)),
        ("PMTINFID2", "E2EID3", "RJCT", ("MD06",)),
        ("PMTINFID2", "E2EID4", "RJCT", ("AM04",)),
    ]
    assert status.reports[1].additional_info == ("ACC NUMBER INVALID",)
    assert [reason_text(r.reason_codes[0]) for r in status.reports[1:]] == [
        "The account number is wrong or missing (AC01)",
        "No reason given by the customer (MS02)",
        "The bank rejected it with code MD06",
        "Not enough money on the account (AM04)",
    ]


# --- other versions and odd contents -------------------------------------------------------------

V10 = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10">
 <CstmrPmtStsRpt>
  <GrpHdr><MsgId>V10-1</MsgId><CreDtTm>2026-11-23T10:00:00.123+01:00</CreDtTm></GrpHdr>
  <OrgnlGrpInfAndSts><OrgnlMsgId>PAY-9</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId>
   <GrpSts>ACCC</GrpSts></OrgnlGrpInfAndSts>
  <OrgnlPmtInfAndSts><OrgnlPmtInfId>B-1</OrgnlPmtInfId>
   <TxInfAndSts><OrgnlInstrId>I-1</OrgnlInstrId><OrgnlEndToEndId>E-1</OrgnlEndToEndId>
    <OrgnlUETR>255ae394-9965-4438-ac86-f406feada396</OrgnlUETR><TxSts>BLCK</TxSts>
    <StsRsnInf><Rsn><Cd>ZZ99</Cd></Rsn><AddtlInf>first note</AddtlInf>
     <AddtlInf>second note</AddtlInf></StsRsnInf>
    <StsRsnInf><Rsn><Prtry>BANK-SPECIFIC-7</Prtry></Rsn></StsRsnInf>
    <StsRsnInf><AddtlInf>note without code</AddtlInf></StsRsnInf>
   </TxInfAndSts>
   <TxInfAndSts><OrgnlEndToEndId>E-2</OrgnlEndToEndId><TxSts/></TxInfAndSts>
  </OrgnlPmtInfAndSts>
  <OrgnlPmtInfAndSts><OrgnlPmtInfId>B-2</OrgnlPmtInfId><PmtInfSts>ACFC</PmtInfSts>
  </OrgnlPmtInfAndSts>
 </CstmrPmtStsRpt>
</Document>"""


def test_v10_unknown_codes_several_reasons_and_notes_are_kept() -> None:
    status = read_pain002("v10.xml", V10.encode())
    assert status.version == "pain.002.001.10"
    assert status.created_at is not None and status.created_at.microsecond == 123000
    group, first, second, empty_block = status.reports
    assert group.status == "ACCC"
    assert first == StatusReport(
        TX,
        "PAY-9",
        "BLCK",
        "B-1",
        "E-1",
        ("ZZ99", "BANK-SPECIFIC-7"),
        ("first note", "second note", "note without code"),
    )
    assert (second.status, second.original_end_to_end_id) == (None, "E-2")
    assert empty_block == StatusReport(BLOCK, "PAY-9", "ACFC", "B-2")


def test_missing_original_message_id_refuses_the_file_with_its_line() -> None:
    data = V10.replace("<OrgnlMsgId>PAY-9</OrgnlMsgId>", "").encode()
    with pytest.raises(BankFileRejected) as caught:
        read_pain002("nomsg.xml", data)
    assert caught.value.line == 5 and "has no <OrgnlMsgId>" in caught.value.problem


def test_bad_creation_time_names_the_line() -> None:
    data = V10.replace("2026-11-23T10:00:00.123+01:00", "yesterday").encode()
    with pytest.raises(BankFileRejected, match="'yesterday' is not a date and time"):
        read_pain002("when.xml", data)


# --- words for people ----------------------------------------------------------------------------

SECTION5_CODES = (
    "AC01 AC03 AC04 AC06 AC13 AG01 AM02 AM04 AM05 AM09 AM10 BE01 BE04 RC01 RR01 RR02 RR03 RR04 "
    "CH03 DT01 TM01 CUST DUPL FF01 MS02 MS03 NARR"
).split()


@pytest.mark.parametrize("code", SECTION5_CODES)
def test_every_reason_code_of_formats_section5_has_words(code: str) -> None:
    words = reason_text(code)
    assert words.endswith(f" ({code})") and not words.startswith("The bank rejected")


def test_unknown_reason_code_is_named() -> None:
    assert reason_text("XYZ") == "The bank rejected it with code XYZ"
    assert reason_text(" am04 ") == "Not enough money on the account (AM04)"


def test_status_words() -> None:
    assert {code: status_text(code) for code in ("RJCT", "ACSC", "PART")} == {
        "RJCT": "Rejected",
        "ACSC": "Paid: settled from our account",
        "PART": "Partly accepted: some payments were rejected",
    }
    assert all(not status_text(c).startswith("Status ") for c in GROUP_STATUSES)
    assert status_text("ACFC") == "Status ACFC from the bank"
    assert status_text(None) == "No status given"


# --- writing -------------------------------------------------------------------------------------


def test_written_file_is_valid_pain002_v03_and_reads_back() -> None:
    reports = [
        StatusReport(
            GROUP, "PAY-1", "PART", reason_codes=("NARR",), additional_info=("see below",)
        ),
        StatusReport(BLOCK, "PAY-1", "PART", "PMT-1"),
        tx("E-1", "ACSC"),
        StatusReport(TX, "PAY-1", "RJCT", "PMT-1", "E-2", ("AC01", "AM04"), ("Konto ugyldig",)),
        tx("E-3", "RJCT", "AC04", block="PMT-2"),
    ]
    data = written(reports)
    assert schema().validate(etree.fromstring(data))
    status = read_pain002("ours.xml", data)
    assert (status.message_id, status.created_at, status.version) == (
        "STS-1",
        CREATED,
        "pain.002.001.03",
    )
    assert status.reports == tuple(reports)


def test_writer_refuses_what_v03_cannot_hold() -> None:
    group = StatusReport(GROUP, "PAY-1", "ACCP")
    with pytest.raises(ValueError, match="first report must be the GROUP"):
        written([tx("E-1", "ACSC")])
    with pytest.raises(ValueError, match="TxSts 'PART' is not allowed"):
        written([group, tx("E-1", "PART")])
    with pytest.raises(ValueError, match="AddtlInf must be 1-105"):
        written([group, StatusReport(TX, "PAY-1", "RJCT", "P", "E", ("NARR",), ("x" * 106,))])
    with pytest.raises(ValueError, match="without original_payment_info_id"):
        written([group, StatusReport(TX, "PAY-1", "ACSC", None, "E")])


CODE = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=4, max_size=4)
TEXT = (
    st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "Zs")), min_size=1, max_size=35)
    .map(str.strip)
    .filter(bool)
)
NOTE = (
    st.text(st.characters(codec="utf-8", categories=("L", "N", "Zs")), max_size=105)
    .map(str.strip)
    .filter(bool)
)


@st.composite
def status_files(draw: st.DrawFn) -> list[StatusReport]:
    message_id = draw(TEXT)
    status = st.sampled_from(sorted(GROUP_STATUSES))
    reports = [
        StatusReport(
            GROUP,
            message_id,
            draw(st.none() | status),
            reason_codes=tuple(draw(st.lists(CODE, max_size=2))),
        )
    ]
    for block in draw(st.lists(TEXT, max_size=4, unique=True)):
        if draw(st.booleans()):
            reports.append(StatusReport(BLOCK, message_id, draw(status), block))
        for e2e in draw(st.lists(TEXT, max_size=5)):
            reasons = tuple(draw(st.lists(CODE, max_size=3)))
            notes = tuple(draw(st.lists(NOTE, max_size=2)))
            tx_status = draw(st.none() | st.sampled_from(sorted(TRANSACTION_STATUSES)))
            reports.append(StatusReport(TX, message_id, tx_status, block, e2e, reasons, notes))
    return reports


@settings(max_examples=60, deadline=None)
@given(status_files())
def test_write_then_read_gives_the_same_reports(reports: list[StatusReport]) -> None:
    assert read_pain002("prop.xml", written(reports)).reports == tuple(reports)


@settings(max_examples=20, deadline=None)
@given(status_files())
def test_everything_the_writer_accepts_is_valid_against_the_xsd(
    xsd: etree.XMLSchema, reports: list[StatusReport]
) -> None:
    assert xsd.validate(etree.fromstring(written(reports)))


# --- a big file ----------------------------------------------------------------------------------

# 20,000 by default (tracemalloc slows reading ~4x; bench/ reads 100,000). PAYBOT_BIG_FILE: more.
BIG = int(os.environ.get("PAYBOT_BIG_FILE", "20000"))


def many_reports(count: int) -> Iterator[StatusReport]:
    yield StatusReport(GROUP, "PAY-BIG", "PART")
    for n in range(count):
        rejected = n % 3 == 0
        yield StatusReport(
            TX,
            "PAY-BIG",
            "RJCT" if rejected else "ACSC",
            f"PMT-{n // 1000:05d}",
            f"E2E-{n:012d}",
            ("AC01",) if rejected else (),
            ("Konto ugyldig",) if rejected else (),
        )


def resident_bytes() -> int | None:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return None


def test_big_status_file_streams_in_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "big-pain002.xml"
    write_pain002(path, many_reports(BIG), message_id="STS-BIG", created_at=CREATED)
    size = path.stat().st_size
    rss_before, rss_peak = resident_bytes(), 0
    tracemalloc.start()
    try:
        header, reports = stream_pain002(path.name, path)
        count = rejected = 0
        for report in reports:
            count += 1
            rejected += report.status == "RJCT"
            if count % 10_000 == 0:
                rss_peak = max(rss_peak, resident_bytes() or 0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (header.message_id, count, rejected) == ("STS-BIG", BIG + 1, (BIG + 2) // 3)
    assert peak < min(size / 4, 1_000_000), f"peak {peak:,} bytes for a {size:,}-byte file"
    # tracemalloc does not see libxml2's tree: the process's resident size must not grow with it
    if rss_before is not None:
        assert rss_peak - rss_before < size / 2
    # How fast it streams is measured by bench/bank_files.py, not asserted here.


def test_read_pain002_holds_reports_but_builds_no_tree(tmp_path: Path) -> None:
    path = tmp_path / "big-pain002.xml"
    write_pain002(path, many_reports(BIG), message_id="STS-BIG", created_at=CREATED)
    tracemalloc.start()
    try:
        status = read_pain002(path.name, path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(status.reports) == BIG + 1
    # the reports themselves: about 250 bytes each, codes and ids shared where equal
    assert peak < 400 * BIG
