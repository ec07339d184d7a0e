"""The scheduled jobs keep their schedule in paybot's database and do the work of the commands."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import create_engine, text

from paybot import jobs
from paybot.container import reset as reset_container


@pytest.fixture
def settings(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    monkeypatch.setenv("PAYBOT_DATABASE_URL", database_url)
    monkeypatch.setenv("PAYBOT_FILES_DIR", str(tmp_path / "files"))
    reset_container()
    yield database_url
    reset_container()


def test_the_schedule_is_kept_in_the_database(settings: str) -> None:
    scheduler = jobs.scheduler(BackgroundScheduler)
    scheduler.start(paused=True)
    try:
        time.sleep(0.1)
        engine = create_engine(settings)
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT id FROM apscheduler_jobs")).scalars().all()
        engine.dispose()
    finally:
        scheduler.shutdown(wait=False)
    assert sorted(stored) == sorted(jobs.JOBS)


def test_each_job_runs_against_an_empty_database_without_error(settings: str) -> None:
    for name in jobs.JOBS:
        jobs._guarded(name)
