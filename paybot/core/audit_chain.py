"""The audit trail's hash chain: each event's hash covers its content and the hash before it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
HASHED_FIELDS = (
    "at",
    "company_id",
    "payment_id",
    "actor_id",
    "actor_label",
    "action",
    "before",
    "after",
    "details",
)


def plain(value: Any) -> Any:
    """The JSON-native form an audit value is stored and hashed in (Decimal and dates as text)."""
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


# json.dumps with options builds an encoder on every call: a third of hashing an event.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(prev_hash: str, event: Mapping[str, Any]) -> str:
    """SHA-256 over the previous hash and the event's fields, in a canonical JSON form."""
    content: dict[str, Any] = {name: event[name] for name in HASHED_FIELDS}
    at: datetime = content["at"]
    content["at"] = at.astimezone(UTC).isoformat(timespec="microseconds")
    canonical = _CANONICAL.encode({"prev": prev_hash, **content})
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
