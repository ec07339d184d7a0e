"""One-time codes (TOTP, RFC 6238): verification with drift, replay refusal and lockout."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import pyotp
from pyotp.utils import strings_equal

from paybot.core.errors import CodeReplayed, InvalidOtp, OtpLocked

DIGITS = 6
STEP_SECONDS = 30
# One step either side: a phone clock a little off still works, a code stays valid ~90 s at most.
DRIFT_STEPS = 1
MAX_FAILURES = 5
LOCK_DURATION = timedelta(minutes=15)
ISSUER = "paybot"


@dataclass(frozen=True)
class OtpState:
    """What is remembered about a user's code device between attempts."""

    active: bool = False
    last_used_step: int | None = None
    failures: int = 0
    locked_until: datetime | None = None

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until


def provisioning_uri(secret: str, account_name: str) -> str:
    """The otpauth:// URI an authenticator app reads from a QR code."""
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    return totp.provisioning_uri(name=account_name, issuer_name=ISSUER)


def code_at(secret: str, now: datetime) -> str:
    """The code an authenticator shows at `now` (for tests and the local demo)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).at(now)


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code equals `code` within the allowed drift, or None."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = totp.timecode(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if strings_equal(code, totp.generate_otp(step)):
            return step
    return None


def verify(secret: str, code: str, state: OtpState, now: datetime) -> int:
    """The step the code belongs to; raises OtpLocked, CodeReplayed, or InvalidOtp.

    The caller records a failure with `after_failure` for a wrong code. A replayed code is a
    right one sent twice (a double click): refused, but not a guess that counts toward the lock.
    """
    if state.is_locked(now):
        assert state.locked_until is not None
        minutes = max(1, -(-int((state.locked_until - now).total_seconds()) // 60))
        raise OtpLocked(
            f"Signing is locked after {MAX_FAILURES} wrong codes in a row, for {minutes} more "
            "minute(s); an admin can lift it with `paybot otp unlock`.",
            minutes=minutes,
        )
    step = matching_step(secret, code, now)
    if step is None:
        raise InvalidOtp("That code is not right (or has expired). Enter the current code.")
    if state.last_used_step is not None and step <= state.last_used_step:
        raise CodeReplayed("That code has been used already. Wait for the next code.")
    return step


def after_success(state: OtpState, step: int) -> OtpState:
    return replace(state, last_used_step=step, failures=0, locked_until=None)


def after_failure(state: OtpState, now: datetime) -> OtpState:
    """One more wrong code; the fifth in a row locks signing for LOCK_DURATION."""
    failures = state.failures + 1
    if failures >= MAX_FAILURES:
        return replace(state, failures=0, locked_until=now + LOCK_DURATION)
    return replace(state, failures=failures)
