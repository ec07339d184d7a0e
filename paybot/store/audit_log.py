"""The audit trail, also written to the log: one INFO line per event as its unit of work commits
(logger `paybot.audit`): who, what, which payment and company. Never the event's before/after
or details (a refusal's error code excepted): those stay in the database."""

from __future__ import annotations

import logging
from typing import Any

from paybot.store.audit import AuditRepository

log = logging.getLogger("paybot.audit")


class LoggedAuditRepository(AuditRepository):
    """The audit repository; the events a commit appends are logged once they are appended."""

    def flush(self) -> None:
        rows = list(self._pending)
        super().flush()
        for row in rows:
            log_event(row)


def log_event(row: dict[str, Any]) -> None:
    """One line for one audit event, with its fields as `extra` (JSON logs keep them apart)."""
    fields: dict[str, Any] = {
        "actor": row.get("actor_label"),
        "action": row.get("action"),
        "payment_id": row.get("payment_id"),
        "company_id": row.get("company_id"),
    }
    text = "%(actor)s: %(action)s"
    details = row.get("details")
    if row.get("action") == "payment.refused" and isinstance(details, dict):
        # What was refused and why, as a code (the user's message may quote what they typed).
        fields |= {"refused": details.get("action"), "code": details.get("code")}
        text += " (%(refused)s refused: %(code)s)"
    if fields["payment_id"] is not None:
        text += ", payment %(payment_id)s"
    if fields["company_id"] is not None:
        text += ", company %(company_id)s"
    log.info(text, fields, extra=fields)
