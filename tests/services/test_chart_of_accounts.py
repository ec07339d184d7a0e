"""A company's chart of accounts on SQLite and PostgreSQL: imported whole, the same file again
changing nothing, a later file renaming, opening and closing accounts; with a chart, a payment
posted by hand only to an account of it open for posting by hand (the bank's own GL account
refused either way); without one, any GL account as before."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from paybot.core.chart_of_accounts import AccountNotInChart, read_chart
from paybot.core.errors import NotFound, ValidationFailed
from paybot.services import chart_of_accounts, companies, incoming
from paybot.services.chart_of_accounts import ChartImport
from paybot.services.incoming import IncomingStatus
from paybot.store.models import Voucher as VoucherRow
from paybot.store.uow import UnitOfWork
from tests.builders import ACCOUNT_A, NOW, ORG_NO, SIGNER
from tests.services.test_incoming import acme, count, listed, unmatched, vouchers

__all__ = ["acme", "unmatched"]  # fixtures, used by name

CHART = (
    "number;name;by_hand\n"
    "1500;Kundefordringer;nei\n"
    "1920;Bankinnskudd;\n"
    "3400;Offentlig tilskudd/refusjon;\n"
    "3900;Annen driftsrelatert inntekt;\n"
)


def imported(uow: UnitOfWork, text: str = CHART, source: str = "chart.csv") -> ChartImport:
    rows = read_chart(source, text.encode())
    return chart_of_accounts.import_chart(
        uow, company_org_no=ORG_NO, source=source, rows=rows, now=NOW
    )


def chart(uow: UnitOfWork) -> list[tuple[str, str, bool]]:
    return [
        (a.number, a.name, a.by_hand) for a in chart_of_accounts.list_chart(uow, ORG_NO).accounts
    ]


def chart_events(uow: UnitOfWork) -> list[dict[str, object]]:
    with uow:
        return list(uow.audit.latest(10, "chart.import"))


def post(uow: UnitOfWork, payment_id: int, account: str) -> incoming.IncomingView:
    return incoming.post_by_hand(
        uow, payment_id=payment_id, account=account, text="Refund from NAV", actor=SIGNER, now=NOW
    )


# --- import -----------------------------------------------------------------------------------


def test_a_chart_is_imported_whole_and_the_same_file_again_changes_nothing(
    acme: UnitOfWork,
) -> None:
    first = imported(acme)
    again = imported(acme)

    assert (first.new, first.changed, first.unchanged, first.closed) == (4, 0, 0, 0)
    assert (again.new, again.changed, again.unchanged, again.closed) == (0, 0, 4, 0)
    assert chart(acme) == [
        ("1500", "Kundefordringer", False),
        ("1920", "Bankinnskudd", True),
        ("3400", "Offentlig tilskudd/refusjon", True),
        ("3900", "Annen driftsrelatert inntekt", True),
    ]
    [event] = chart_events(acme)  # the second import changed nothing: no event
    assert event["details"] == {
        "source": "chart.csv",
        "new": ["1500", "1920", "3400", "3900"],
        "changed": [],
        "closed": [],
        "unchanged": 0,
    }


def test_a_later_file_renames_opens_adds_and_closes_what_it_no_longer_has(
    acme: UnitOfWork,
) -> None:
    imported(acme)
    later = (
        "number;name;by_hand\n"
        "1500;Kundefordringer;ja\n"  # opened
        "3400;Refusjoner;\n"  # renamed
        "3900;Annen driftsrelatert inntekt;\n"
        "8050;Renteinntekt;\n"  # new
    )  # 1920 is gone: closed, its name kept

    result = imported(acme, later, "later.csv")

    assert (result.new, result.changed, result.unchanged, result.closed) == (1, 2, 1, 1)
    assert chart(acme) == [
        ("1500", "Kundefordringer", True),
        ("1920", "Bankinnskudd", False),
        ("3400", "Refusjoner", True),
        ("3900", "Annen driftsrelatert inntekt", True),
        ("8050", "Renteinntekt", True),
    ]
    assert imported(acme, later, "later.csv").changes == 0
    assert chart_of_accounts.account_names(acme, ORG_NO)["1920"] == "Bankinnskudd"


def test_a_chart_for_no_company_is_refused_and_none_is_listed_for_a_company_without(
    acme: UnitOfWork,
) -> None:
    rows = read_chart("chart.csv", CHART.encode())
    with pytest.raises(NotFound, match="No company with organisation number 999999999"):
        chart_of_accounts.import_chart(
            acme, company_org_no="999999999", source="chart.csv", rows=rows, now=NOW
        )
    assert chart(acme) == []
    assert chart_of_accounts.account_names(acme, ORG_NO) == {}


# --- posting by hand --------------------------------------------------------------------------


def test_without_a_chart_any_gl_account_number_is_posted_to_as_before(
    acme: UnitOfWork, unmatched: list[int]
) -> None:
    view = post(acme, unmatched[0], "9999")

    assert view.status is IncomingStatus.POSTED
    [voucher] = vouchers(acme)
    assert [line.account for line in voucher.lines] == ["1920", "9999"]


def test_with_a_chart_an_account_not_in_it_is_refused_naming_it_and_how_to_add_it(
    acme: UnitOfWork, unmatched: list[int], engine: Engine
) -> None:
    imported(acme)

    with pytest.raises(AccountNotInChart) as caught:
        post(acme, unmatched[0], "9999")

    assert caught.value.account == "9999" and not caught.value.closed
    assert caught.value.errors == {
        "account": "9999 is not in the chart of accounts of Acme AS: check the number, or add "
        "the account to the chart file and import it again (`paybot ledger accounts import FILE "
        f"--company {ORG_NO}`)"
    }
    assert count(engine, VoucherRow) == 0
    assert unmatched[0] in [v.id for v in listed(acme, IncomingStatus.UNMATCHED)]


def test_with_a_chart_an_account_closed_for_posting_by_hand_is_refused_by_name(
    acme: UnitOfWork, unmatched: list[int], engine: Engine
) -> None:
    imported(acme)

    with pytest.raises(AccountNotInChart, match="1500 Kundefordringer is closed for posting by"):
        post(acme, unmatched[0], "1500")

    assert count(engine, VoucherRow) == 0


def test_with_a_chart_an_open_account_of_it_is_posted_to_and_its_name_audited(
    acme: UnitOfWork, unmatched: list[int]
) -> None:
    imported(acme)

    view = post(acme, unmatched[0], " 3400 ")

    assert view.status is IncomingStatus.POSTED
    [voucher] = vouchers(acme)
    assert [line.account for line in voucher.lines] == ["1920", "3400"]
    with acme:
        [event] = acme.audit.latest(10, "incoming.post")
    assert (event["details"]["account"], event["details"]["account_name"]) == (
        "3400",
        "Offentlig tilskudd/refusjon",
    )


def test_the_banks_own_gl_account_is_refused_even_when_the_chart_has_it_open(
    acme: UnitOfWork, unmatched: list[int], engine: Engine
) -> None:
    imported(acme)
    assert ("1920", "Bankinnskudd", True) in chart(acme)

    with pytest.raises(ValidationFailed, match="1920 is the GL account of the bank account") as e:
        post(acme, unmatched[0], "1920")

    assert not isinstance(e.value, AccountNotInChart)
    assert count(engine, VoucherRow) == 0


def test_a_chart_of_another_company_does_not_bind_this_one(
    acme: UnitOfWork, unmatched: list[int]
) -> None:
    other = "923609016"
    companies.add_company(
        acme, org_no=other, name="Annen AS", account=ACCOUNT_A, bank="DNB", now=NOW
    )
    rows = read_chart("chart.csv", CHART.encode())
    chart_of_accounts.import_chart(acme, company_org_no=other, source="c", rows=rows, now=NOW)

    assert post(acme, unmatched[0], "9999").status is IncomingStatus.POSTED
    assert chart(acme) == []
