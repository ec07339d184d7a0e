"""Hardened XML reading: hostile and broken bank files are refused whole, naming the file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from paybot.core.bankfiles import safe_xml
from paybot.core.bankfiles.camt054 import read_camt054
from paybot.core.bankfiles.model import BankFileRejected
from paybot.core.bankfiles.pain002 import read_pain002
from paybot.core.bankfiles.safe_xml import (
    NOT_ALLOWED,
    XmlStream,
    children,
    first,
    refuse_declarations,
    sniff,
    text,
    version_in,
)

PAIN002 = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"
CAMT054 = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"
SECRET = "TOP-SECRET-PAYROLL-DATA"


def status_report(message_id: str = "STS-1") -> str:
    return (
        f'<Document xmlns="{PAIN002}"><CstmrPmtStsRpt>'
        f"<GrpHdr><MsgId>{message_id}</MsgId><CreDtTm>2026-11-23T10:00:00</CreDtTm></GrpHdr>"
        "<OrgnlGrpInfAndSts><OrgnlMsgId>PAY-1</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.03"
        "</OrgnlMsgNmId><GrpSts>ACTC</GrpSts></OrgnlGrpInfAndSts></CstmrPmtStsRpt></Document>"
    )


def xxe_file(tmp_path: Path) -> Path:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    doctype = f'<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
    path = tmp_path / "xxe-pain002.xml"
    path.write_text('<?xml version="1.0"?>\n' + doctype + status_report("&xxe;"))
    return path


def billion_laughs(tmp_path: Path) -> Path:
    entities = ['<!ENTITY lol "lol">']
    entities += [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    ]
    path = tmp_path / "laughs-camt054.xml"
    path.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE lolz [{"".join(entities)}]>\n<lolz>&lol9;</lolz>'
    )
    return path


# --- DTDs and entities ---------------------------------------------------------------------------


Reader = Callable[[str, Path], object]


@pytest.mark.parametrize("read", [read_pain002, read_camt054])
def test_xxe_file_is_refused_whole_before_parsing(tmp_path: Path, read: Reader) -> None:
    path = xxe_file(tmp_path)
    with pytest.raises(BankFileRejected) as caught:
        read(path.name, path)
    message = str(caught.value)
    assert message.startswith("xxe-pain002.xml:2: ")
    assert NOT_ALLOWED in message and SECRET not in message


@pytest.mark.parametrize("read", [read_pain002, read_camt054])
def test_billion_laughs_is_refused_whole(tmp_path: Path, read: Reader) -> None:
    path = billion_laughs(tmp_path)
    with pytest.raises(BankFileRejected) as caught:
        read(path.name, path)
    assert caught.value.source == "laughs-camt054.xml"
    assert NOT_ALLOWED in caught.value.problem


def test_bytes_are_scanned_like_files(tmp_path: Path) -> None:
    data = xxe_file(tmp_path).read_bytes()
    with pytest.raises(BankFileRejected, match=NOT_ALLOWED):
        read_pain002("upload.xml", data)


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_doctype_in_a_utf16_or_utf32_file_is_refused(codec: str) -> None:
    data = f'<?xml version="1.0" encoding="{codec}"?>\n<!DOCTYPE x>\n<x/>'.encode(codec)
    with pytest.raises(BankFileRejected, match=NOT_ALLOWED):
        refuse_declarations("wide.xml", data)


def test_lowercase_doctype_is_refused_too() -> None:
    with pytest.raises(BankFileRejected, match=NOT_ALLOWED):
        refuse_declarations("lower.xml", b"<!doctype x><x/>")


def test_declaration_across_a_read_chunk_is_found_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    filler = b"<!-- " + b"x" * 99 + b" -->\n"  # 110 bytes a line
    lines = (1 << 18) // len(filler)
    head = filler * lines
    cut = (1 << 18) - len(head) - 3  # "<!DOCTYPE" straddles the 256 KiB chunk boundary
    path.write_bytes(head + b" " * cut + b"<!DOCTYPE x>\n<x/>")
    with pytest.raises(BankFileRejected) as caught:
        refuse_declarations(path.name, path)
    assert caught.value.line == lines + 1


def test_a_file_without_declarations_passes_the_scan(tmp_path: Path) -> None:
    path = tmp_path / "ok.xml"
    path.write_text(status_report())
    refuse_declarations(path.name, path)
    refuse_declarations("ok.xml", path.read_bytes())


def test_parser_itself_neither_expands_nor_fetches_entities(tmp_path: Path) -> None:
    # Second line of defence: even without the byte scan, the parse refuses the DTD and
    # never reads the file the entity points at.
    data = xxe_file(tmp_path).read_bytes()
    with pytest.raises(BankFileRejected) as caught:
        sniff("direct.xml", data, "CstmrPmtStsRpt", "pain.002")
    assert NOT_ALLOWED in str(caught.value) and SECRET not in str(caught.value)
    events = safe_xml._iterparse(data, ("end",), None)
    texts = [element.text or "" for _, element in events]
    assert not any(SECRET in value for value in texts)


# --- malformed and foreign files -----------------------------------------------------------------


def test_malformed_file_is_refused_naming_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken-pain002.xml"
    path.write_text(status_report().replace("</GrpSts>", "</GrpSts>\n\n<Oops></CstmrPmtStsRpt>"))
    with pytest.raises(BankFileRejected) as caught:
        read_pain002(path.name, path)
    assert caught.value.source == "broken-pain002.xml"
    assert caught.value.line == 3
    assert str(caught.value).startswith("broken-pain002.xml:3: malformed XML")


def test_truncated_camt054_is_refused_while_reading_its_entries(tmp_path: Path) -> None:
    head = (
        f'<Document xmlns="{CAMT054}"><BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>C-1</MsgId>'
        "<CreDtTm>2026-11-23T10:00:00</CreDtTm></GrpHdr><Ntfctn><Id>N</Id>\n<Ntry><Amt Ccy="
    )
    path = tmp_path / "cut-camt054.xml"
    path.write_text(head + "\n" * 5000)
    with pytest.raises(BankFileRejected) as caught:
        _, entries = read_camt054(path.name, path)
        list(entries)
    assert caught.value.source == "cut-camt054.xml" and caught.value.line is not None
    assert "malformed XML" in caught.value.problem


def test_empty_file_is_malformed() -> None:
    with pytest.raises(BankFileRejected, match="malformed XML"):
        read_pain002("empty.xml", b"")


def test_text_node_over_libxml2_limit_is_refused() -> None:
    huge = f'<Document xmlns="{PAIN002}"><CstmrPmtStsRpt><GrpHdr><MsgId>'
    data = (huge + "x" * 11_000_000 + "</MsgId></GrpHdr></CstmrPmtStsRpt></Document>").encode()
    with pytest.raises(BankFileRejected, match="malformed XML"):
        read_pain002("huge.xml", data)


def test_nesting_deeper_than_libxml2_limit_is_refused() -> None:
    data = f'<Document xmlns="{PAIN002}"><CstmrPmtStsRpt>'.encode()
    data += b"<a>" * 300 + b"</a>" * 300 + b"</CstmrPmtStsRpt></Document>"
    with pytest.raises(BankFileRejected, match="malformed XML"):
        read_pain002("deep.xml", data)


def test_camt054_given_as_pain002_is_refused_as_not_a_pain002() -> None:
    data = f'<Document xmlns="{CAMT054}"><BkToCstmrDbtCdtNtfctn/></Document>'.encode()
    with pytest.raises(BankFileRejected) as caught:
        read_pain002("notes.xml", data)
    assert caught.value.problem == (
        "not a pain.002 file: it holds <Document/BkToCstmrDbtCdtNtfctn>, not <CstmrPmtStsRpt>"
    )


def test_html_page_is_not_a_camt054() -> None:
    with pytest.raises(BankFileRejected, match="not a camt.054 file: it holds <html/body>"):
        read_camt054("login.html", b"<html><body>Log in</body></html>")


def test_namespace_naming_another_message_is_refused() -> None:
    data = status_report().replace("pain.002.001.03", "pain.001.001.03").encode()
    with pytest.raises(BankFileRejected, match="its namespace says pain.001.001.03"):
        read_pain002("mixed.xml", data)


# --- streaming and local names -------------------------------------------------------------------


def test_message_may_sit_in_an_envelope_and_have_no_namespace() -> None:
    data = b"<Envelope><Hdr/><Document><CstmrPmtStsRpt/></Document></Envelope>"
    kind = sniff("env.xml", data, "CstmrPmtStsRpt", "pain.002")
    assert (kind.message, kind.namespace, kind.version) == ("CstmrPmtStsRpt", None, None)


def test_version_comes_from_iso_and_bank_specific_namespaces() -> None:
    assert version_in(PAIN002) == "pain.002.001.03"
    swiss = "http://www.six-interbank-clearing.com/de/pain.002.001.03.ch.02.xsd"
    assert version_in(swiss) == "pain.002.001.03"
    assert version_in(None) is None and version_in("urn:example") is None


def test_stream_matches_local_names_and_detaches_what_it_yielded() -> None:
    rows = "".join(f"<Row><Id>{n}</Id></Row>" for n in range(5))
    data = f'<Document xmlns="urn:x:pain.002.001.10"><CstmrPmtStsRpt>{rows}</CstmrPmtStsRpt>'
    data += "</Document>"
    stream = XmlStream(
        "rows.xml", data.encode(), message="CstmrPmtStsRpt", family="pain.002", ends=("Row",)
    )
    assert stream.kind.version == "pain.002.001.10"
    seen = []
    for event, name, element in stream:
        seen.append((event, name, text(element, "Id")))
        assert element.getprevious() is None  # the rows before it are gone
    assert seen == [("end", "Row", str(n)) for n in range(5)]


def test_field_helpers_ignore_namespaces() -> None:
    for namespace in ("", ' xmlns="urn:a"'):
        stream = XmlStream(
            "f.xml",
            f"<Document{namespace}><Msg><A><B> b </B><B>2</B><C/></A></Msg></Document>".encode(),
            message="Msg",
            family="pain.002",
            ends=("A",),
        )
        _, _, element = next(stream)
        assert text(element, "B") == "b" and text(element, "C") is None
        assert first(element, "Z", "B") is None
        assert sorted(children(element)) == ["B", "C"]
