"""One return file, ingested by several processes' threads at once, is applied exactly once."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, text

from paybot.bank.sandbox import SandboxBank, SandboxRules
from paybot.core.company import DispatchTiming
from paybot.services import companies, dispatching, returns
from paybot.services.returns import IngestResult
from paybot.store.uow import UnitOfWork
from tests.builders import NOW, ORG_NO, OSLO, a_company, a_supplier, an_item, ledger_with, sign_with

CLICKS = 6


def test_the_same_file_ingested_at_once_is_applied_once(
    uow: UnitOfWork, engine: Engine, tmp_path: Path
) -> None:
    phone = a_company(uow)
    assert phone is not None
    companies.update_settings(uow, org_no=ORG_NO, timing=DispatchTiming.IMMEDIATE, now=NOW)
    bank = SandboxBank(tmp_path / "outbox", tmp_path / "inbox", SandboxRules())
    items = [an_item(), an_item(reference="0000001230")]
    ids = [p.id for p in ledger_with(uow, items, [a_supplier()]).values()]
    sign_with(uow, phone, ids)
    dispatching.dispatch(
        uow,
        lambda account: bank,
        now=phone.at + timedelta(minutes=5),
        options=dispatching.DispatchOptions(files_dir=tmp_path / "sent", zone=OSLO),
    )
    [camt] = [name for name in bank.incoming() if "camt054" in name]
    data = bank.fetch(camt)

    barrier = threading.Barrier(CLICKS)
    results: list[IngestResult] = []

    def ingest() -> None:
        own = UnitOfWork(engine)
        barrier.wait()
        results.append(returns.ingest(own, name=camt, data=data, now=NOW + timedelta(hours=1)))

    threads = [threading.Thread(target=ingest) for _ in range(CLICKS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(results) == CLICKS
    assert sum(not r.already_applied for r in results) == 1
    with engine.connect() as connection:
        files = connection.execute(text("SELECT count(*) FROM return_files")).scalar_one()
        paid_events = connection.execute(
            text("SELECT count(*) FROM audit_events WHERE action = 'payment.paid'")
        ).scalar_one()
    assert files == 1 and paid_events == len(ids)
