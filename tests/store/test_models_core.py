"""Core statements on the tables and the ORM's classes mapped onto them, in one unit of work: a
unit of work whose repositories read and write in Core alone loads no ORM; once one needs the
session, the session carries on in the same transaction (SQLite and PostgreSQL)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from paybot.core.payments import ReferenceType
from paybot.core.states import PaymentStatus
from paybot.services import payments
from paybot.store.models import CompanyBankAccount
from paybot.store.uow import UnitOfWork
from tests.builders import APPROVER, NOW, ORG_NO, SIGNER, a_company, an_item, ledger_with

COMPANY = {"org_no": "923609016", "name": "Core AS", "created_at": NOW}
ACCOUNT = {"account": "86011117947", "scheme": "bban"}
OTHER_ACCOUNT = {"account": "12345678903", "scheme": "bban", "gl_account": "1920"}


def test_company_and_payment_lists_load_no_orm(sqlite_template: Path, tmp_path: Path) -> None:
    path = tmp_path / "paybot.db"
    shutil.copy(sqlite_template, path)
    probe = (
        "import sys\nfrom paybot.store.db import make_engine\n"
        "from paybot.store.uow import UnitOfWork\n"
        f"uow = UnitOfWork(make_engine({f'sqlite:///{path}'!r}))\n"
        "with uow:\n"
        "    uow.companies.add({'org_no': '923609016', 'name': 'Core AS', "
        "'created_at': __import__('datetime').datetime.now(__import__('datetime').UTC)}, "
        "{'account': '86011117947', 'scheme': 'bban'})\n"
        "    uow.commit()\n"
        "with uow:\n"
        "    found = [c.name for c in uow.companies.all()], uow.payment_lists.list()\n"
        "print(found, sorted(m for m in sys.modules if m.startswith(('sqlalchemy.orm', "
        "'paybot.store.models'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.splitlines()[-1] == "(['Core AS'], []) []"


def test_core_writes_are_committed_with_the_unit_of_work_or_rolled_back(uow: UnitOfWork) -> None:
    with uow:
        uow.companies.add(COMPANY, ACCOUNT)  # not committed
    with uow:
        assert uow.companies.all() == []
        company_id = uow.companies.add(COMPANY, ACCOUNT)
        uow.commit()
    with uow:
        [company] = uow.companies.all()
    assert (company.id, company.currency, company.language.value) == (company_id, "NOK", "en")
    assert [(a.account, a.gl_account, a.incoming) for a in company.accounts] == [
        ("86011117947", "1920", True)  # the columns' defaults, as the ORM gave them
    ]


def test_a_session_made_after_core_statements_carries_on_in_their_transaction(
    uow: UnitOfWork,
) -> None:
    with uow:
        company_id = uow.companies.add(COMPANY, ACCOUNT)  # Core: the unit of work's connection
        uow.bank.add_account(company_id, OTHER_ACCOUNT)  # the ORM: a session on it
        assert len(uow.bank.accounts(company_id)) == 2  # the company is in its transaction
    with uow:  # both rolled back together
        assert uow.companies.all() == []
    with uow:
        company_id = uow.companies.add(COMPANY, ACCOUNT)
        uow.bank.add_account(company_id, OTHER_ACCOUNT)
        uow.commit()
    with uow:
        [company] = uow.companies.all()
        assert [a.account for a in company.accounts] == ["86011117947", "12345678903"]
    with uow:  # after a commit the session goes on in a new transaction, and so does Core
        uow.companies.update(company_id, {"name": "Core Holding AS"})
        uow.bank.update_account(uow.bank.accounts(company_id)[1].id, {"bank": "DNB"})
        uow.commit()
        uow.companies.update(company_id, {"name": "Not committed AS"})
    with uow:
        [company] = uow.companies.all()
        assert (company.name, company.accounts[1].bank) == ("Core Holding AS", "DNB")


def test_core_reads_see_what_the_session_has_not_flushed_yet(uow: UnitOfWork) -> None:
    with uow:
        company_id = uow.companies.add(COMPANY, ACCOUNT)
        uow.commit()
    with uow:
        session = uow._opened()  # noqa: SLF001 - an object added and not flushed, as a repository may
        session.add(CompanyBankAccount(company_id=company_id, **OTHER_ACCOUNT))
        [company] = uow.companies.all()
        assert [a.account for a in company.accounts] == ["86011117947", "12345678903"]


def test_payment_lists_give_the_views_the_payment_repository_gives(uow: UnitOfWork) -> None:
    a_company(uow)
    found = ledger_with(
        uow,
        [
            an_item(),
            an_item(account=None),  # red: no account
            an_item(reference_type=ReferenceType.MESSAGE, reference="Faktura 7"),
            an_item(due_date=NOW.date()),
            an_item(),
        ],
    )
    ids = sorted(p.id for p in found.values())
    payments.approve(uow, actor=APPROVER, payment_ids=ids[2:3], now=NOW)
    payments.delete(uow, actor=SIGNER, payment_ids=ids[4:], now=NOW)
    with uow:
        company = uow.companies.get(ORG_NO)
        assert company is not None
        company_id = company.id
        for statuses in (
            None,
            [PaymentStatus.PROPOSED],
            [PaymentStatus.APPROVED, PaymentStatus.DELETED],
            [PaymentStatus.PAID],
        ):
            listed = uow.payment_lists.list(company_id=company_id, statuses=statuses)
            assert listed == uow.payments.list(company_id=company_id, statuses=statuses)
        every = uow.payment_lists.list()
    assert [p.id for p in every] == [ids[3], *ids[:3], ids[4]]  # by due date, then id
    assert {p.status for p in every} == {
        PaymentStatus.PROPOSED,
        PaymentStatus.APPROVED,
        PaymentStatus.DELETED,
    }
