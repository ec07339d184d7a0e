"""When each bank account's inbox was last read, and when reading it last failed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from paybot.store.models import BankPoll

# An error is kept for a person to read, not whole: a server's answer can be long.
MAX_ERROR = 500


@dataclass(frozen=True)
class PollRecord:
    bank_account_id: int
    succeeded_at: datetime | None
    failed_at: datetime | None
    error: str | None


class PollRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def succeeded(self, bank_account_id: int, now: datetime) -> None:
        """The account's inbox was read at `now` (its last failure stays on record)."""
        self._save(bank_account_id, {"succeeded_at": now})

    def failed(self, bank_account_id: int, now: datetime, error: str) -> None:
        """Reading the account's inbox failed at `now`, for `error`."""
        self._save(bank_account_id, {"failed_at": now, "error": error[:MAX_ERROR]})

    def last(self, bank_account_id: int) -> PollRecord | None:
        row = self._session.get(BankPoll, bank_account_id)
        if row is None:
            return None
        return PollRecord(row.bank_account_id, row.succeeded_at, row.failed_at, row.error)

    def _save(self, bank_account_id: int, values: dict[str, object]) -> None:
        where = BankPoll.bank_account_id == bank_account_id
        changed = self._session.execute(update(BankPoll).where(where).values(**values))
        if changed.rowcount:  # type: ignore[attr-defined]
            return
        try:
            with self._session.begin_nested():  # two pollers may add the first row at once
                self._session.add(BankPoll(bank_account_id=bank_account_id, **values))
        except IntegrityError:
            self._session.execute(update(BankPoll).where(where).values(**values))
