"""camt.054 reading, the fast way, reads exactly what FORMATS.md §6 says, whatever the shape.

The reader walks each element's children once, parses its stream without the root's default
namespace and builds the model's objects without their __init__ (camt054_reader's docstring says
why). Here a plain reading of the same paths, with safe_xml's generic helpers, on the file as it
is, is the reference: odd but well-formed entries (repeated, missing or reordered elements, other
namespaces, blank or broken values), in documents whose namespace is a default, a prefix or none,
must read the same, or be refused with the same message and line; so must the real samples and a
file long enough to be parsed in many chunks.
"""

from __future__ import annotations

import re
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paybot.core.bankfiles import camt054_reader
from paybot.core.bankfiles.camt054 import read_camt054, write_camt054
from paybot.core.bankfiles.model import BankFileRejected, Entry, EntryTransaction, Notification
from paybot.core.bankfiles.safe_xml import (
    Element,
    XmlStream,
    date_or_datetime,
    each,
    first,
    rejected,
    text,
    to_decimal,
    without_default_namespace,
)
from tests.shared_fixtures import shared_fixture, shared_fixture_names

NS = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"
SAMPLES = "samples/camt054"
XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace"


# --- the reference: each path read on its own ----------------------------------------------------


def reference_entry(source: str, ntry: Element) -> Entry:
    amount = first(ntry, "Amt")
    currency = (amount.get("Ccy") or "").strip() if amount is not None else ""
    sts = first(ntry, "Sts")
    status = text(sts) if sts is None or len(sts) == 0 else text(sts, "Cd") or text(sts, "Prtry")
    direction = text(ntry, "CdtDbtInd")
    if amount is None or not currency or status is None or direction is None:
        raise rejected(source, ntry, "<Ntry> needs <Amt Ccy=...>, <CdtDbtInd> and <Sts>")
    details = list(each(ntry, "NtryDtls"))
    batches = [b for b in (first(d, "Btch") for d in details) if b is not None]
    batch = batches[0] if batches else None
    return Entry(
        reference_account(first(ntry.getparent(), "Acct")),
        to_decimal(source, amount),
        currency,
        direction,
        status,
        date_or_datetime(source, first(ntry, "BookgDt")),
        date_or_datetime(source, first(ntry, "ValDt")),
        text(ntry, "AcctSvcrRef"),
        text(ntry, "RvslInd") in ("true", "1"),
        text(batch, "MsgId"),
        text(batch, "PmtInfId"),
        tuple(reference_transaction(source, tx) for d in details for tx in each(d, "TxDtls")),
    )


def reference_account(holder: Element | None) -> str | None:
    return text(holder, "Id", "IBAN") or text(holder, "Id", "Othr", "Id")


def reference_transaction(source: str, tx: Element) -> EntryTransaction:
    paths = (("AmtDtls", "TxAmt", "Amt"), ("Amt",), ("AmtDtls", "InstdAmt", "Amt"))
    amount = next((a for a in (first(tx, *path) for path in paths) if a is not None), None)
    ordered = first(tx, "AmtDtls", "InstdAmt", "Amt")
    remittance = first(tx, "RmtInf")
    strd = each(remittance, "Strd") if remittance is not None else iter(())
    kids = [text(s, "CdtrRefInf", "Ref") for s in strd]
    lines = [text(u) for u in each(remittance, "Ustrd")] if remittance is not None else []
    return EntryTransaction(
        text(tx, "Refs", "EndToEndId"),
        text(tx, "Refs", "InstrId"),
        text(tx, "Refs", "PmtInfId"),
        text(tx, "Refs", "MsgId"),
        to_decimal(source, amount) if amount is not None else None,
        ((amount.get("Ccy") or "").strip() or None) if amount is not None else None,
        next((kid for kid in kids if kid is not None), None),
        " ".join(line for line in lines if line is not None) or None,
        text(tx, "RltdPties", "Dbtr", "Nm") or text(tx, "RltdPties", "Dbtr", "Pty", "Nm"),
        reference_account(first(tx, "RltdPties", "DbtrAcct")),
        text(tx, "RtrInf", "Rsn", "Cd") or text(tx, "RtrInf", "Rsn", "Prtry"),
        to_decimal(source, ordered) if ordered is not None else None,
        ((ordered.get("Ccy") or "").strip() or None) if ordered is not None else None,
    )


def reference_read(name: str, data: bytes) -> list[Entry]:
    from lxml import etree

    root = etree.fromstring(data)
    return [reference_entry(name, ntry) for ntry in root.iter("{*}Ntry")]


def outcome(read: object, name: str, data: bytes) -> list[Entry] | tuple[str, str]:
    try:
        if read is reference_read:
            return reference_read(name, data)
        return list(read_camt054(name, data)[1])
    except BankFileRejected as exc:
        return ("rejected", str(exc))


def stream_error(name: str, data: bytes, *, local_names: bool) -> str:
    """What reading every element of a broken camt.054 says, with or without the namespace."""
    stream = XmlStream(
        name,
        data,
        message="BkToCstmrDbtCdtNtfctn",
        family="camt.054",
        ends=("GrpHdr", "Ntfctn", "Ntry"),
        local_names=local_names,
    )
    with pytest.raises(BankFileRejected) as caught:
        list(stream)
    return str(caught.value)


# --- odd but well-formed entries -----------------------------------------------------------------

VALUES = st.sampled_from(
    (
        "| |BOOK| DBIT |CRDT|true|1|0|12.50| 7 |1.500,00|NaN|-0|1e3|2026-11-23|2026-02-30"
        "|2026-11-23+02:00|2026-11-23T10:00:00|x&amp;y|NO9386011117947|86011117947|AC04|Faktura 12"
    ).split("|")
)


def leaf(name: str) -> st.SearchStrategy[str]:
    tags = st.sampled_from([(name, ""), (f"o:{name}", ' xmlns:o="urn:other"')])
    return st.builds(lambda t, v: f"<{t[0]}{t[1]}>{v}</{t[0]}>", tags, VALUES)


def node(name: str, *parts: st.SearchStrategy[str], most: int = 4) -> st.SearchStrategy[str]:
    """`<name>` holding up to `most` of `parts` (any order, repeats allowed) or a bare value."""
    inner = st.lists(st.one_of(*parts), max_size=most).map("".join) if parts else VALUES
    return st.builds(lambda body: f"<{name}>{body}</{name}>", st.one_of(inner, VALUES))


AMOUNT = st.builds(
    lambda ccy, value: f"<Amt{ccy}>{value}</Amt>",
    st.sampled_from(["", ' Ccy="NOK"', ' Ccy=" EUR "', ' Ccy=""']),
    st.sampled_from(["12.50", " 100 ", "", "1.500,00", "Infinity", "0.1"]),
)
DAY = node("BookgDt", leaf("Dt"), leaf("DtTm"), most=2) | node("ValDt", leaf("Dt"), most=2)
ACCOUNT = node("Id", leaf("IBAN"), node("Othr", leaf("Id"), leaf("SchmeNm")))
TRANSACTION = node(
    "TxDtls",
    node("Refs", leaf("EndToEndId"), leaf("InstrId"), leaf("PmtInfId"), leaf("MsgId")),
    node("AmtDtls", node("TxAmt", AMOUNT), node("InstdAmt", AMOUNT)),
    AMOUNT,
    node("RltdPties", node("Dbtr", leaf("Nm"), node("Pty", leaf("Nm"))), node("DbtrAcct", ACCOUNT)),
    node("RmtInf", leaf("Ustrd"), node("Strd", node("CdtrRefInf", leaf("Tp"), leaf("Ref")))),
    node("RtrInf", node("Rsn", leaf("Cd"), leaf("Prtry"))),
)


def mostly(good: str, odd: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """`good` three times in four: most entries then get past the required fields."""
    return st.one_of(st.just(good), st.just(good), st.just(good), odd)


ENTRY = (
    st.builds(
        lambda required, extra: required + extra,
        st.tuples(
            mostly('<Amt Ccy="NOK">12.50</Amt>', AMOUNT),
            mostly("<CdtDbtInd>DBIT</CdtDbtInd>", leaf("CdtDbtInd")),
            mostly("<Sts>BOOK</Sts>", leaf("Sts") | node("Sts", leaf("Cd"), leaf("Prtry"))),
        ).map(list),
        st.lists(
            st.one_of(
                DAY,
                leaf("AcctSvcrRef"),
                leaf("RvslInd"),
                AMOUNT,
                leaf("Sts"),
                node("NtryDtls", node("Btch", leaf("MsgId"), leaf("PmtInfId")), TRANSACTION),
            ),
            max_size=6,
        ),
    )
    .flatmap(st.permutations)
    .map(lambda parts: "<Ntry>" + "".join(parts) + "</Ntry>")
)
BASE_ENTRY = (
    '<Ntry><Amt Ccy="NOK">5.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>'
    "<BookgDt><Dt>2026-11-23</Dt></BookgDt></Ntry>"
)


def notification(entries: list[str], namespace: str = "default") -> bytes:
    """A camt.054 holding `entries`, its namespace as a `default` one on the root, a `prefix`
    bound there (every unprefixed element then takes it), `none`, or `nested`: the root's default
    namespace replaced by another on `Ntfctn`."""
    inner = f"<Ntfctn><Acct><Id><IBAN>NO9386011117947</IBAN></Id></Acct>{''.join(entries)}</Ntfctn>"
    if namespace == "nested":
        inner = inner.replace("<Ntfctn>", '<Ntfctn xmlns="urn:bank:own">', 1)
    xml = (
        f'<Document xmlns="{NS}"><BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>M</MsgId></GrpHdr>'
        f"{inner}</BkToCstmrDbtCdtNtfctn></Document>"
    )
    if namespace == "prefix":
        xml = re.sub(r"<(/?)(?![a-z]+:)(?=[A-Z])", r"<\1c:", xml).replace("xmlns=", "xmlns:c=", 1)
    elif namespace == "none":
        xml = xml.replace(f' xmlns="{NS}"', "", 1)
    return xml.encode()


NAMESPACES = st.sampled_from(["default", "default", "prefix", "none", "nested"])


@settings(max_examples=300, deadline=None)
@given(st.lists(ENTRY | st.just(BASE_ENTRY), min_size=1, max_size=3), NAMESPACES)
def test_odd_entries_read_as_the_plain_reading_of_each_path(
    entries: list[str], namespace: str
) -> None:
    data = notification(entries, namespace)
    assert outcome(read_camt054, "odd.xml", data) == outcome(reference_read, "odd.xml", data)


REPEATS = (
    '<Ntry><Amt Ccy="NOK">1.00</Amt><Amt Ccy="SEK">2.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
    "<CdtDbtInd>DBIT</CdtDbtInd><Sts><Prtry>P</Prtry><Cd>C</Cd><Cd>D</Cd></Sts><RvslInd>1</RvslInd>"
    "<NtryDtls><TxDtls><Refs><EndToEndId>E1</EndToEndId><EndToEndId>E2</EndToEndId></Refs>"
    '<Amt Ccy="NOK">3</Amt><AmtDtls><InstdAmt><Amt Ccy="EUR">4</Amt></InstdAmt></AmtDtls>'
    "<RmtInf><Strd><CdtrRefInf><Ref> </Ref></CdtrRefInf></Strd><Ustrd>a</Ustrd><Ustrd> </Ustrd>"
    "<Strd><CdtrRefInf><Ref>K2</Ref></CdtrRefInf></Strd><Strd><CdtrRefInf><Ref>K3</Ref>"
    "</CdtrRefInf></Strd><Ustrd>b</Ustrd></RmtInf><RltdPties><Dbtr><Pty><Nm>P</Nm></Pty></Dbtr>"
    "<DbtrAcct><Id><Othr><Id>1</Id></Othr><IBAN>NO9386011117947</IBAN></Id></DbtrAcct>"
    "</RltdPties></TxDtls><Btch><MsgId>B1</MsgId></Btch><TxDtls/><Btch><MsgId>B2</MsgId></Btch>"
    "</NtryDtls><NtryDtls><TxDtls><RtrInf><Rsn><Prtry>R</Prtry></Rsn></RtrInf></TxDtls></NtryDtls>"
    "</Ntry>"
)


def test_repeated_elements_first_counts_but_for_the_lists() -> None:
    data = notification([REPEATS, BASE_ENTRY])
    (entry, _) = read = outcome(read_camt054, "r.xml", data)
    assert read == outcome(reference_read, "r.xml", data)
    assert (entry.amount, entry.currency, entry.direction, entry.status) == (
        Decimal("1.00"),
        "NOK",
        "CRDT",
        "C",
    )
    assert entry.batch_message_id == "B1" and len(entry.transactions) == 3
    first_tx = entry.transactions[0]
    assert (first_tx.end_to_end_id, first_tx.amount, first_tx.kid, first_tx.message) == (
        "E1",
        Decimal("3"),
        "K2",
        "a b",
    )
    assert (first_tx.debtor_name, first_tx.debtor_account) == ("P", "NO9386011117947")
    assert entry.transactions[2].return_reason == "R"


def test_dates_and_amounts_read_once_stay_equal_and_exact() -> None:
    entry = BASE_ENTRY.replace("</Ntry>", "<ValDt><Dt>2026-11-23</Dt></ValDt></Ntry>")
    first_read, second_read = (list(read_camt054("d.xml", notification([entry]))[1]) for _ in "ab")
    assert first_read == second_read
    (read,) = first_read
    assert read.booking_date == read.value_date == date(2026, 11, 23)
    assert str(read.amount) == "5.00" and read.amount == Decimal("5.00")


# --- real files, long files -----------------------------------------------------------------------


@pytest.mark.parametrize("name", shared_fixture_names(SAMPLES))
def test_real_samples_read_as_the_plain_reading_of_each_path(name: str) -> None:
    data = shared_fixture(f"{SAMPLES}/{name}").read_bytes()
    read = outcome(read_camt054, name, data)
    assert read and read == outcome(reference_read, name, data)


def varied_entries(count: int) -> list[Entry]:
    """Debit notes (with their batch), KID credits from IBAN and BBAN payers and returns with a
    remittance line, on three accounts in turn (so Ntfctn after Ntfctn), dates shared or not."""
    accounts = ("86011117947", "NO9386011117947", "15032080119")
    made: list[Entry] = []
    for n in range(count):
        amount, kind = Decimal(n * 7919 % 1_000_000) / 100, n % 7
        day = date(2026, 11, 23) + timedelta(days=n % 5)
        if kind < 4:
            tx = EntryTransaction(f"E2E-{n}", f"INS-{n}", "PMT-1", "PAY-1", amount, "NOK")
        elif kind < 6:
            payer = "NO9386011117947" if kind == 4 else "15032080119"
            tx = EntryTransaction(
                amount=amount,
                currency="NOK",
                kid=f"{n:08d}",
                debtor_name=f"Betaler ø {n}",
                debtor_account=payer,
            )
        else:
            tx = EntryTransaction(
                f"E2E-{n}",
                amount=amount,
                currency="NOK",
                message="Faktura < 12 & 13",
                return_reason="AC04",
            )
        batch = "PAY-1" if kind < 4 else None
        made.append(
            Entry(
                account=accounts[n // 50 % 3],
                amount=amount,
                currency="NOK",
                direction="DBIT" if kind < 4 else "CRDT",
                status="INFO" if kind == 6 else "BOOK",
                booking_date=day,
                value_date=day if n % 3 else None,
                bank_reference=f"ARCH-{n}",
                reversal=kind == 6,
                batch_message_id=batch,
                batch_payment_info_id=batch and "PMT-1",
                transactions=(tx,),
            )
        )
    return made


def test_a_file_of_many_chunks_reads_back_what_was_written_from_a_path_or_bytes(
    tmp_path: Path,
) -> None:
    entries = varied_entries(600)  # about 350 kB: the parser reads it in many chunks
    head = Notification("CAMT-VARIED", datetime(2026, 11, 23, 6, 30, tzinfo=UTC), "camt.054.001.02")
    path = tmp_path / "varied.xml"
    write_camt054(path, head, entries)
    data = path.read_bytes()
    assert len(data) > 10 * 32_768
    for source in (path, data):
        notification, read = read_camt054("varied.xml", source)
        assert (notification, list(read)) == (head, entries)
    assert outcome(reference_read, "varied.xml", data) == entries


# --- the stream without the root's default namespace ----------------------------------------------


def test_broken_file_is_refused_at_the_same_line_and_column_without_the_namespace() -> None:
    one_line = notification([BASE_ENTRY, BASE_ENTRY.replace("</Sts>", "</Stx>")])
    spread = one_line.replace(
        b"<Document ", b'<?xml version="1.0"?>\n<!-- a\nnote -->\n<Document\n '
    )
    spread = spread.replace(
        b'.02">', b'.02"\n  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"\n>'
    )
    for data in (one_line, spread):
        message = stream_error("bad.xml", data, local_names=True)
        assert "malformed XML" in message and "column" in message
        assert message == stream_error("bad.xml", data, local_names=False)
        assert ("rejected", message) == outcome(read_camt054, "bad.xml", data)


@pytest.mark.parametrize(
    "inside",
    ["<AddtlNtryInf>" + "x" * 11_000_000 + "</AddtlNtryInf>", "<a>" * 300 + "</a>" * 300],
    ids=["text over libxml2's limit", "nesting deeper than libxml2's limit"],
)
def test_libxml2_limits_hold_without_the_namespace(inside: str) -> None:
    data = notification([BASE_ENTRY.replace("</Ntry>", inside + "</Ntry>")])
    message = stream_error("huge.xml", data, local_names=True)
    assert "malformed XML" in message
    assert message == stream_error("huge.xml", data, local_names=False)


@pytest.mark.parametrize(
    "namespace",
    ["a b", "urn:%zz", "http://a:b:c", XML_NAMESPACE, "http://www.w3.org/2000/xmlns/", "relative"],
)
def test_a_default_namespace_libxml2_refuses_still_refuses_the_file_there(namespace: str) -> None:
    data = notification([BASE_ENTRY]).replace(NS.encode(), namespace.encode(), 1)
    read = outcome(read_camt054, "ns.xml", data)
    if namespace == "relative":  # only a warning
        assert read == outcome(reference_read, "ns.xml", data) != []
    else:
        assert read == ("rejected", stream_error("ns.xml", data, local_names=False))
        assert "URI" in read[1] or "namespace" in read[1]


PLAIN = b'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:x" a="1"><B/></Document>'
BLANK = b" " * len(b'xmlns="urn:x"')
SPREAD = b"<!-- <Document xmlns='urn:x'> --><?pi x?>\n<D\n  xmlns = 'urn:x'\n/>"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PLAIN, PLAIN.replace(b'xmlns="urn:x"', BLANK)),
        (b"\xef\xbb\xbf" + PLAIN, b"\xef\xbb\xbf" + PLAIN.replace(b'xmlns="urn:x"', BLANK)),
        (
            PLAIN.replace(b"UTF-8", b"latin1"),
            PLAIN.replace(b"UTF-8", b"latin1").replace(b'xmlns="urn:x"', BLANK),
        ),
        (SPREAD, SPREAD.replace(b"xmlns = 'urn:x'\n", b" " * 15 + b"\n")),
        (PLAIN.replace(b"UTF-8", b"UTF-16"), None),  # not one byte per ASCII character
        (PLAIN.replace(b'xmlns="urn:x"', b'xmlns="urn:\xc3\xb8"'), None),  # not ASCII
        (PLAIN.replace(b'a="1"', b'xmlns="urn:y"'), None),  # two: malformed, left to libxml2
        (PLAIN.replace(b"urn:x", XML_NAMESPACE.encode()), None),  # libxml2 refuses it
        (PLAIN.replace(b'a="1"', b'a="&x;"'), None),  # so it does an undeclared entity
        (PLAIN.replace(b"<Document", b"<c:Document").replace(b"xmlns=", b"xmlns:c="), None),
        (b"<!--" + b"x" * 9000 + b"-->" + PLAIN[39:], None),  # the root beyond the first 8 KiB
        (b"", None),
    ],
)
def test_only_a_plain_default_namespace_on_the_root_is_blanked(
    data: bytes, expected: bytes | None
) -> None:
    stream = without_default_namespace(data)
    streamed = b"".join(iter(partial(stream.read, 5), b""))
    stream.close()
    assert streamed == (data if expected is None else expected)
    assert len(streamed) == len(data) and streamed.count(b"\n") == data.count(b"\n")


def test_a_stream_reads_in_the_chunks_a_file_would_from_a_path_or_bytes(tmp_path: Path) -> None:
    data = PLAIN * 3000
    path = tmp_path / "plain.xml"
    path.write_bytes(data)
    expected = data.replace(b'xmlns="urn:x"', BLANK, 1)
    for stream in (without_default_namespace(path), without_default_namespace(data)):
        chunks = list(iter(partial(stream.read, 32_768), b""))  # what iterparse asks for
        stream.close()
        assert b"".join(chunks) == expected
        assert [len(chunk) for chunk in chunks[:-1]] == [32_768] * (len(data) // 32_768)
    whole = without_default_namespace(data)
    assert whole.read() == expected
    whole.close()


# --- the model's objects, built without __init__ -------------------------------------------------


def test_fast_constructors_make_the_dataclasses_own_objects() -> None:
    for cls, make in (
        (Entry, camt054_reader._new_entry),
        (EntryTransaction, camt054_reader._new_transaction),
    ):
        values = [f"v{number}" for number, _ in enumerate(fields(cls))]
        made, built = make(*values), cls(*values)
        assert made == built and hash(made) == hash(built) and repr(made) == repr(built)
        assert vars(made) == vars(built) and list(vars(made)) == list(vars(built))
