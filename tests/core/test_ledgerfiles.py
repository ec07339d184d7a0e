"""Ledger files out: CSV for a Norwegian spreadsheet, JSON, SAF-T Financial 1.30 (valid against
the Tax Administration's XSD), account balances, and the standard chart's SAF-T groupings."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from paybot.core.company import Language
from paybot.core.errors import ValidationFailed
from paybot.core.ledgerfiles.balance import (
    AccountBalance,
    LedgerFold,
    LedgerSummary,
    account_balances,
    summarize,
)
from paybot.core.ledgerfiles.chart import STANDARD_CHART, Grouping, chart_account
from paybot.core.ledgerfiles.common import party_id
from paybot.core.ledgerfiles.csv_export import CSV_HEADERS, write_csv
from paybot.core.ledgerfiles.json_export import write_json
from paybot.core.ledgerfiles.saft import (
    NAMESPACE,
    Address,
    Contact,
    Period,
    SaftAccount,
    SaftCompany,
    opening_accounts,
    parties_of,
    saft_file_name,
    write_saft,
)
from paybot.core.vouchers import STANDARD_ACCOUNTS, Party, Voucher, VoucherLine
from tests.shared_fixtures import shared_fixture

ORG_NO = "974760673"
MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))
CREATED = date(2026, 4, 2)
COMPANY = SaftCompany(
    org_no=ORG_NO,
    name="Fjordkraft Rør & Sønn AS",
    currency="NOK",
    contact=Contact("Kari", "Nordmann", "+47 22 33 44 55", "kari@example.no"),
    address=Address("Storgata", "12", "0155", "Oslo"),
)
SUPPLIER = Party("supplier", "Bergen Elektro AS", org_no="987654325")
SUPPLIER_TRICKY = Party("supplier", 'Hansen; "Rør"\nog Sønn AS', key="L-1042")
CUSTOMER = Party("customer", "Kunde Nord AS", org_no="912345678")
CUSTOMER_NAMELESS_ID = Party("customer", "Ola Nordmann")
NS = {"s": NAMESPACE}
AMOUNT_TEXT = re.compile(r"^-?\d+\.\d{2}$")
SAFT_CONTROL = "\x1b[31m"


# --- building vouchers ---------------------------------------------------------------------------


def a_line(
    account: str,
    *,
    debit: str = "0.00",
    credit: str = "0.00",
    currency: str = "NOK",
    amount_currency: str | None = None,
    text: str = "",
    party: Party | None = None,
) -> VoucherLine:
    own = Decimal(debit) or Decimal(credit)
    return VoucherLine(
        account=account,
        debit=Decimal(debit),
        credit=Decimal(credit),
        currency=currency,
        amount_currency=Decimal(amount_currency) if amount_currency is not None else own,
        text=text,
        party=party,
    )


def a_voucher(
    number: int, lines: Sequence[VoucherLine], *, day: date | None = None, text: str = ""
) -> Voucher:
    return Voucher(
        company_org_no=ORG_NO,
        number=number,
        day=day or date(2026, 3, min(number, 28)),
        text=text or f"Betaling bilag {number}",
        lines=tuple(lines),
    )


def supplier_payment(number: int, amount: str, party: Party = SUPPLIER, **kw: Any) -> Voucher:
    return a_voucher(
        number,
        [
            a_line("2400", debit=amount, text=f"Faktura {number}", party=party),
            a_line("1920", credit=amount, text="Utbetaling"),
        ],
        **kw,
    )


def eur_payment(number: int) -> Voucher:
    """EUR 1,000 booked at 11.50 and paid at 11.62: 120.00 disagio."""
    return a_voucher(
        number,
        [
            a_line(
                "2400",
                debit="11500.00",
                currency="EUR",
                amount_currency="1000.00",
                text="Invoice 77",
                party=SUPPLIER,
            ),
            a_line("8160", debit="120.00", text="Disagio"),
            a_line("1920", credit="11620.00", currency="EUR", amount_currency="1000.00"),
        ],
        text="Betaling EUR",
    )


def incoming_payment(number: int, amount: str, party: Party = CUSTOMER) -> Voucher:
    return a_voucher(
        number,
        [
            a_line("1920", debit=amount, text="KID 1234567890"),
            a_line("1500", credit=amount, text="Innbetaling", party=party),
        ],
        text="Innbetaling KID",
    )


def many_lines(number: int, count: int) -> Voucher:
    """A batch voucher: `count` supplier lines and one bank line."""
    lines = [
        a_line("2400", debit=f"{100 + index}.{index % 100:02d}", party=SUPPLIER, text=f"F{index}")
        for index in range(count)
    ]
    total = sum((line.debit for line in lines), Decimal(0))
    return a_voucher(number, [*lines, a_line("1920", credit=f"{total}")], text="Bunt")


def mixed_vouchers() -> list[Voucher]:
    return [
        supplier_payment(1, "1250.00"),
        supplier_payment(2, "999.90", SUPPLIER_TRICKY),
        eur_payment(3),
        incoming_payment(4, "4375.50"),
        incoming_payment(5, "200.00", CUSTOMER_NAMELESS_ID),
        many_lines(6, 40),
    ]


# --- reading the files back ----------------------------------------------------------------------


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def comma_amount(text: str) -> Decimal:
    assert re.fullmatch(r"-?\d+,\d{2,}", text), text
    return Decimal(text.replace(",", "."))


def csv_bytes(vouchers: Sequence[Voucher], **kw: Any) -> bytes:
    out = io.BytesIO()
    write_csv(iter(vouchers), out, **kw)
    return out.getvalue()


def json_document(vouchers: Sequence[Voucher]) -> dict[str, Any]:
    out = io.BytesIO()
    write_json(iter(vouchers), out)

    def no_floats(text: str) -> None:
        pytest.fail(f"a JSON number with a fraction: {text}")

    document: dict[str, Any] = json.loads(out.getvalue(), parse_float=no_floats)
    return document


@pytest.fixture(scope="module")
def saft_schema() -> etree.XMLSchema:
    path = shared_fixture("saft/Norwegian_SAF-T_Financial_Schema_v_1.30.xsd")
    return etree.XMLSchema(etree.parse(str(path)))


def saft_bytes(
    vouchers: Sequence[Voucher],
    *,
    period: Period = MARCH,
    accounts: Sequence[SaftAccount] = (),
    summary: LedgerSummary | None = None,
    parties: Sequence[Party] | None = None,
    company: SaftCompany = COMPANY,
) -> bytes:
    out = io.BytesIO()
    written = write_saft(
        out,
        company=company,
        period=period,
        accounts=accounts,
        parties=parties_of(vouchers) if parties is None else parties,
        summary=summarize(vouchers) if summary is None else summary,
        vouchers=iter(vouchers),
        created=CREATED,
        software_version="0.1.0",
    )
    assert written == summarize(vouchers)
    return out.getvalue()


def write_march(
    out: io.BytesIO, vouchers: Iterable[Voucher], *, summary: LedgerSummary, parties: list[Party]
) -> LedgerSummary:
    """`write_saft` for March with `summary` as given, whether the vouchers add up to it or not."""
    return write_saft(
        out,
        company=COMPANY,
        period=MARCH,
        accounts=[],
        parties=parties,
        summary=summary,
        vouchers=vouchers,
        created=CREATED,
        software_version="0.1.0",
    )


def valid_saft(schema: etree.XMLSchema, data: bytes) -> etree._Element:
    """The parsed file, once it is valid against the XSD and its ids all resolve."""
    root = etree.fromstring(data)
    assert schema.validate(root), schema.error_log
    check_references(root)
    return root


def check_references(root: etree._Element) -> None:
    """The XSD's key/keyref constraints use unqualified XPaths, so lxml does not enforce them on
    this namespaced file (a dangling AccountID validates): check them here."""
    accounts = root.xpath("//s:GeneralLedgerAccounts/s:Account/s:AccountID/text()", namespaces=NS)
    customers = root.xpath("//s:Customers/s:Customer/s:CustomerID/text()", namespaces=NS)
    suppliers = root.xpath("//s:Suppliers/s:Supplier/s:SupplierID/text()", namespaces=NS)
    transactions = root.xpath("//s:Transaction/s:TransactionID/text()", namespaces=NS)
    for ids in (accounts, customers, suppliers, transactions):
        assert len(ids) == len(set(ids))
    lines = root.xpath("//s:Transaction/s:Line", namespaces=NS)
    for line in lines:
        assert line.findtext("s:AccountID", namespaces=NS) in accounts
        customer = line.findtext("s:CustomerID", namespaces=NS)
        supplier = line.findtext("s:SupplierID", namespaces=NS)
        assert customer is None or customer in customers
        assert supplier is None or supplier in suppliers


def saft_line_totals(root: etree._Element) -> tuple[Decimal, Decimal]:
    debit = sum(
        (Decimal(text) for text in root.xpath("//s:DebitAmount/s:Amount/text()", namespaces=NS)),
        Decimal(0),
    )
    credit = sum(
        (Decimal(text) for text in root.xpath("//s:CreditAmount/s:Amount/text()", namespaces=NS)),
        Decimal(0),
    )
    return debit, credit


def text_of(root: etree._Element, path: str) -> str:
    found = root.findtext(path, namespaces=NS)
    assert found is not None, path
    return found


def account_element(root: etree._Element, number: str) -> etree._Element:
    (found,) = root.xpath(
        f"//s:GeneralLedgerAccounts/s:Account[s:AccountID='{number}']", namespaces=NS
    )
    element: etree._Element = found
    return element


# --- CSV -----------------------------------------------------------------------------------------


def test_csv_is_utf8_with_bom_semicolons_crlf_and_a_norwegian_header() -> None:
    data = csv_bytes([supplier_payment(1, "1250.00")])
    assert data.startswith("\ufeffBilagsnr;Dato;Bilagstekst;Konto;Debet;Kredit;".encode())
    assert data.count(b"\r\n") == 3
    assert "Leverandør/kunde".encode() in data


def test_csv_has_one_row_per_line_with_date_accounts_amounts_and_party() -> None:
    rows = csv_rows(csv_bytes([supplier_payment(7, "1250.00", day=date(2026, 3, 9))]))
    assert rows[0] == list(CSV_HEADERS[Language.NB])
    assert rows[1:] == [
        ["7", "09.03.2026", "Betaling bilag 7", "2400", "1250,00", "0,00", "NOK", "1250,00",
         "Bergen Elektro AS", "Faktura 7"],
        ["7", "09.03.2026", "Betaling bilag 7", "1920", "0,00", "1250,00", "NOK", "1250,00",
         "", "Utbetaling"],
    ]  # fmt: skip


def test_csv_amounts_have_a_decimal_comma_and_no_thousands_separator() -> None:
    rows = csv_rows(csv_bytes([supplier_payment(1, "1234567.5")]))
    assert rows[1][4] == "1234567,50"
    assert rows[2][5] == "1234567,50"


def test_csv_foreign_currency_line_carries_currency_and_its_amount() -> None:
    rows = csv_rows(csv_bytes([eur_payment(3)]))
    assert rows[1][4:8] == ["11500,00", "0,00", "EUR", "1000,00"]
    assert rows[2][4:8] == ["120,00", "0,00", "NOK", "120,00"]


def test_csv_parsed_back_sums_to_the_voucher_totals() -> None:
    vouchers = mixed_vouchers()
    rows = csv_rows(csv_bytes(vouchers))[1:]
    assert len(rows) == sum(len(voucher.lines) for voucher in vouchers)
    debit = sum((comma_amount(row[4]) for row in rows), Decimal(0))
    credit = sum((comma_amount(row[5]) for row in rows), Decimal(0))
    assert debit == credit == sum((voucher.debits for voucher in vouchers), Decimal(0))


def test_csv_payee_name_with_semicolon_quotes_and_line_break_stays_one_field() -> None:
    rows = csv_rows(csv_bytes([supplier_payment(2, "999.90", SUPPLIER_TRICKY)]))
    assert len(rows) == 3
    assert all(len(row) == 10 for row in rows)
    assert rows[1][8] == 'Hansen; "Rør"\nog Sønn AS'


def test_csv_text_a_spreadsheet_would_run_as_a_formula_is_kept_as_text() -> None:
    hostile = Party("supplier", '=HYPERLINK("http://evil";"klikk")', org_no="987654325")
    voucher = a_voucher(
        1,
        [a_line("2400", debit="10.00", party=hostile, text="+cmd|' /C calc'!A0"),
         a_line("1920", credit="10.00", text="@SUM(1+1)")],
        text="-2+3",
    )  # fmt: skip
    rows = csv_rows(csv_bytes([voucher]))
    assert rows[1][2] == "'-2+3"
    assert rows[1][8] == '\'=HYPERLINK("http://evil";"klikk")'
    assert rows[1][9] == "'+cmd|' /C calc'!A0"
    assert rows[2][9] == "'@SUM(1+1)"


def test_csv_header_in_english_on_request() -> None:
    rows = csv_rows(csv_bytes([supplier_payment(1, "5.00")], language=Language.EN))
    assert rows[0][:2] == ["Voucher no", "Date"]


def test_csv_writes_rows_as_vouchers_come_and_leaves_the_stream_open() -> None:
    out = io.BytesIO()
    seen_before_last: list[int] = []

    def vouchers() -> Iterator[Voucher]:
        for number in range(1, 501):
            if number == 500:
                seen_before_last.append(len(out.getvalue()))
            yield supplier_payment(number, "100.00", day=date(2026, 3, 1))

    write_csv(vouchers(), out)
    assert 0 < seen_before_last[0] < len(out.getvalue())
    assert not out.closed


def test_csv_refuses_a_control_character_naming_voucher_and_line() -> None:
    voucher = supplier_payment(12, "10.00", Party("supplier", f"Navn{SAFT_CONTROL}", "987654325"))
    with pytest.raises(ValidationFailed) as refused:
        csv_bytes([voucher])
    assert "voucher 12" in refused.value.errors
    assert "line 1 party: character U+001B at position 5" in refused.value.user_message


def test_csv_refuses_a_voucher_that_does_not_balance() -> None:
    voucher = a_voucher(3, [a_line("2400", debit="10.00"), a_line("1920", credit="9.99")])
    with pytest.raises(ValidationFailed, match="voucher 3: debits 10.00 and credits 9.99"):
        csv_bytes([voucher])


# --- JSON ----------------------------------------------------------------------------------------


def test_json_parses_back_with_the_vouchers_lines_and_string_amounts() -> None:
    document = json_document([supplier_payment(7, "1250", day=date(2026, 3, 9))])
    assert document == {
        "vouchers": [
            {
                "number": 7,
                "date": "2026-03-09",
                "text": "Betaling bilag 7",
                "lines": [
                    {"account": "2400", "debit": "1250.00", "credit": "0.00", "currency": "NOK",
                     "amount_currency": "1250.00", "text": "Faktura 7",
                     "supplier": {"id": "987654325", "name": "Bergen Elektro AS",
                                  "org_no": "987654325"}},
                    {"account": "1920", "debit": "0.00", "credit": "1250.00", "currency": "NOK",
                     "amount_currency": "1250.00", "text": "Utbetaling"},
                ],
            }
        ]
    }  # fmt: skip


def test_json_amounts_are_strings_with_two_decimals_and_sum_to_the_totals() -> None:
    vouchers = mixed_vouchers()
    lines = [line for voucher in json_document(vouchers)["vouchers"] for line in voucher["lines"]]
    for line in lines:
        for key in ("debit", "credit", "amount_currency"):
            assert isinstance(line[key], str) and AMOUNT_TEXT.match(line[key]), line
    total = sum((voucher.debits for voucher in vouchers), Decimal(0))
    assert sum((Decimal(line["debit"]) for line in lines), Decimal(0)) == total
    assert sum((Decimal(line["credit"]) for line in lines), Decimal(0)) == total


def test_json_names_customers_and_suppliers_by_the_ids_saft_uses() -> None:
    document = json_document([incoming_payment(4, "10.00", CUSTOMER_NAMELESS_ID)])
    bank, customer_line = document["vouchers"][0]["lines"]
    assert "customer" not in bank and "supplier" not in bank
    assert customer_line["customer"] == {
        "id": party_id(CUSTOMER_NAMELESS_ID),
        "name": "Ola Nordmann",
        "org_no": None,
    }
    assert customer_line["customer"]["id"].startswith("N-")


def test_json_keeps_a_three_decimal_currency_amount_unrounded() -> None:
    voucher = a_voucher(
        1,
        [a_line("2400", debit="281.20", currency="BHD", amount_currency="10.125"),
         a_line("1920", credit="281.20")],
    )  # fmt: skip
    line = json_document([voucher])["vouchers"][0]["lines"][0]
    assert line["amount_currency"] == "10.125"


def test_json_escapes_hostile_text_and_refuses_a_control_character() -> None:
    voucher = supplier_payment(1, "1.00", SUPPLIER_TRICKY, text='<b>"&"</b>\\')
    assert json_document([voucher])["vouchers"][0]["text"] == '<b>"&"</b>\\'
    with pytest.raises(ValidationFailed, match="voucher 2: text: character U\\+0000"):
        json_document([supplier_payment(2, "1.00", text="nul\x00")])


def test_json_writes_voucher_by_voucher() -> None:
    out = io.BytesIO()
    seen: list[int] = []

    def vouchers() -> Iterator[Voucher]:
        for number in range(1, 4):
            seen.append(len(out.getvalue()))
            yield supplier_payment(number, "1.00")

    write_json(vouchers(), out)
    assert seen[0] < seen[1] < seen[2] < len(out.getvalue())
    assert out.getvalue().endswith(b"\n]}\n")


def test_json_of_no_vouchers_is_an_empty_list() -> None:
    assert json_document([]) == {"vouchers": []}


# --- SAF-T ---------------------------------------------------------------------------------------


def test_saft_with_suppliers_customers_foreign_currency_and_many_lines_is_valid(
    saft_schema: etree.XMLSchema,
) -> None:
    vouchers = mixed_vouchers()
    root = valid_saft(saft_schema, saft_bytes(vouchers))
    assert len(root.xpath("//s:Transaction", namespaces=NS)) == len(vouchers)
    assert len(root.xpath("//s:Transaction[s:TransactionID='6']/s:Line", namespaces=NS)) == 41


def test_saft_header_names_version_company_currency_period_and_software(
    saft_schema: etree.XMLSchema,
) -> None:
    root = valid_saft(saft_schema, saft_bytes([supplier_payment(1, "10.00")]))
    assert root.tag == f"{{{NAMESPACE}}}AuditFile"
    assert text_of(root, "s:Header/s:AuditFileVersion") == "1.30"
    assert text_of(root, "s:Header/s:AuditFileCountry") == "NO"
    assert text_of(root, "s:Header/s:AuditFileDateCreated") == "2026-04-02"
    assert text_of(root, "s:Header/s:SoftwareID") == "paybot"
    assert text_of(root, "s:Header/s:SoftwareVersion") == "0.1.0"
    assert text_of(root, "s:Header/s:Company/s:RegistrationNumber") == ORG_NO
    assert text_of(root, "s:Header/s:Company/s:Name") == "Fjordkraft Rør & Sønn AS"
    assert text_of(root, "s:Header/s:Company/s:Address/s:City") == "Oslo"
    assert text_of(root, "s:Header/s:Company/s:Contact/s:Telephone") == "+47 22 33 44 55"
    assert text_of(root, "s:Header/s:DefaultCurrencyCode") == "NOK"
    assert text_of(root, "s:Header/s:SelectionCriteria/s:SelectionStartDate") == "2026-03-01"
    assert text_of(root, "s:Header/s:SelectionCriteria/s:SelectionEndDate") == "2026-03-31"
    assert text_of(root, "s:Header/s:TaxAccountingBasis") == "A"


def test_saft_entries_totals_come_from_the_summary_and_equal_the_lines(
    saft_schema: etree.XMLSchema,
) -> None:
    vouchers = mixed_vouchers()
    root = valid_saft(saft_schema, saft_bytes(vouchers))
    total = sum((voucher.debits for voucher in vouchers), Decimal(0))
    assert text_of(root, "s:GeneralLedgerEntries/s:NumberOfEntries") == str(len(vouchers))
    assert Decimal(text_of(root, "s:GeneralLedgerEntries/s:TotalDebit")) == total
    assert Decimal(text_of(root, "s:GeneralLedgerEntries/s:TotalCredit")) == total
    assert saft_line_totals(root) == (total, total)


def test_saft_accounts_carry_standard_names_groupings_and_balances(
    saft_schema: etree.XMLSchema,
) -> None:
    vouchers = [supplier_payment(1, "1250.00"), incoming_payment(2, "300.00")]
    openings = [SaftAccount("1920", Decimal("1000.00")), SaftAccount("2400", Decimal("-5000"))]
    root = valid_saft(saft_schema, saft_bytes(vouchers, accounts=openings))
    numbers = root.xpath("//s:GeneralLedgerAccounts/s:Account/s:AccountID/text()", namespaces=NS)
    assert numbers == ["1500", "1920", "2400"]
    bank = account_element(root, "1920")
    assert text_of(bank, "s:AccountDescription") == "Bankinnskudd"
    assert text_of(bank, "s:GroupingCategory") == "balanseverdiForOmloepsmiddel"
    assert text_of(bank, "s:GroupingCode") == "1920"
    assert text_of(bank, "s:AccountType") == "GL"
    assert text_of(bank, "s:OpeningDebitBalance") == "1000.00"
    assert text_of(bank, "s:ClosingDebitBalance") == "50.00"  # 1000 - 1250 + 300
    suppliers = account_element(root, "2400")
    assert text_of(suppliers, "s:OpeningCreditBalance") == "5000.00"
    assert text_of(suppliers, "s:ClosingCreditBalance") == "3750.00"
    customers = account_element(root, "1500")
    assert text_of(customers, "s:OpeningDebitBalance") == "0.00"
    assert text_of(customers, "s:ClosingCreditBalance") == "300.00"


def test_saft_customers_and_suppliers_have_the_ids_their_lines_name(
    saft_schema: etree.XMLSchema,
) -> None:
    root = valid_saft(saft_schema, saft_bytes(mixed_vouchers()))
    suppliers = root.xpath("//s:Suppliers/s:Supplier/s:SupplierID/text()", namespaces=NS)
    customers = root.xpath("//s:Customers/s:Customer/s:CustomerID/text()", namespaces=NS)
    assert suppliers == ["987654325", "L-1042"]
    assert customers == ["912345678", party_id(CUSTOMER_NAMELESS_ID)]
    (tricky,) = root.xpath("//s:Supplier[s:SupplierID='L-1042']", namespaces=NS)
    assert text_of(tricky, "s:Name") == 'Hansen; "Rør"\nog Sønn AS'
    assert tricky.find("s:RegistrationNumber", namespaces=NS) is None
    (line,) = root.xpath("//s:Line[s:CustomerID='912345678']", namespaces=NS)
    assert line.find("s:CreditAmount", namespaces=NS) is not None


def test_saft_foreign_currency_line_has_code_amount_and_rate(
    saft_schema: etree.XMLSchema,
) -> None:
    root = valid_saft(saft_schema, saft_bytes([eur_payment(3)]))
    debit, disagio, bank = root.xpath("//s:Transaction/s:Line", namespaces=NS)
    amount = debit.find("s:DebitAmount", namespaces=NS)
    assert text_of(amount, "s:Amount") == "11500.00"
    assert text_of(amount, "s:CurrencyCode") == "EUR"
    assert text_of(amount, "s:CurrencyAmount") == "1000.00"
    assert text_of(amount, "s:ExchangeRate") == "11.50000000"
    assert disagio.find("s:DebitAmount/s:CurrencyCode", namespaces=NS) is None
    credit = bank.find("s:CreditAmount", namespaces=NS)
    rate = Decimal(text_of(credit, "s:ExchangeRate"))
    assert Decimal(text_of(credit, "s:CurrencyAmount")) * rate == Decimal("11620.00")


def test_saft_escapes_markup_in_texts(saft_schema: etree.XMLSchema) -> None:
    hostile = Party("supplier", "</Name><Name>Evil & Co", org_no="987654325")
    voucher = supplier_payment(1, "10.00", hostile, text="]]> <![CDATA[ & <x/>")
    data = saft_bytes([voucher])
    assert b"</Name><Name>Evil" not in data
    root = valid_saft(saft_schema, data)
    assert text_of(root, ".//s:Supplier/s:Name") == "</Name><Name>Evil & Co"
    assert text_of(root, ".//s:Transaction/s:Description") == "]]> <![CDATA[ & <x/>"


def test_saft_refuses_a_control_character_clearly_before_the_voucher_is_written() -> None:
    out = io.BytesIO()
    vouchers = [supplier_payment(1, "10.00"), supplier_payment(2, "5.00", text=f"x{SAFT_CONTROL}")]
    with pytest.raises(ValidationFailed) as refused:
        write_march(out, vouchers, summary=summarize(vouchers[:1]), parties=[SUPPLIER])
    assert refused.value.errors == {
        "voucher 2": "text: character U+001B at position 2 (escape), which a ledger file"
        " cannot carry"
    }
    assert b"<TransactionID>2<" not in out.getvalue()


def test_saft_refuses_a_control_character_in_a_party_name_before_writing() -> None:
    out = io.BytesIO()
    evil = Party("supplier", "Navn\x07", org_no="987654325")
    with pytest.raises(ValidationFailed, match="name: character U\\+0007"):
        write_march(out, [], summary=LedgerSummary(), parties=[evil])
    assert out.getvalue() == b""


def test_saft_refuses_vouchers_that_do_not_add_up_to_the_summary_and_leaves_it_unfinished() -> None:
    vouchers = [supplier_payment(1, "10.00"), supplier_payment(2, "5.00")]
    out = io.BytesIO()
    with pytest.raises(ValidationFailed) as refused:
        write_march(out, vouchers, summary=summarize(vouchers[:1]), parties=[SUPPLIER])
    assert "entries 2 against 1" in refused.value.user_message
    assert "total_debit 15.00 against 10.00" in refused.value.user_message
    assert not out.getvalue().rstrip().endswith(b"</AuditFile>")
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(out.getvalue())


def test_saft_refuses_a_voucher_outside_the_period() -> None:
    voucher = supplier_payment(1, "10.00", day=date(2026, 4, 1))
    with pytest.raises(ValidationFailed, match="voucher 1: dated 2026-04-01, outside the period"):
        saft_bytes([voucher])


def test_saft_refuses_a_line_whose_party_is_not_given() -> None:
    with pytest.raises(ValidationFailed, match="supplier 987654325 is not among the parties"):
        saft_bytes([supplier_payment(1, "10.00")], parties=[])


def test_saft_refuses_an_account_outside_the_standard_chart_before_writing() -> None:
    voucher = a_voucher(1, [a_line("6300", debit="10.00"), a_line("1920", credit="10.00")])
    with pytest.raises(ValidationFailed, match="account 6300: not in the standard chart"):
        saft_bytes([voucher])


def test_saft_takes_an_own_account_with_its_description_and_grouping(
    saft_schema: etree.XMLSchema,
) -> None:
    voucher = a_voucher(1, [a_line("6300", debit="10.00"), a_line("1921", credit="10.00")])
    rent_grouping = Grouping("annenDriftskostnad", "6300")
    rent = SaftAccount("6300", description="Leie lokale", grouping=rent_grouping)
    root = valid_saft(saft_schema, saft_bytes([voucher], accounts=[rent]))
    assert text_of(account_element(root, "6300"), "s:AccountDescription") == "Leie lokale"
    second_bank = account_element(root, "1921")
    assert text_of(second_bank, "s:GroupingCode") == "1920"
    assert text_of(second_bank, "s:AccountDescription") == "Bankinnskudd (1921)"


def test_saft_over_two_years_prefixes_transaction_ids_with_the_year(
    saft_schema: etree.XMLSchema,
) -> None:
    vouchers = [
        supplier_payment(1, "10.00", day=date(2025, 12, 30)),
        supplier_payment(1, "20.00", day=date(2026, 1, 2)),
    ]
    data = saft_bytes(vouchers, period=Period(date(2025, 12, 1), date(2026, 1, 31)))
    root = valid_saft(saft_schema, data)
    assert root.xpath("//s:TransactionID/text()", namespaces=NS) == ["2025-1", "2026-1"]
    assert root.xpath("//s:Line/s:RecordID/text()", namespaces=NS)[:2] == ["2025-1-1", "2025-1-2"]
    assert root.xpath("//s:Transaction/s:PeriodYear/text()", namespaces=NS) == ["2025", "2026"]


def test_saft_of_a_period_without_vouchers_lists_the_opening_balances(
    saft_schema: etree.XMLSchema,
) -> None:
    before = [supplier_payment(1, "700.00", day=date(2026, 2, 3))]
    accounts = opening_accounts(account_balances(before))
    root = valid_saft(saft_schema, saft_bytes([], accounts=accounts))
    assert text_of(root, "s:GeneralLedgerEntries/s:NumberOfEntries") == "0"
    assert text_of(account_element(root, "1920"), "s:OpeningCreditBalance") == "700.00"
    assert text_of(account_element(root, "1920"), "s:ClosingCreditBalance") == "700.00"
    assert root.find("s:MasterFiles/s:Suppliers", namespaces=NS) is None


def test_saft_without_an_address_is_valid(saft_schema: etree.XMLSchema) -> None:
    company = SaftCompany(ORG_NO, "Lite AS", "NOK", Contact("Per", "Hansen", "12345678"))
    valid_saft(saft_schema, saft_bytes([supplier_payment(1, "1.00")], company=company))


def test_saft_file_name_follows_the_tax_administrations_pattern() -> None:
    created = datetime(2026, 4, 2, 9, 30, 5)
    assert saft_file_name(ORG_NO, created) == "SAF-T Financial_974760673_20260402093005_1_1.xml"


def test_saft_streams_voucher_by_voucher() -> None:
    out = io.BytesIO()
    seen: list[int] = []
    count = 3000

    def vouchers() -> Iterator[Voucher]:
        for number in range(1, count + 1):
            seen.append(len(out.getvalue()))
            yield supplier_payment(number, "1.00", day=date(2026, 3, 1))

    summary = summarize(supplier_payment(n, "1.00", day=date(2026, 3, 1)) for n in range(1, 3001))
    write_march(out, vouchers(), summary=summary, parties=[SUPPLIER])
    # Flushed every thousand vouchers: the file grows while the vouchers still come.
    assert 0 < seen[1500] < seen[2500] < len(out.getvalue())


# --- balances ------------------------------------------------------------------------------------


def test_balances_sum_debits_and_credits_per_account() -> None:
    balances = account_balances(mixed_vouchers())
    by_account = {balance.account: balance for balance in balances}
    assert [balance.account for balance in balances] == ["1500", "1920", "2400", "8160"]
    assert by_account["1500"] == AccountBalance("1500", Decimal("0.00"), Decimal("4575.50"))
    assert by_account["1500"].balance == Decimal("-4575.50")
    assert by_account["8160"].balance == Decimal("120.00")
    assert sum((balance.balance for balance in balances), Decimal(0)) == 0


def test_summary_counts_vouchers_lines_and_totals() -> None:
    vouchers = mixed_vouchers()
    summary = summarize(vouchers)
    assert summary.entries == 6
    assert summary.lines == sum(len(voucher.lines) for voucher in vouchers)
    assert summary.total_debit == summary.total_credit
    assert summary.total_debit == sum((voucher.debits for voucher in vouchers), Decimal(0))
    assert summary.differences(summarize(vouchers)) == []


def test_fold_refuses_fractions_of_a_cent_and_counts_nothing_of_that_voucher() -> None:
    fold = LedgerFold()
    voucher = a_voucher(9, [a_line("2400", debit="10.005"), a_line("1920", credit="10.005")])
    with pytest.raises(ValidationFailed, match="voucher 9: account 2400: 10.005 has more than"):
        fold.add(voucher)
    assert fold.summary() == LedgerSummary()


def test_fold_takes_amounts_with_trailing_zeros_from_the_store() -> None:
    voucher = a_voucher(1, [a_line("2400", debit="10.5000"), a_line("1920", credit="10.5000")])
    assert summarize([voucher]).total_debit == Decimal("10.50")


# --- the standard chart against the official files -----------------------------------------------


def test_standard_chart_names_are_the_official_standard_accounts() -> None:
    path = shared_fixture("saft/General_Ledger_Standard_Accounts_4_character.csv")
    official = {
        row["AccountID"]: row["DescriptionNOR"]
        for row in csv.DictReader(io.StringIO(path.read_bytes().decode("cp1252")), delimiter=";")
    }
    for number, account in STANDARD_CHART.items():
        assert official[number] == account.description


def test_standard_chart_groupings_are_in_the_official_code_list() -> None:
    path = shared_fixture("saft/naeringsspesifikasjon.csv")
    codes = {
        (row["GroupingCategory"], row["GroupingCode"])
        for row in csv.DictReader(io.StringIO(path.read_text("utf-8-sig")), delimiter=";")
    }
    for account in STANDARD_CHART.values():
        assert (account.grouping.category, account.grouping.code) in codes, account


def test_every_account_paybot_posts_to_by_default_has_a_grouping() -> None:
    for number in STANDARD_ACCOUNTS.values():
        assert chart_account(number) is not None, number


def test_chart_knows_no_account_outside_the_standard_groups() -> None:
    assert chart_account("6300") is None
    assert chart_account("1910") is None  # cash, not bank: below 1920 in its group
    assert chart_account("19200") is None


# --- random balanced vouchers --------------------------------------------------------------------

_UNCARRIABLE = [chr(code) for code in range(32) if chr(code) not in "\t\n\r"] + ["\ufffe", "\uffff"]
texts = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters=_UNCARRIABLE),
    max_size=40,
)
cents = st.integers(min_value=0, max_value=10**12).map(lambda value: Decimal(value).scaleb(-2))
parties = st.one_of(
    st.none(),
    st.builds(
        Party,
        kind=st.sampled_from(["supplier", "customer"]),
        name=texts,
        org_no=st.one_of(st.none(), st.from_regex(r"\A[89]\d{8}\Z")),
        key=st.one_of(st.none(), st.from_regex(r"\A[A-Z]-\d{1,6}\Z")),
    ),
)


@st.composite
def balanced_vouchers(draw: st.DrawFn, number: int) -> Voucher:
    lines = []
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        amount = draw(cents)
        side = draw(st.sampled_from(["debit", "credit"]))
        currency = draw(st.sampled_from(["NOK", "NOK", "EUR", "SEK", "JPY"]))
        foreign = draw(cents) if currency != "NOK" else amount
        lines.append(
            VoucherLine(
                account=draw(st.sampled_from(sorted(STANDARD_CHART))),
                debit=amount if side == "debit" else Decimal("0.00"),
                credit=amount if side == "credit" else Decimal("0.00"),
                currency=currency,
                amount_currency=foreign,
                text=draw(texts),
                party=draw(parties),
            )
        )
    difference = sum((line.amount for line in lines), Decimal(0))
    if difference > 0:
        lines.append(a_line("1920", credit=f"{difference}"))
    else:
        lines.append(a_line("1920", debit=f"{-difference}"))
    return Voucher(
        company_org_no=ORG_NO,
        number=number,
        day=draw(st.dates(min_value=MARCH.start, max_value=MARCH.end)),
        text=draw(texts),
        lines=tuple(lines),
    )


voucher_lists = st.integers(min_value=0, max_value=6).flatmap(
    lambda count: st.tuples(*(balanced_vouchers(number) for number in range(1, count + 1)))
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(vouchers=voucher_lists)
def test_random_balanced_vouchers_read_back_to_their_totals_and_make_valid_saft(
    saft_schema: etree.XMLSchema, vouchers: tuple[Voucher, ...]
) -> None:
    total = sum((voucher.debits for voucher in vouchers), Decimal(0))
    line_count = sum(len(voucher.lines) for voucher in vouchers)

    rows = csv_rows(csv_bytes(vouchers))[1:]
    assert len(rows) == line_count
    assert sum((comma_amount(row[4]) for row in rows), Decimal(0)) == total
    assert sum((comma_amount(row[5]) for row in rows), Decimal(0)) == total

    lines = [line for voucher in json_document(vouchers)["vouchers"] for line in voucher["lines"]]
    assert len(lines) == line_count
    assert sum((Decimal(line["debit"]) for line in lines), Decimal(0)) == total
    assert sum((Decimal(line["credit"]) for line in lines), Decimal(0)) == total

    root = valid_saft(saft_schema, saft_bytes(vouchers))
    assert saft_line_totals(root) == (total, total)
    assert Decimal(text_of(root, "s:GeneralLedgerEntries/s:TotalDebit")) == total
