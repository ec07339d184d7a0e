"""Work that can wait (card updates, Home tabs) waits for a quiet moment.

Slack wants every request answered within 3 seconds; a card updated a moment later costs
nobody anything. Python runs one thread at a time per process, so under a burst of clicks the
follow-ups of the first clicks would share the interpreter with the answers to the later ones.
Such work therefore starts once no request is being answered in this process (or after
`patience` seconds, so a steady stream of requests never starves it), a few at a time.
Opening a modal is not such work: its trigger id expires 3 seconds after the click.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

PATIENCE = 2.0
SLOTS = 2


class FollowUps:
    """Counts the requests this process is answering; lets deferrable work wait for none.
    `monotonic` and `wait` (a Condition's wait with a timeout) are injectable for tests."""

    def __init__(
        self,
        *,
        patience: float = PATIENCE,
        slots: int = SLOTS,
        monotonic: Callable[[], float] = time.monotonic,
        wait: Callable[[threading.Condition, float], bool] = threading.Condition.wait,
    ) -> None:
        self._busy = 0
        self._changed = threading.Condition()
        self._slots = threading.BoundedSemaphore(slots)
        self._patience = patience
        self._monotonic = monotonic
        self._wait = wait

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Around the handling of one request, up to its acknowledgement."""
        with self._changed:
            self._busy += 1
        try:
            yield
        finally:
            with self._changed:
                self._busy -= 1
                if not self._busy:
                    self._changed.notify_all()

    @contextmanager
    def when_quiet(self) -> Iterator[None]:
        """Around work that can wait: it runs once no request is being answered (or after the
        patience), at most `slots` such pieces at once."""
        with self._slots:
            with self._changed:
                deadline = self._monotonic() + self._patience
                # Woken when none is being answered; another request may have come meanwhile.
                while self._busy and (left := deadline - self._monotonic()) > 0:
                    self._wait(self._changed, left)
            yield
