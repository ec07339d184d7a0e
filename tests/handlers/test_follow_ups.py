"""Work that can wait waits while requests are being answered, but never longer than its
patience, and only a few pieces run at once."""

from __future__ import annotations

import threading
import time

from paybot.handlers.follow_ups import FollowUps


def _in_thread(follow_ups: FollowUps, ran: list[float], hold: float = 0.0) -> threading.Thread:
    def work() -> None:
        with follow_ups.when_quiet():
            ran.append(time.monotonic())
            time.sleep(hold)

    thread = threading.Thread(target=work)
    thread.start()
    return thread


def test_waiting_work_starts_when_the_last_request_is_answered() -> None:
    follow_ups = FollowUps(patience=5.0)
    ran: list[float] = []
    with follow_ups.answering(), follow_ups.answering():
        thread = _in_thread(follow_ups, ran)
        time.sleep(0.2)
        assert ran == []  # two requests being answered
        answered = time.monotonic()
    thread.join(timeout=5)
    assert len(ran) == 1 and ran[0] >= answered


def test_work_with_nothing_being_answered_starts_at_once() -> None:
    follow_ups = FollowUps(patience=5.0)
    ran: list[float] = []
    started = time.monotonic()
    _in_thread(follow_ups, ran).join(timeout=5)
    assert ran and ran[0] - started < 1.0


def test_a_steady_stream_of_requests_delays_work_by_the_patience_only() -> None:
    follow_ups = FollowUps(patience=0.3)
    ran: list[float] = []
    with follow_ups.answering():
        started = time.monotonic()
        thread = _in_thread(follow_ups, ran)
        thread.join(timeout=5)
        assert ran and 0.25 <= ran[0] - started < 2.0


def test_only_so_many_pieces_of_work_run_at_once() -> None:
    follow_ups = FollowUps(patience=5.0, slots=2)
    ran: list[float] = []
    started = time.monotonic()
    threads = [_in_thread(follow_ups, ran, hold=0.3) for _ in range(3)]
    for thread in threads:
        thread.join(timeout=5)
    first_two, third = sorted(ran)[:2], sorted(ran)[2]
    assert all(t - started < 0.25 for t in first_two)
    assert third - started >= 0.25  # waited for a slot
