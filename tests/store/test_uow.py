"""The unit of work makes each repository on first use, anew for each `with` (its session)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from paybot.services import companies
from paybot.store.companies import CompanyRepository
from paybot.store.uow import UnitOfWork, rehearsal
from tests.builders import COMPANY_ACCOUNT, ORG_NO, a_company

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_importing_the_unit_of_work_loads_no_repository() -> None:
    probe = (
        "import sys\nimport paybot.store.uow\n"
        "print(sorted(n for n in sys.modules if n.startswith('paybot.store.') or "
        "n.split('.')[0] in {'lxml', 'schwifty', 'pyotp', 'stdnum'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "['paybot.store.uow']"


def test_loading_the_repositories_loads_every_one_a_unit_of_work_uses() -> None:
    probe = (
        "import sys\nfrom sqlalchemy import create_engine\n"
        "from paybot.store.uow import _REPOSITORIES, UnitOfWork, load_repositories\n"
        "load_repositories()\nbefore = set(sys.modules)\n"
        "with UnitOfWork(create_engine('sqlite://')) as uow:\n"
        "    for name in sorted(_REPOSITORIES):\n        getattr(uow, name)\n"
        "new = {name for name in set(sys.modules) - before if name.startswith('paybot')}\n"
        "print(sorted(new), len(_REPOSITORIES))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "[] 20"


def test_a_repository_is_kept_for_its_with_and_made_anew_for_the_next(uow: UnitOfWork) -> None:
    with uow:
        first = uow.companies
        assert isinstance(first, CompanyRepository)
        assert uow.companies is first
        assert uow.payments is uow.payments
    with uow:
        assert uow.companies is not first
        assert uow.companies.get("974760673") is None


def test_audit_events_are_appended_when_the_unit_of_work_commits(uow: UnitOfWork) -> None:
    with uow:
        uow.audit.add(
            at=NOW, company_id=None, payment_id=None, actor_id=None, actor_label="test",
            action="test.event", before=None, after=None, details=None,
        )  # fmt: skip
        uow.commit()
    with uow:
        uow.commit()  # no repository used: nothing to append
    with uow:
        assert [e["action"] for e in uow.audit.latest(10)] == ["test.event"]


def test_repositories_are_used_inside_with(uow: UnitOfWork) -> None:
    with pytest.raises(AttributeError):
        uow.companies  # noqa: B018


def test_a_rehearsal_works_on_an_empty_copy_of_the_tables_and_leaves_the_real_ones_be(
    engine: Engine, uow: UnitOfWork
) -> None:
    a_company(uow)
    with uow:
        events = uow.audit.latest(1000)
    with rehearsal(engine) as rehearsed:
        with rehearsed:
            assert rehearsed.companies.all() == []  # nothing of the real tables is seen
        # The same organisation number: the copy's unique index knows no real row.
        companies.add_company(
            rehearsed, org_no=ORG_NO, name="Copy AS", account=COMPANY_ACCOUNT, now=NOW
        )
        with rehearsed:
            assert [c.name for c in rehearsed.companies.all()] == ["Copy AS"]
            assert [e["action"] for e in rehearsed.audit.latest(10)] == ["company.add"]
        if engine.dialect.name == "postgresql":  # (SQLite: the rehearsal holds the write lock)
            with uow:  # another connection, meanwhile: the real rows as they were
                assert [c.name for c in uow.companies.all()] == ["Acme AS"]
    with uow:
        assert [c.name for c in uow.companies.all()] == ["Acme AS"]
        assert uow.audit.latest(1000) == events
        assert uow.audit.first_broken_link() is None


def test_a_rehearsal_is_rolled_back_when_what_runs_in_it_fails(engine: Engine) -> None:
    with pytest.raises(LookupError), rehearsal(engine) as rehearsed:
        companies.add_company(
            rehearsed, org_no=ORG_NO, name="Copy AS", account=COMPANY_ACCOUNT, now=NOW
        )
        raise LookupError("stop")
    with UnitOfWork(engine) as uow:
        assert uow.companies.all() == []
