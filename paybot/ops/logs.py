"""How paybot's long-running processes log: one line per record, always with its level name."""

from __future__ import annotations

import logging

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure(log_format: str = "text", level: str = "INFO") -> None:
    """Logging for `paybot serve` and `paybot jobs` (a command that prints logs nothing)."""
    logging.basicConfig(level=level, format=TEXT_FORMAT, force=True)
