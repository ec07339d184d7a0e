"""Reading supplier-ledger exports: formats, line numbers and every way a file is refused."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from paybot.core.errors import ImportRejected
from paybot.core.ledger_file import (
    COLUMN_LIMITS,
    PAYEE_COLUMN_LIMITS,
    PAYEE_COLUMNS,
    OpenItemRow,
    SupplierRow,
    details_filled,
    details_given,
    read_open_item_rows,
    read_supplier_rows,
)
from paybot.core.payee_details import check_field
from paybot.core.payments import NO_PAYEE_DETAILS, PayeeDetails, ReferenceType

HEADER = (
    "voucher_no;invoice_no;supplier_name;supplier_org_no;account;amount;currency;"
    "invoice_date;due_date;reference_type;reference"
)
ROW = "1001;F-77;Acme AS;974760673;1234.56.78903;3 450,75;NOK;2026-11-01;2026-11-30;kid;1234567897"


def items(*lines: str, header: str = HEADER) -> list[OpenItemRow]:
    return read_open_item_rows("items.csv", "\n".join((header, *lines)).encode())


def one_item(**changes: str) -> OpenItemRow:
    """The standard row with some columns replaced."""
    values = dict(zip(HEADER.split(";"), ROW.split(";"), strict=True)) | changes
    return items(";".join(values.values()))[0]


def rejected(read: Callable[[str, bytes], object], data: bytes, source: str = "items.csv") -> str:
    with pytest.raises(ImportRejected) as caught:
        read(source, data)
    return str(caught.value)


def item_error(*lines: str, header: str = HEADER) -> str:
    return rejected(read_open_item_rows, "\n".join((header, *lines)).encode())


def item_error_with(**changes: str) -> str:
    values = dict(zip(HEADER.split(";"), ROW.split(";"), strict=True)) | changes
    return item_error(";".join(values.values()))


# --- formats -------------------------------------------------------------------------------------


def test_semicolon_file_gives_every_column() -> None:
    assert items(ROW) == [
        OpenItemRow(
            line=2,
            voucher_no="1001",
            invoice_no="F-77",
            supplier_name="Acme AS",
            supplier_org_no="974760673",
            account="12345678903",
            amount=Decimal("3450.75"),
            currency="NOK",
            invoice_date=date(2026, 11, 1),
            due_date=date(2026, 11, 30),
            reference_type=ReferenceType.KID,
            reference="1234567897",
        )
    ]


def test_comma_file_with_quoted_fields_is_read_like_a_semicolon_file() -> None:
    header = HEADER.replace(";", ",")
    row = '1001,F-77,"Acme, Norge AS",974760673,1234.56.78903,"3 450,75",NOK,,30.11.2026,,'
    [item] = items(row, header=header)
    assert item.supplier_name == "Acme, Norge AS"
    assert item.amount == Decimal("3450.75")
    assert item.due_date == date(2026, 11, 30)
    assert item.invoice_date is None


def test_byte_order_mark_is_ignored() -> None:
    data = "\ufeff" + HEADER + "\n" + ROW + "\n"
    [item] = read_open_item_rows("items.csv", data.encode())
    assert item.voucher_no == "1001"


def test_header_names_ignore_case_and_spaces_and_extra_columns() -> None:
    header = " Voucher_No ;SUPPLIER_NAME;Amount;Currency;Due_Date;Cost centre"
    [item] = items("7;Acme AS;10;nok;2026-11-30;4410", header=header)
    assert (item.voucher_no, item.amount, item.currency) == ("7", Decimal("10"), "NOK")
    assert item.invoice_no is None
    assert item.supplier_org_no is None
    assert item.account is None
    assert item.reference_type is ReferenceType.EMPTY
    assert item.reference is None


def test_crlf_line_endings_are_read() -> None:
    data = (HEADER + "\r\n" + ROW + "\r\n").encode()
    [item] = read_open_item_rows("items.csv", data)
    assert (item.line, item.reference) == (2, "1234567897")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3 450,75", Decimal("3450.75")),
        ("3450.75", Decimal("3450.75")),
        ("3\u00a0450,75", Decimal("3450.75")),
        ("1 234 567,5", Decimal("1234567.50")),
        ("12", Decimal("12.00")),
        ("-1 000,00", Decimal("-1000.00")),
        ("-0,10", Decimal("-0.10")),
    ],
)
def test_amounts_with_decimal_comma_or_point_and_thousand_spaces_are_exact(
    text: str, expected: Decimal
) -> None:
    amount = one_item(amount=text).amount
    assert amount == expected
    assert str(amount) == str(expected)


def test_negative_amount_is_a_credit_note_not_an_error() -> None:
    assert one_item(amount="-250,00", reference_type="", reference="").amount == Decimal("-250")


def test_unknown_three_letter_currency_is_accepted_with_its_decimals_untouched() -> None:
    item = one_item(currency="xyz", amount="1,2345")
    assert (item.currency, item.amount) == ("XYZ", Decimal("1.2345"))


def test_empty_file_and_header_without_rows_give_no_rows() -> None:
    assert read_open_item_rows("items.csv", b"") == []
    assert read_open_item_rows("items.csv", b"\xef\xbb\xbf \n\n") == []
    assert read_open_item_rows("items.csv", (HEADER + "\n").encode()) == []
    assert read_open_item_rows("items.json", b" [ ] ") == []


def test_blank_lines_are_skipped_and_lines_stay_physical() -> None:
    rows = items("", ROW, "   ", ";;;;;;;;;;", ROW.replace("1001", "1002"), "")
    assert [row.line for row in rows] == [3, 6]


def test_a_row_after_a_multi_line_quoted_field_keeps_its_physical_line() -> None:
    # The line break closes the quoted value, so trimming takes it (one inside is refused).
    multi_line = ROW.replace("Acme AS", '"Acme AS\n"')
    rows = items(multi_line, ROW.replace("1001", "1002"))
    assert [(row.line, row.supplier_name) for row in rows] == [(2, "Acme AS"), (4, "Acme AS")]


def test_a_line_break_inside_a_quoted_name_is_refused_on_the_line_where_the_row_starts() -> None:
    multi_line = ROW.replace("1001", "1002").replace("Acme AS", '"Acme\nAS"')
    assert item_error(ROW, multi_line) == (
        "items.csv:3: supplier_name: control character U+000A at position 5 (line break)"
    )


# --- JSON ----------------------------------------------------------------------------------------

JSON_ITEMS = b"""[
  {"voucher_no": "1", "supplier_name": "Acme AS", "amount": "0,10", "currency": "NOK",
   "due_date": "2026-11-30"},

  {
    "Voucher_No": 2, "supplier_name": "Acme AS", "amount": 0.10, "currency": "NOK",
    "due_date": "30.11.2026", "reference_type": "MESSAGE", "reference": "Faktura 77",
    "invoice_no": null
  },
  {"voucher_no": "3", "supplier_name": "Acme AS", "amount": 1234.5, "currency": "NOK",
   "due_date": "2026-11-30"},
  {"voucher_no": "4", "supplier_name": "Acme AS", "amount": -5, "currency": "JPY",
   "due_date": "2026-11-30"}
]
"""


def test_json_amounts_as_string_or_number_are_exact_decimals() -> None:
    rows = read_open_item_rows("items.json", JSON_ITEMS)
    amounts = [row.amount for row in rows]
    assert all(type(amount) is Decimal for amount in amounts)
    assert [str(amount) for amount in amounts] == ["0.10", "0.10", "1234.50", "-5"]


def test_json_rows_report_the_line_where_each_object_starts() -> None:
    rows = read_open_item_rows("items.json", JSON_ITEMS)
    assert [row.line for row in rows] == [2, 5, 10, 12]


def test_json_keys_ignore_case_and_numbers_become_text() -> None:
    row = read_open_item_rows("items.json", JSON_ITEMS)[1]
    assert (row.voucher_no, row.invoice_no) == ("2", None)
    assert (row.reference_type, row.reference) == (ReferenceType.MESSAGE, "Faktura 77")


def test_json_with_a_byte_order_mark_is_detected() -> None:
    rows = read_open_item_rows("items.json", b"\xef\xbb\xbf\n" + JSON_ITEMS)
    assert rows[0].line == 3


def test_invalid_json_names_the_line_of_the_syntax_error() -> None:
    data = b'[\n  {"voucher_no": "1",\n   "amount": 10,,\n  }\n]'
    message = rejected(read_open_item_rows, data, "items.json")
    assert message.startswith("items.json:3: invalid JSON: ")


def test_json_missing_comma_between_objects_is_refused() -> None:
    item = b'{"voucher_no": "1", "supplier_name": "A", "amount": 1, "currency": "NOK",'
    item += b' "due_date": "2026-11-30"}'
    data = b"[\n" + item + b"\n" + item + b"\n]"
    assert rejected(read_open_item_rows, data, "i.json") == (
        "i.json:3: invalid JSON: expected ',' or ']' after an item"
    )


def test_json_trailing_data_is_refused() -> None:
    data = b"[]\n\n[]"
    assert rejected(read_open_item_rows, data, "i.json").startswith("i.json:3: invalid JSON: extra")


def test_json_object_instead_of_list_is_refused() -> None:
    message = rejected(read_open_item_rows, b'\n{"voucher_no": "1"}', "i.json")
    assert message == "i.json:2: the file holds one object (expected a list of objects)"


def test_json_list_of_non_objects_is_refused_at_the_item() -> None:
    message = rejected(read_open_item_rows, b'[\n  ["1", "Acme"]\n]', "i.json")
    assert message == "i.json:2: a list is not allowed (expected an object)"


def test_json_value_that_is_not_text_or_number_is_refused() -> None:
    data = b'[{"voucher_no": true, "supplier_name": "A", "amount": 1, "currency": "NOK"}]'
    message = rejected(read_open_item_rows, data, "i.json")
    assert message == "i.json:1: voucher_no: true is not allowed (expected text or a number)"


def test_json_object_without_a_required_key_is_refused() -> None:
    data = b'[\n{"voucher_no": "1", "supplier_name": "A", "amount": 1, "currency": "NOK"}]'
    assert rejected(read_open_item_rows, data, "i.json") == "i.json:2: due_date: is required"


def test_json_number_amount_with_too_many_decimals_is_refused() -> None:
    data = b'[{"voucher_no": "1", "supplier_name": "A", "amount": 0.105, "currency": "NOK",'
    data += b' "due_date": "2026-11-30"}]'
    assert rejected(read_open_item_rows, data, "i.json") == (
        "i.json:1: amount: '0.105' has more decimals than NOK allows (expected at most 2)"
    )


# --- field rules -------------------------------------------------------------------------------


def test_dates_in_iso_or_norwegian_form() -> None:
    item = one_item(invoice_date="1.2.2026", due_date="28.02.2026")
    assert (item.invoice_date, item.due_date) == (date(2026, 2, 1), date(2026, 2, 28))


def test_org_no_with_spaces_is_normalized_and_foreign_ids_are_kept() -> None:
    assert one_item(supplier_org_no=" 923 609 016 ").supplier_org_no == "923609016"
    assert one_item(supplier_org_no=" SE556677889901 ").supplier_org_no == "SE556677889901"
    assert one_item(supplier_org_no="  ").supplier_org_no is None


def test_account_is_compacted_but_not_validated() -> None:
    assert one_item(account="1234 56 78900").account == "12345678900"
    assert one_item(account="no 93 8601 1117947").account == "NO9386011117947"
    assert one_item(account="").account is None


def test_reference_type_ignores_case_and_blank_means_empty() -> None:
    assert one_item(reference_type="Message", reference="Faktura").reference_type == "message"
    item = one_item(reference_type=" ", reference="")
    assert (item.reference_type, item.reference) == (ReferenceType.EMPTY, None)


def test_invoice_reference_falls_back_to_the_invoice_number() -> None:
    item = one_item(reference_type="invoice", reference="", invoice_no=" F-77 ")
    assert (item.reference_type, item.reference) == (ReferenceType.INVOICE, "F-77")
    assert one_item(reference_type="invoice", reference="", invoice_no="").reference is None
    assert one_item(reference_type="invoice", reference="X-1").reference == "X-1"


def test_kid_is_stripped_of_spaces_but_its_check_digit_is_not_checked_here() -> None:
    assert one_item(reference="1234 5678 97").reference == "1234567897"
    assert one_item(reference="1234567890").reference == "1234567890"


# --- refusals ------------------------------------------------------------------------------------


def test_missing_required_column_is_named_on_line_1() -> None:
    header = HEADER.replace("due_date", "forfall")
    assert item_error(ROW, header=header).startswith(
        "items.csv:1: due_date: required column is missing from the header (found: voucher_no,"
    )


def test_a_required_column_twice_in_the_header_is_refused() -> None:
    assert item_error(ROW, header=HEADER + ";Amount") == (
        "items.csv:1: amount: column appears more than once in the header (expected once)"
    )


REQUIRED = ["voucher_no", "supplier_name", "amount", "currency", "due_date"]


@pytest.mark.parametrize("column", REQUIRED)
def test_an_empty_required_value_is_refused(column: str) -> None:
    assert item_error_with(**{column: "  "}) == f"items.csv:2: {column}: is required"


def test_a_row_with_too_few_or_too_many_fields_is_refused() -> None:
    expected = "items.csv:2: the row has {} fields but the header has 11"
    assert item_error("1001;F-77;Acme AS").startswith(expected.format(3))
    assert item_error(";".join(["1"] * 13)).startswith(expected.format(13))


def test_a_supplier_org_no_must_be_norwegian_or_start_with_a_country_code() -> None:
    data = b"name;org_no;account\nKomma;Bergen AS;\n"
    with pytest.raises(ImportRejected, match="s.csv:2: org_no: 'Bergen AS' is not an"):
        read_supplier_rows("s.csv", data)
    [row] = read_supplier_rows("s.csv", b"name;org_no;account\nSvea AB;SE556677-8899;\n")
    assert row.org_no == "SE556677-8899"


def test_a_registered_supplier_account_must_be_valid() -> None:
    data = b"name;org_no;account\nFeil AS;923609016;1234.56.78900\n"
    with pytest.raises(ImportRejected, match="s.csv:2: account: .*wrong check digit"):
        read_supplier_rows("s.csv", data)


def test_text_that_is_not_an_amount_is_refused() -> None:
    assert item_error_with(amount="12,3,4") == (
        "items.csv:2: amount: '12,3,4' is not an amount (expected e.g. 3 450,75 or 3450.75)"
    )


def test_more_decimals_than_the_currency_allows_is_refused() -> None:
    assert item_error_with(amount="10,005") == (
        "items.csv:2: amount: '10,005' has more decimals than NOK allows (expected at most 2)"
    )
    assert item_error_with(amount="10,5", currency="JPY") == (
        "items.csv:2: amount: '10,5' has more decimals than JPY allows (expected at most 0)"
    )


def test_an_absurdly_large_amount_is_refused() -> None:
    assert item_error_with(amount="1" + "0" * 20).startswith("items.csv:2: amount: '1000")


@pytest.mark.parametrize("currency", ["NO", "NOKK", "N0K", "€", "NØK"])
def test_a_currency_that_is_not_three_letters_is_refused(currency: str) -> None:
    assert item_error_with(currency=currency) == (
        f"items.csv:2: currency: {currency!r} is not a currency code "
        "(expected three letters, e.g. NOK)"
    )


def test_an_impossible_date_is_refused_naming_its_column() -> None:
    assert item_error_with(due_date="31.02.2026").startswith(
        "items.csv:2: due_date: '31.02.2026' is not a real date ("
    )
    assert item_error_with(invoice_date="2026-13-01").startswith(
        "items.csv:2: invoice_date: '2026-13-01' is not a real date ("
    )


@pytest.mark.parametrize("text", ["30/11/2026", "2026-11-3", "20261130", "30.11.26", "tomorrow"])
def test_a_date_in_another_form_is_refused(text: str) -> None:
    assert item_error_with(due_date=text) == (
        f"items.csv:2: due_date: {text!r} is not a date (expected e.g. 2026-11-30 or 30.11.2026)"
    )


def test_a_nine_digit_org_no_with_a_wrong_check_digit_is_refused() -> None:
    assert item_error_with(supplier_org_no="974 760 674") == (
        "items.csv:2: supplier_org_no: '974 760 674' is not a valid Norwegian organisation "
        "number (expected 9 digits with a correct check digit)"
    )


def test_an_unknown_reference_type_is_refused() -> None:
    assert item_error_with(reference_type="OCR") == (
        "items.csv:2: reference_type: 'OCR' is not a reference type "
        "(expected kid, message, invoice or empty)"
    )


def test_a_reference_with_reference_type_empty_is_refused() -> None:
    expected = (
        "items.csv:2: reference_type: a reference is given, "
        "so reference_type must be kid, message or invoice"
    )
    assert item_error_with(reference_type="empty", reference="1234567897") == expected
    assert item_error_with(reference_type="", reference="Faktura 77") == expected


def test_a_voucher_twice_is_refused_on_the_later_line() -> None:
    other = ROW.replace("F-77", "F-78")
    assert item_error(ROW, other.replace("1001", "1002"), "", other) == (
        "items.csv:5: voucher_no: '1001' already appears on line 2 "
        "(expected each voucher_no only once)"
    )


def test_invalid_utf8_names_the_line_of_the_first_bad_byte() -> None:
    data = (HEADER + "\n" + ROW + "\n").encode() + b"1002;;Sm\xf8r AS;;;1;NOK;;2026-11-30;;\n"
    assert rejected(read_open_item_rows, data) == (
        "items.csv:3: byte 0xf8 is not valid UTF-8 "
        "(expected a UTF-8 file; export or save it as UTF-8)"
    )


def test_an_unterminated_quote_is_refused_at_the_row_where_it_starts() -> None:
    message = item_error(ROW, ROW.replace("Acme AS", '"Acme AS').replace("1001", "1002"), ROW)
    assert message.startswith("items.csv:3: malformed CSV: ")


# --- suppliers -----------------------------------------------------------------------------------


def test_suppliers_are_read_with_optional_org_no_and_account() -> None:
    data = "Name,Org_No,Account\nAcme AS,974 760 673,1234.56.78903\nFremmed GmbH,DE123,\n"
    assert read_supplier_rows("suppliers.csv", data.encode()) == [
        SupplierRow(line=2, name="Acme AS", org_no="974760673", account="12345678903"),
        SupplierRow(line=3, name="Fremmed GmbH", org_no="DE123", account=None),
    ]


def test_supplier_file_needs_a_name_column() -> None:
    message = rejected(read_supplier_rows, b"org_no;account\n974760673;\n", "s.csv")
    assert message == (
        "s.csv:1: name: required column is missing from the header (found: org_no, account)"
    )


def test_the_same_org_no_twice_is_refused_on_the_later_line() -> None:
    data = b"name;org_no\nAcme AS;974760673\nOther AS;923609016\nAcme Norge AS;974 760 673\n"
    assert rejected(read_supplier_rows, data, "s.csv") == (
        "s.csv:4: org_no: supplier '974760673' already appears on line 2 (expected it only once)"
    )


def test_the_same_name_without_org_no_twice_is_refused_ignoring_case_and_spacing() -> None:
    data = b"name;org_no\nAcme  AS;\nacme as;\n"
    assert rejected(read_supplier_rows, data, "s.csv") == (
        "s.csv:3: name: supplier 'acme as' already appears on line 2 (expected it only once)"
    )


def test_the_same_name_with_different_org_numbers_is_two_suppliers() -> None:
    data = b"name;org_no\nAcme AS;974760673\nAcme AS;923609016\nAcme AS;\n"
    assert len(read_supplier_rows("s.csv", data)) == 3


# --- property ------------------------------------------------------------------------------------


def norwegian(amount: Decimal, plus: bool) -> str:
    """12345.67 as a Norwegian finance user writes it: "12 345,67", with "-" or "+" in front."""
    digits = f"{abs(amount):,.2f}".replace(",", " ").replace(".", ",")
    return ("-" if amount < 0 else "+" if plus else "") + digits


@given(
    amount=st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False),
    plus=st.booleans(),
)
def test_any_two_decimal_amount_in_norwegian_form_parses_back_exactly(
    amount: Decimal, plus: bool
) -> None:
    parsed = one_item(amount=norwegian(amount, plus)).amount
    assert parsed == amount
    assert parsed.as_tuple().exponent == -2


# --- texts longer than their column, and characters that render oddly ---------------------------

# Every column stored as text, with a value that fits it exactly.
STORED_TEXTS = {
    "voucher_no": "V" * 40,
    "invoice_no": "F" * 60,
    "supplier_name": "Ø" * 200,
    "supplier_org_no": "SE" + "5" * 38,
    "account": "1" * 40,
    "reference": "m" * 140,
}


def test_texts_that_fill_their_column_are_kept_whole() -> None:
    item = one_item(**STORED_TEXTS, reference_type="message")
    assert {column: getattr(item, column) for column in STORED_TEXTS} == STORED_TEXTS


@pytest.mark.parametrize("column", sorted(STORED_TEXTS))
def test_a_text_one_character_longer_than_its_column_is_refused(column: str) -> None:
    limit = COLUMN_LIMITS[column]
    longer = STORED_TEXTS[column] + STORED_TEXTS[column][-1]
    assert item_error_with(**{column: longer, "reference_type": "message"}) == (
        f"items.csv:2: {column}: at most {limit} characters (got {limit + 1})"
    )


def test_lengths_are_of_the_stored_form_so_a_spaced_iban_or_kid_fits() -> None:
    spaced_iban = "LC55 HEMM 0001 0001 0012 0012 0002 3015"  # 32 characters, 39 as written
    assert one_item(account=spaced_iban).account == spaced_iban.replace(" ", "")
    assert one_item(reference=" ".join("1" * 140)).reference == "1" * 140
    assert item_error_with(reference="1" * 141) == (
        "items.csv:2: reference: at most 140 characters (got 141)"
    )


def test_a_long_foreign_org_no_is_refused_by_length_not_echoed() -> None:
    assert item_error_with(supplier_org_no="SE" + "1" * 5000) == (
        "items.csv:2: supplier_org_no: at most 40 characters (got 5002)"
    )


def test_supplier_file_texts_are_limited_too() -> None:
    data = "name;org_no;account\n" + "Å" * 201 + ";;\n"
    assert rejected(read_supplier_rows, data.encode(), "s.csv") == (
        "s.csv:2: name: at most 200 characters (got 201)"
    )
    data = "name;org_no;account\nAcme AS;;" + "NO93 " * 11 + "\n"
    assert rejected(read_supplier_rows, data.encode(), "s.csv") == (
        "s.csv:2: account: at most 40 characters (got 44)"
    )


@pytest.mark.parametrize(
    ("column", "text", "problem"),
    [
        ("supplier_name", "Acme\u202eSA", "control character U+202E at position 5"),
        ("supplier_name", '"\x1b]8;;http://x\x07Acme"', "control character U+001B at position 1"),
        ("invoice_no", "F-\u2067100", "control character U+2067 at position 3"),
        ("voucher_no", "1\u200e001", "control character U+200E at position 2"),
        ("reference", "Takk\u2028for sist", "control character U+2028 at position 5"),
        ("account", "1234\t5678903", "control character U+0009 at position 5"),
        ("supplier_org_no", "SE55\u202d66", "control character U+202D at position 5"),
    ],
)
def test_control_characters_are_refused_naming_column_and_position(
    column: str, text: str, problem: str
) -> None:
    message = item_error_with(**{column: text, "reference_type": "message"})
    assert message.startswith(f"items.csv:2: {column}: {problem}")


def test_the_position_counts_the_spaces_before_the_text_in_the_cell() -> None:
    assert item_error_with(supplier_name="   Acme\u202eSA").startswith(
        "items.csv:2: supplier_name: control character U+202E at position 8"
    )


def test_surrounding_tabs_and_line_breaks_are_trimmed_as_before() -> None:
    assert one_item(supplier_name='"\tAcme AS\n"').supplier_name == "Acme AS"


def test_a_json_lone_surrogate_is_refused_before_it_reaches_the_database() -> None:
    data = b'[{"voucher_no": "1", "supplier_name": "Acme \\ud800", "amount": 1,'
    data += b' "currency": "NOK", "due_date": "2026-11-30"}]'
    assert rejected(read_open_item_rows, data, "items.json") == (
        "items.json:1: supplier_name: invalid character U+D800 at position 6 "
        "(half of a surrogate pair)"
    )


def test_norwegian_text_is_kept_as_written() -> None:
    item = one_item(
        supplier_name="Bjørn Ærø & Søn – Café Müller’s AS",
        invoice_no="Å-17 «ny»",
        reference_type="message",
        reference="Faktura 17 – år 2026, håndverk ’ok’",
    )
    assert item.supplier_name == "Bjørn Ærø & Søn – Café Müller’s AS"
    assert item.invoice_no == "Å-17 «ny»"
    assert item.reference == "Faktura 17 – år 2026, håndverk ’ok’"


# Texts a hostile or careless file may hold: any character, the odd categories as often as the rest.
ODD_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(),
        st.characters(categories=["Cc", "Cf", "Cs", "Co", "Zl", "Zp", "Zs", "Mn"]),
    ),
    max_size=220,
)
REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}
TEXT_COLUMNS = ("voucher_no", "invoice_no", "supplier_name", "account", "reference")


@given(column=st.sampled_from(TEXT_COLUMNS), text=ODD_TEXT)
def test_every_text_a_file_gets_through_fits_its_column_and_renders_plainly(
    column: str, text: str
) -> None:
    row = {
        "voucher_no": "1",
        "supplier_name": "Acme AS",
        "amount": "10",
        "currency": "NOK",
        "due_date": "2026-11-30",
        "reference_type": "message",
        "reference": "Faktura 1",
        column: text,
    }
    data = json.dumps([row]).encode("utf-8", "surrogatepass")
    try:
        [item] = read_open_item_rows("items.json", data)
    except ImportRejected as refusal:
        assert refusal.line == 1 and refusal.column in (column, None)
        return
    for name in TEXT_COLUMNS:
        value = getattr(item, name) or ""
        assert len(value) <= COLUMN_LIMITS[name]
        assert not any(unicodedata.category(char) in REFUSED_CATEGORIES for char in value)


# --- a supplier's details for payments abroad ----------------------------------------------------

ABROAD_HEADER = (
    "name;org_no;account;street;building_no;post_code;town;country;bic;charge_bearer;"
    "purpose_code;purpose_text"
)
GERMAN = "Schmidt GmbH;DE811907980;DE89 3704 0044 0532 0130 00;Hauptstraße;5;10115;Berlin;de;;;;"
AMERICAN = (
    "Acme Tools Inc.;US12-3456789;123456789;Main Street;500;98101;Seattle;US;chas us33;shar;"
    "14;Machine parts"
)


def suppliers_abroad(*lines: str) -> list[SupplierRow]:
    return read_supplier_rows("s.csv", "\n".join((ABROAD_HEADER, *lines)).encode())


def supplier_error(*lines: str) -> str:
    return rejected(read_supplier_rows, "\n".join((ABROAD_HEADER, *lines)).encode(), "s.csv")


def american(**changes: str) -> str:
    values = dict(zip(ABROAD_HEADER.split(";"), AMERICAN.split(";"), strict=True)) | changes
    return ";".join(values.values())


def test_suppliers_abroad_are_read_with_their_address_bic_charge_bearer_and_purpose() -> None:
    assert suppliers_abroad(GERMAN, AMERICAN) == [
        SupplierRow(
            line=2,
            name="Schmidt GmbH",
            org_no="DE811907980",
            account="DE89370400440532013000",
            street="Hauptstraße",
            building_no="5",
            post_code="10115",
            town="Berlin",
            country="DE",
        ),
        SupplierRow(
            line=3,
            name="Acme Tools Inc.",
            org_no="US12-3456789",
            account="123456789",
            street="Main Street",
            building_no="500",
            post_code="98101",
            town="Seattle",
            country="US",
            bic="CHASUS33",
            charge_bearer="SHAR",
            purpose_code="14",
            purpose_text="Machine parts",
        ),
    ]


def test_a_row_gives_its_details_as_the_payee_details_a_payment_carries() -> None:
    [row] = suppliers_abroad(AMERICAN)
    assert row.details == PayeeDetails(
        "Main Street", "500", "98101", "Seattle", "US", "CHASUS33", "SHAR", "14", "Machine parts"
    )
    [plain] = read_supplier_rows("s.csv", b"name\nAcme AS\n")
    assert plain.details == NO_PAYEE_DETAILS


def test_json_numbers_in_detail_columns_are_taken_as_written() -> None:
    data = b'[{"name": "Acme Tools Inc.", "post_code": 98101, "building_no": 500, '
    data += b'"country": "us", "purpose_code": 14, "purpose_text": "Parts"}]'
    [row] = read_supplier_rows("s.json", data)
    assert (row.post_code, row.building_no, row.country, row.purpose_code) == (
        "98101",
        "500",
        "US",
        "14",
    )


def test_kosovo_is_a_country_though_iso_3166_has_not_assigned_it_yet() -> None:
    [row] = suppliers_abroad(american(country="xk", account="XK05 1212 0123 4567 8906"))
    assert row.country == "XK"


@pytest.mark.parametrize(
    ("column", "text", "problem"),
    [
        ("country", "Germany", "give the country's two-letter ISO 3166 code: Germany is DE"),
        (
            "country",
            "XX",
            "XX is not a country code: give the two-letter ISO 3166 code, such as DE, SE or US",
        ),
        (
            "bic",
            "BIC324098",
            "BIC324098 is not a BIC: 4 letters for the bank, 2 for the country, 2 letters or "
            "digits for the place and perhaps 3 for the branch, such as DNBANOKK or DEUTDEFF500",
        ),
        (
            "bic",
            "SEXDABCD",
            "SEXDABCD is not a BIC: AB (its 5th and 6th characters) is no country's code",
        ),
        (
            "charge_bearer",
            "SLEV",
            "SLEV is no charge bearer: give DEBT (the company pays all charges), CRED (the payee "
            "pays them) or SHAR (each pays their own bank's)",
        ),
        ("purpose_code", "99", "99 is not a purpose code of Norges Bank's list"),
    ],
)
def test_a_bad_detail_refuses_the_file_naming_line_and_column(
    column: str, text: str, problem: str
) -> None:
    # The bad row is the second: the first, good one is not taken either (nothing is returned).
    assert supplier_error(GERMAN, american(**{column: text})) == f"s.csv:3: {column}: {problem}"


def test_a_refused_value_is_not_echoed_whole() -> None:
    assert supplier_error(american(country="X" * 500)) == (
        f"s.csv:2: country: {'X' * 39}… is not a country code: give the two-letter ISO 3166 "
        "code, such as DE, SE or US"
    )


@given(column=st.sampled_from(PAYEE_COLUMNS), typed=st.text())
@example(column="street", typed=" {0")  # a refused character's position counts from the cell
def test_a_detail_column_takes_what_a_fix_takes_and_refuses_the_rest_in_its_words(
    column: str, typed: str
) -> None:
    # One rule per field (core.payee_details), whether typed in a fix or read from a file.
    data = json.dumps([{"name": "Acme Tools Inc.", column: typed}]).encode()
    stored, problem = check_field(column, typed)
    try:
        [row] = read_supplier_rows("s.json", data)
    except ImportRejected as refused:
        assert problem is not None
        assert str(refused) == f"s.json:1: {column}: {problem.message}"
        return
    assert problem is None
    assert getattr(row, column) == stored


def test_charge_bearer_and_bic_ignore_case_and_spaces() -> None:
    [row] = suppliers_abroad(american(charge_bearer="debt", bic=" dnba nokk xxx "))
    assert (row.charge_bearer, row.bic) == ("DEBT", "DNBANOKKXXX")


def test_a_foreign_account_number_needs_the_suppliers_country() -> None:
    assert supplier_error(american(country="", street="", town="", post_code="")) == (
        "s.csv:2: account: 123456789 is not an 11-digit Norwegian account number (a registered "
        "account must be valid; an account abroad that is not an IBAN needs the supplier's "
        "country)"
    )
    assert supplier_error(american(country="NO")).startswith(
        "s.csv:2: account: 123456789 is not an 11-digit Norwegian account number"
    )
    assert suppliers_abroad(american(country="CA"))[0].account == "123456789"


@pytest.mark.parametrize(
    ("column", "limit"),
    [("street", 70), ("building_no", 16), ("post_code", 16), ("town", 35), ("purpose_text", 35)],
)
def test_detail_texts_are_limited_to_their_columns(column: str, limit: int) -> None:
    assert suppliers_abroad(american(**{column: "é" * limit}))[0].details != NO_PAYEE_DETAILS
    assert supplier_error(american(**{column: "é" * (limit + 1)})) == (
        f"s.csv:2: {column}: at most {limit} characters (got {limit + 1})"
    )


def test_a_control_character_in_an_address_is_refused() -> None:
    assert supplier_error(american(street="Main\u202eStreet")).startswith(
        "s.csv:2: street: control character U+202E at position 5"
    )


def test_detail_columns_and_limits_are_the_payee_columns_of_suppliers_and_payments() -> None:
    from paybot.store.models import Payment, Supplier
    from paybot.store.tables import PAYEE_DETAILS

    assert PAYEE_COLUMNS == PAYEE_DETAILS
    assert list(PAYEE_COLUMN_LIMITS) == list(PAYEE_DETAILS)
    for model in (Supplier, Payment):
        lengths = {name: model.__table__.c[name].type.length for name in PAYEE_DETAILS}
        assert lengths == PAYEE_COLUMN_LIMITS


BERLIN = PayeeDetails("Hauptstraße", "5", "10115", "Berlin", "DE")
PURPOSE = PayeeDetails(purpose_code="14", purpose_text="Machine parts")


def test_a_given_address_replaces_the_stored_one_whole_and_an_empty_one_keeps_it() -> None:
    stored = replace(BERLIN, bic="COBADEFFXXX", purpose_code="14", purpose_text="Parts")
    moved = PayeeDetails(town="München", country="DE")
    assert details_given(stored, moved) == replace(
        stored, street=None, building_no=None, post_code=None, town="München"
    )
    assert details_given(stored, NO_PAYEE_DETAILS) == stored
    assert details_given(stored, PayeeDetails(purpose_code="26")) == replace(
        stored, purpose_code="26", purpose_text=None
    )
    assert details_given(stored, PayeeDetails(charge_bearer="DEBT")).bic == "COBADEFFXXX"


def test_filling_takes_only_groups_that_are_empty_or_agree() -> None:
    assert details_filled(NO_PAYEE_DETAILS, BERLIN) == BERLIN
    # A country alone is completed by the same country's address ...
    assert details_filled(PayeeDetails(country="DE"), BERLIN) == BERLIN
    # ... but another town (a person's) fills nothing of the address; the BIC is its own group.
    person = PayeeDetails(town="Hamburg", country="DE")
    offered = replace(BERLIN, bic="COBADEFFXXX")
    assert details_filled(person, offered) == replace(person, bic="COBADEFFXXX")
    assert details_filled(PayeeDetails(bic="DEUTDEFF"), offered).bic == "DEUTDEFF"
    assert details_filled(PURPOSE, PayeeDetails(purpose_code="14", purpose_text="x")) == PURPOSE
    assert details_filled(BERLIN, NO_PAYEE_DETAILS) is BERLIN


@given(
    stored=st.builds(PayeeDetails, **{c: st.sampled_from([None, "a", "b"]) for c in PAYEE_COLUMNS}),
    offered=st.builds(
        PayeeDetails, **{c: st.sampled_from([None, "a", "b"]) for c in PAYEE_COLUMNS}
    ),
)
def test_filling_never_overwrites_a_value_and_filling_again_changes_nothing(
    stored: PayeeDetails, offered: PayeeDetails
) -> None:
    filled = details_filled(stored, offered)
    for column in PAYEE_COLUMNS:
        if getattr(stored, column) is not None:
            assert getattr(filled, column) == getattr(stored, column)
    assert details_filled(filled, offered) == filled
    assert details_given(details_given(stored, offered), offered) == details_given(stored, offered)
