"""A company's chart of accounts read from a file: CSV (number;name, optionally by_hand) or SAF-T
Financial's MasterFiles/GeneralLedgerAccounts; whole, or refused as `FILE:LINE: field: problem`;
hostile input never crashes the reader."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lxml import etree

from paybot.core.chart_of_accounts import (
    GL_ACCOUNT,
    NAME_LENGTH,
    AccountNotInChart,
    ChartRow,
    read_chart,
)
from paybot.core.errors import ImportRejected, ValidationFailed
from paybot.core.ledgerfiles.chart import Grouping
from paybot.core.ledgerfiles.saft import NAMESPACE, SaftAccount
from paybot.core.text import text_problem
from paybot.store import tables
from tests.core.test_ledgerfiles import mixed_vouchers, saft_bytes, saft_schema, valid_saft
from tests.shared_fixtures import shared_fixture

__all__ = ["saft_schema"]  # the fixture, used by name

CHART = (
    "number;name;by_hand\n"
    "1500;Kundefordringer;nei\n"
    "1920;Bankinnskudd;\n"
    "3400;Offentlig tilskudd/refusjon;yes\n"
    "3900;Annen driftsrelatert inntekt;ja\n"
)


def refused(data: bytes | str, source: str = "chart.csv") -> str:
    with pytest.raises(ImportRejected) as caught:
        read_chart(source, data.encode() if isinstance(data, str) else data)
    return str(caught.value)


# --- CSV --------------------------------------------------------------------------------------


def test_a_csv_chart_gives_each_account_its_line_name_and_by_hand() -> None:
    assert read_chart("chart.csv", CHART.encode()) == [
        ChartRow(2, "1500", "Kundefordringer", by_hand=False),
        ChartRow(3, "1920", "Bankinnskudd"),
        ChartRow(4, "3400", "Offentlig tilskudd/refusjon"),
        ChartRow(5, "3900", "Annen driftsrelatert inntekt"),
    ]


def test_number_and_name_alone_with_a_bom_commas_and_quoted_names_will_do() -> None:
    data = '\ufeffNumber,Name\r\n3900,"Inntekt, annen"\r\n\r\n7770,"Bank- og ""kort""gebyr"\r\n'

    assert read_chart("chart.csv", data.encode()) == [
        ChartRow(2, "3900", "Inntekt, annen"),
        ChartRow(4, "7770", 'Bank- og "kort"gebyr'),
    ]


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ("number;name\n3900;A\n39x;B\n", "chart.csv:3: number: '39x' is not a GL account number"),
        ("number;name\n12;A\n", "chart.csv:2: number: '12' is not a GL account number"),
        ("number;name\n12345678901;A\n", "chart.csv:2: number: '12345678901' is not a GL"),
        ("number;name\n;A\n", "chart.csv:2: number: is required"),
        ("number;name\n3900;\n", "chart.csv:2: name: is required (the account's name)"),
        ("number;name\n3900;A\n\n3900;B\n", "chart.csv:4: number: account 3900 already appears"),
        ("number;name;by_hand\n3900;A;maybe\n", "chart.csv:2: by_hand: 'maybe' is neither yes"),
        ("number;name\n3900;A\x1b[31mB\n", "chart.csv:2: name: control character U+001B"),
        ("konto;navn\n3900;A\n", "chart.csv:1: number: required column is missing"),
        ("number;name\n3900;A;x\n", "chart.csv:2: the row has 3 fields but the header has 2"),
        ("number;name\n", "chart.csv:1: no accounts in the file"),
        ("", "chart.csv:1: no accounts in the file"),
        (b"number;name\n3900;Kj\xf8p\n", "chart.csv:2: byte 0xf8 is not valid UTF-8"),
    ],
)
def test_a_bad_csv_is_refused_at_its_line_and_field(data: str | bytes, said: str) -> None:
    assert refused(data).startswith(said)


def test_a_name_as_long_as_saft_allows_is_taken_and_a_longer_one_refused() -> None:
    longest = "n" * NAME_LENGTH
    [row] = read_chart("c.csv", f"number;name\n3900;{longest}\n".encode())
    assert row.name == longest
    assert "at most 256 characters (got 257)" in refused(f"number;name\n3900;{longest}n\n")


def test_the_name_length_is_the_stored_columns() -> None:
    assert tables.chart_accounts.c.name.type.length == NAME_LENGTH
    assert (
        tables.chart_accounts.c.number.type.length
        == 10
        == tables.voucher_lines.c.account.type.length
    )


# --- SAF-T Financial --------------------------------------------------------------------------


def test_a_saft_file_gives_the_accounts_of_its_general_ledger(
    saft_schema: etree.XMLSchema,
) -> None:
    own = SaftAccount(
        "3400", description="Refusjon fra NAV", grouping=Grouping("annenDriftsinntekt", "3400")
    )
    data = saft_bytes(mixed_vouchers(), accounts=[own])
    root = valid_saft(saft_schema, data)  # a real SAF-T Financial 1.30 file
    listed = root.findall(f"{{{NAMESPACE}}}MasterFiles/{{{NAMESPACE}}}GeneralLedgerAccounts/*")

    rows = read_chart("SAF-T.xml", data)

    assert [(row.number, row.name, row.by_hand) for row in rows][:2] == [
        ("1500", "Kundefordringer", True),
        ("1920", "Bankinnskudd", True),
    ]
    assert ("3400", "Refusjon fra NAV") in [(row.number, row.name) for row in rows]
    assert [row.line for row in rows] == [account.sourceline for account in listed]
    assert len(rows) == len(listed)


def _saft(accounts: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<AuditFile xmlns="{NAMESPACE}">\n'
        "<Header><AuditFileVersion>1.30</AuditFileVersion></Header>\n"
        f"<MasterFiles>\n<GeneralLedgerAccounts>\n{accounts}</GeneralLedgerAccounts>\n"
        "</MasterFiles>\n</AuditFile>\n"
    ).encode()


def _account(number: str, name: str) -> str:
    return (
        f"<Account><AccountID>{number}</AccountID><AccountDescription>{name}"
        "</AccountDescription><GroupingCategory>x</GroupingCategory><GroupingCode>1</GroupingCode>"
        "<AccountType>GL</AccountType></Account>\n"
    )


@pytest.mark.parametrize(
    ("accounts", "said"),
    [
        (_account("3900", "A") + _account("39 00", "B"), "SAF-T.xml:7: AccountID: '39 00' is not"),
        (
            _account("3900", "A") + _account("3900", "B"),
            "SAF-T.xml:7: AccountID: account 3900 already",
        ),
        (_account("3900", ""), "SAF-T.xml:6: AccountDescription: is required"),
        (_account("3900", "A &amp; B\u202e"), "SAF-T.xml:6: AccountDescription: control character"),
        ("", "SAF-T.xml:1: no accounts in the file"),
        (_account("3900", "A <b>"), "SAF-T.xml:6: malformed XML"),
    ],
)
def test_a_bad_saft_file_is_refused_at_its_line_and_field(accounts: str, said: str) -> None:
    assert refused(_saft(accounts), "SAF-T.xml").startswith(said)


def test_a_saft_file_with_a_dtd_or_another_namespace_or_root_is_refused() -> None:
    good = _saft(_account("3900", "A"))
    with_dtd = good.replace(b"<AuditFile", b'<!DOCTYPE AuditFile [<!ENTITY x "y">]>\n<AuditFile')

    assert "DTDs and entities are not allowed" in refused(with_dtd, "s.xml")
    assert "not SAF-T Financial (Norway)'s" in refused(good.replace(b"Financial:NO", b"X"))
    assert "not a SAF-T file: it holds <Document>" in refused(b"<Document/>")


def test_the_official_pain001_sample_is_no_chart() -> None:
    data = sorted(shared_fixture("samples/pain001").glob("*.xml"))[0].read_bytes()
    assert "not a SAF-T file" in refused(data, "pain.xml")


# --- hostile input ----------------------------------------------------------------------------

_HEADERS = st.sampled_from(["number;name\n", "number;name;by_hand\r\n", "Name,Number\n", ""])
_PIECES = st.sampled_from(
    ["number", "name", "by_hand", ";", ",", '"', "\n", "\r\n", "3900;Salg\n", "1500;Kunder;nei\n",
     "3900", "123", "yes", "nei", " ", "\x00", "\x1b", "\u202e", "\ufeff", "æøå", "<", "'", "\t",
     "9" * 11, "n" * 300, "\ud800"]
)  # fmt: skip
_HOSTILE_CSV = st.tuples(_HEADERS, st.lists(_PIECES, max_size=40).map("".join)).map("".join)


def _holds(data: bytes) -> None:
    """read_chart gives valid rows, or one ImportRejected naming the file and a line."""
    try:
        rows = read_chart("hostile.csv", data)
    except ImportRejected as refusal:
        assert str(refusal).startswith(f"hostile.csv:{refusal.line}: ")
        assert refusal.line >= 1 and refusal.problem
        return
    assert rows and len({row.number for row in rows}) == len(rows)
    for row in rows:
        assert GL_ACCOUNT.fullmatch(row.number)
        assert row.name and len(row.name) <= NAME_LENGTH and text_problem(row.name) is None
        assert row.line >= 2


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_HOSTILE_CSV)
@example('number;name\n3900;"A\n')
@example('number;name\n"3900";"A"\n')
@example("number;name\r\n3900;A\r")
def test_a_hostile_csv_is_taken_whole_or_refused_clearly(text: str) -> None:
    _holds(text.encode("utf-8", "surrogatepass"))


@settings(max_examples=200)
@given(st.binary(max_size=200))
@example(b"<")
@example(b"\xef\xbb\xbf<AuditFile")
def test_any_bytes_are_taken_whole_or_refused_clearly(data: bytes) -> None:
    _holds(data)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.from_regex(r"[0-9]{3,10}", fullmatch=True), st.text(max_size=30)),
        min_size=1,
        max_size=8,
    )
)
def test_any_rows_a_spreadsheet_writes_come_back_as_they_were_or_are_refused(
    rows: list[tuple[str, str]],
) -> None:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["number", "name"])
    writer.writerows(rows)
    data = out.getvalue().encode("utf-8", "surrogatepass")
    bad = len({number for number, _ in rows}) < len(rows) or any(
        not name.strip() or text_problem(name.strip()) for _, name in rows
    )

    _holds(data)
    if not bad:
        taken = read_chart("hostile.csv", data)
        assert [(row.number, row.name) for row in taken] == [(n, name.strip()) for n, name in rows]


def test_a_refused_account_names_it_and_says_how_to_add_or_open_it() -> None:
    missing = AccountNotInChart("9999", "Acme AS", "974760673", closed_name=None)
    closed = AccountNotInChart("1500", "Acme AS", "974760673", closed_name="Kundefordringer")

    assert isinstance(missing, ValidationFailed) and list(missing.errors) == ["account"]
    assert missing.errors["account"] == (
        "9999 is not in the chart of accounts of Acme AS: check the number, or add the account "
        "to the chart file and import it again (`paybot ledger accounts import FILE --company "
        "974760673`)"
    )
    assert closed.closed and closed.errors["account"].startswith(
        "1500 Kundefordringer is closed for posting by hand in the chart of accounts of Acme AS"
    )
