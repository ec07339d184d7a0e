"""Work that can wait waits while requests are being answered, but never longer than its
patience, and only a few pieces run at once. Order is shown with events, time with a fake clock:
nothing here depends on how fast the machine is."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from paybot.handlers.follow_ups import FollowUps

DEADLINE = 10.0  # seconds a thread may take to get somewhere; only a failing test waits this long


class FakeTime:
    """FollowUps' clock and wait: time moves only while it waits, `step` seconds a wake-up (as
    if a request was answered and the next one had already come), never past the timeout."""

    def __init__(self, step: float) -> None:
        self.now = 0.0
        self.step = step
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def wait(self, _condition: threading.Condition, seconds: float) -> bool:
        self.waits.append(seconds)
        self.now += min(self.step, seconds)
        return False


class Waits:
    """Condition.wait, telling the test once the work has begun to wait."""

    def __init__(self) -> None:
        self.begun = threading.Event()

    def __call__(self, condition: threading.Condition, seconds: float) -> bool:
        self.begun.set()  # still under the condition's lock: no request can end in between
        return condition.wait(seconds)


def until(condition: Callable[[], bool]) -> None:
    """Polls for `condition` (threads are getting somewhere), failing after DEADLINE."""
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_work_with_nothing_being_answered_starts_at_once() -> None:
    clock = FakeTime(step=0.5)
    follow_ups = FollowUps(patience=2.0, monotonic=clock.monotonic, wait=clock.wait)
    ran: list[float] = []
    with follow_ups.when_quiet():
        ran.append(clock.now)
    assert ran == [0.0] and clock.waits == []


def test_a_steady_stream_of_requests_delays_work_by_the_patience_only() -> None:
    clock = FakeTime(step=0.5)
    follow_ups = FollowUps(patience=2.0, monotonic=clock.monotonic, wait=clock.wait)
    ran: list[float] = []
    with follow_ups.answering():  # never all answered: one request follows another
        with follow_ups.when_quiet():
            ran.append(clock.now)
    assert ran == [2.0]
    assert clock.waits == [2.0, 1.5, 1.0, 0.5]  # woken by each request, never waiting longer


def test_waiting_work_starts_when_the_last_request_is_answered() -> None:
    waits = Waits()
    follow_ups = FollowUps(patience=60.0, wait=waits)
    log: list[str] = []

    def work() -> None:
        with follow_ups.when_quiet():
            log.append("work")

    thread = threading.Thread(target=work)
    with follow_ups.answering():
        with follow_ups.answering():
            thread.start()
            assert waits.begun.wait(DEADLINE)  # the work is waiting
            log.append("one answered")
        log.append("the other answered")  # still inside: the work cannot have started yet
    thread.join(DEADLINE)
    assert log == ["one answered", "the other answered", "work"]


def test_only_so_many_pieces_of_work_run_at_once() -> None:
    follow_ups = FollowUps(patience=60.0, slots=2)
    log: list[str] = []
    done = {name: threading.Event() for name in "abc"}

    def work(name: str) -> None:
        with follow_ups.when_quiet():
            log.append(f"{name} starts")
            done[name].wait(DEADLINE)
            log.append(f"{name} ends")

    threads = [threading.Thread(target=work, args=(name,)) for name in done]
    for thread in threads:
        thread.start()
    until(lambda: len(log) >= 2)
    first = log[0].split()[0]
    done[first].set()
    until(lambda: len(log) >= 4)
    for event in done.values():
        event.set()
    for thread in threads:
        thread.join(DEADLINE)

    starts = [entry.split()[0] for entry in log if entry.endswith("starts")]
    assert sorted(starts) == ["a", "b", "c"]
    assert log[:2] == [f"{starts[0]} starts", f"{starts[1]} starts"]
    assert log.index(f"{first} ends") < log.index(f"{starts[2]} starts")  # waited for a slot
