"""One-time codes (RFC 6238): drift, replay, lockout and the provisioning URI, without a clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest

from paybot.core import otp
from paybot.core.errors import InvalidOtp, OtpLocked
from paybot.core.otp import LOCK_DURATION, MAX_FAILURES, STEP_SECONDS, OtpState

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NOW = datetime(2026, 11, 23, 9, 0, 10, tzinfo=UTC)
STEP = timedelta(seconds=STEP_SECONDS)
ACTIVE = OtpState(active=True)


def step_of(at: datetime) -> int:
    return int(at.timestamp()) // STEP_SECONDS


def a_wrong_code(now: datetime = NOW) -> str:
    """A well-formed code that matches no step within the allowed drift of `now`."""
    window = {otp.code_at(SECRET, now + k * STEP) for k in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in window)


def failed_times(times: int, state: OtpState = ACTIVE, now: datetime = NOW) -> OtpState:
    for _ in range(times):
        state = otp.after_failure(state, now)
    return state


def test_the_current_code_gives_the_current_step() -> None:
    assert otp.verify(SECRET, otp.code_at(SECRET, NOW), ACTIVE, NOW) == step_of(NOW)


def test_code_is_six_digits_and_agrees_with_a_standard_authenticator() -> None:
    code = otp.code_at(SECRET, NOW)
    assert len(code) == 6 and code.isdigit()
    assert code == pyotp.TOTP(SECRET).at(NOW)


@pytest.mark.parametrize("steps", [-1, 1])
def test_one_step_of_clock_drift_either_side_is_accepted(steps: int) -> None:
    code = otp.code_at(SECRET, NOW + steps * STEP)
    assert otp.verify(SECRET, code, ACTIVE, NOW) == step_of(NOW) + steps


@pytest.mark.parametrize("steps", [-2, 2, -3, 3])
def test_two_or_more_steps_of_drift_are_refused(steps: int) -> None:
    code = otp.code_at(SECRET, NOW + steps * STEP)
    with pytest.raises(InvalidOtp, match="not right"):
        otp.verify(SECRET, code, ACTIVE, NOW)


def test_code_typed_with_a_space_is_accepted() -> None:
    code = otp.code_at(SECRET, NOW)
    assert otp.verify(SECRET, f" {code[:3]} {code[3:]} ", ACTIVE, NOW) == step_of(NOW)


@pytest.mark.parametrize("code", ["", "12345", "1234567", "12345a", "abcdef"])
def test_malformed_codes_are_refused(code: str) -> None:
    with pytest.raises(InvalidOtp):
        otp.verify(SECRET, code, ACTIVE, NOW)


def test_a_wrong_code_is_refused() -> None:
    with pytest.raises(InvalidOtp, match="not right"):
        otp.verify(SECRET, a_wrong_code(), ACTIVE, NOW)


def test_a_code_already_used_is_refused_as_a_replay() -> None:
    code = otp.code_at(SECRET, NOW)
    used = otp.after_success(ACTIVE, otp.verify(SECRET, code, ACTIVE, NOW))
    with pytest.raises(InvalidOtp, match="used already"):
        otp.verify(SECRET, code, used, NOW)


def test_an_older_code_than_the_last_used_is_refused() -> None:
    used = OtpState(active=True, last_used_step=step_of(NOW + STEP))
    with pytest.raises(InvalidOtp, match="used already"):
        otp.verify(SECRET, otp.code_at(SECRET, NOW), used, NOW)


def test_a_later_code_than_the_last_used_is_accepted() -> None:
    used = OtpState(active=True, last_used_step=step_of(NOW - STEP))
    assert otp.verify(SECRET, otp.code_at(SECRET, NOW), used, NOW) == step_of(NOW)


def test_four_wrong_codes_in_a_row_do_not_lock() -> None:
    state = failed_times(MAX_FAILURES - 1)
    assert state.failures == MAX_FAILURES - 1
    assert not state.is_locked(NOW)
    assert otp.verify(SECRET, otp.code_at(SECRET, NOW), state, NOW) == step_of(NOW)


def test_the_fifth_wrong_code_in_a_row_locks_for_fifteen_minutes() -> None:
    state = failed_times(MAX_FAILURES)
    assert MAX_FAILURES == 5
    assert state.locked_until == NOW + timedelta(minutes=15) == NOW + LOCK_DURATION
    assert state.failures == 0
    assert state.is_locked(NOW)


def test_a_locked_device_refuses_even_the_right_code() -> None:
    state = failed_times(MAX_FAILURES)
    later = NOW + timedelta(minutes=5)
    with pytest.raises(OtpLocked, match="locked after 5 wrong codes in a row, for 10 more minute"):
        otp.verify(SECRET, otp.code_at(SECRET, later), state, later)


def test_lock_holds_until_its_end_and_not_after() -> None:
    state = failed_times(MAX_FAILURES)
    end = NOW + LOCK_DURATION
    assert state.is_locked(end - timedelta(microseconds=1))
    assert not state.is_locked(end)
    assert otp.verify(SECRET, otp.code_at(SECRET, end), state, end) == step_of(end)


def test_a_state_without_a_lock_is_never_locked() -> None:
    assert not OtpState().is_locked(NOW)
    assert not OtpState(locked_until=NOW - timedelta(seconds=1)).is_locked(NOW)


def test_a_success_resets_the_failures_in_a_row() -> None:
    state = otp.after_success(failed_times(MAX_FAILURES - 1), step_of(NOW))
    assert (state.failures, state.locked_until, state.last_used_step) == (0, None, step_of(NOW))
    assert not failed_times(MAX_FAILURES - 1, state).is_locked(NOW)


def test_a_success_keeps_the_device_active() -> None:
    assert otp.after_success(ACTIVE, step_of(NOW)).active


def test_provisioning_uri_names_paybot_as_issuer_and_carries_the_secret() -> None:
    uri = otp.provisioning_uri(SECRET, "Sigrid Signer (Acme AS)")
    parsed = urlparse(uri)
    assert (parsed.scheme, parsed.netloc) == ("otpauth", "totp")
    assert parse_qs(parsed.query)["issuer"] == ["paybot"]
    totp = pyotp.parse_uri(uri)
    assert isinstance(totp, pyotp.TOTP)
    assert (totp.secret, totp.issuer, totp.name) == (SECRET, "paybot", "Sigrid Signer (Acme AS)")
    assert (totp.digits, totp.interval) == (6, 30)
    assert totp.at(NOW) == otp.code_at(SECRET, NOW)
