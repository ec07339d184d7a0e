"""One-time-code devices: enroll, confirm, unlock, reset, rotate the encryption key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pyotp

from paybot.core import otp
from paybot.core.errors import (
    CodeReplayed,
    InvalidOtp,
    NotEnrolled,
    NotFound,
    OtpLocked,
    ValidationFailed,
)
from paybot.core.otp import OtpState
from paybot.core.policy import Actor
from paybot.services.common import SYSTEM, ActorRef, audit, company_or_error, resolve_actor
from paybot.services.secrets import SecretBox
from paybot.store.uow import UnitOfWork


@dataclass(frozen=True)
class Enrollment:
    uri: str
    account_name: str


def enroll(
    uow: UnitOfWork,
    box: SecretBox,
    *,
    company_org_no: str,
    user: ActorRef,
    now: datetime,
    actor: Actor = SYSTEM,
) -> Enrollment:
    """A new secret for the user's authenticator; active once confirmed with a first code."""
    with uow:
        company = company_or_error(uow, company_org_no)
        person = resolve_actor(uow, user)
        assert person.user_id is not None
        if not uow.users.roles(person.user_id, company.id):
            raise NotFound(f"{person.label} has no role in {company.name}; add them first.")
        device = uow.otp.get(person.user_id)
        if device is not None and device[1].active:
            raise ValidationFailed(
                {
                    "slack_user": f"{person.label} has an active one-time-code device already (one "
                    "device serves a person in every company). To replace it, for a lost phone, "
                    "run `paybot otp reset` first."
                }
            )
        for _, token in uow.otp.all_secrets()[:1]:
            box.decrypt(token)  # a different PAYBOT_SECRET_KEY would split the secrets in two
        secret = pyotp.random_base32()
        uow.otp.enroll(person.user_id, box.encrypt(secret), now)
        name = person.label.rsplit(" (", 1)[0]
        account_name = f"{name} ({company.name})"
        audit(uow, actor=actor, action="otp.enroll", now=now, details=_who(user))
        uow.commit()
    return Enrollment(uri=otp.provisioning_uri(secret, account_name), account_name=account_name)


def confirm(uow: UnitOfWork, box: SecretBox, *, user: ActorRef, code: str, now: datetime) -> None:
    """Activates an enrolled device with a first valid code."""
    with uow:
        person = resolve_actor(uow, user)
        step = use_code(uow, box, person, code, now, require_active=False)
        assert person.user_id is not None
        state = OtpState(active=True, last_used_step=step)
        uow.otp.save(person.user_id, state, confirmed_at=now)
        audit(uow, actor=person, action="otp.confirm", now=now, details=_who(user))
        uow.commit()


def use_code(
    uow: UnitOfWork,
    box: SecretBox,
    person: Actor,
    code: str,
    now: datetime,
    *,
    require_active: bool = True,
) -> int:
    """Checks a code inside the caller's transaction and marks it used there.

    A wrong code, or one tried while locked, is recorded (and audited) and committed at once,
    before the error is raised: the caller's transaction has done nothing else yet.
    """
    assert person.user_id is not None
    device = uow.otp.get(person.user_id, lock=True)
    if device is None or (require_active and not device[1].active):
        raise NotEnrolled(
            f"{person.label} has no confirmed one-time-code device; enroll with "
            "`paybot otp enroll` and confirm it with a first code."
        )
    token, state = device
    try:
        step = otp.verify(box.decrypt(token), code, state, now)
    except OtpLocked as exc:
        audit(
            uow, actor=person, action="otp.refused_locked", now=now, details={"message": str(exc)}
        )
        uow.commit()
        raise
    except CodeReplayed as exc:
        audit(uow, actor=person, action="otp.replay", now=now, details={"message": str(exc)})
        uow.commit()
        raise
    except InvalidOtp as exc:
        failed = otp.after_failure(state, now)
        uow.otp.save(person.user_id, failed)
        details = {"message": exc.user_message, "failures_in_a_row": failed.failures}
        audit(uow, actor=person, action="otp.failure", now=now, details=details)
        if failed.is_locked(now):
            audit(
                uow,
                actor=person,
                action="otp.locked",
                now=now,
                details={"until": failed.locked_until},
            )
        uow.commit()
        if failed.is_locked(now):
            raise InvalidOtp(
                f"{exc.user_message} That was {otp.MAX_FAILURES} wrong codes in a row: signing is "
                "locked for 15 minutes (an admin can lift it with `paybot otp unlock`).",
                left=0,
            ) from exc
        left = otp.MAX_FAILURES - failed.failures
        raise InvalidOtp(
            f"{exc.user_message} {left} more wrong code(s) lock signing.", left=left
        ) from exc
    uow.otp.save(person.user_id, otp.after_success(state, step))
    return step


def unlock(uow: UnitOfWork, *, user: ActorRef, now: datetime, actor: Actor = SYSTEM) -> None:
    with uow:
        person = resolve_actor(uow, user)
        assert person.user_id is not None
        device = uow.otp.get(person.user_id)
        if device is None:
            raise NotEnrolled(f"{person.label} has no one-time-code device.")
        uow.otp.save(
            person.user_id,
            OtpState(active=device[1].active, last_used_step=device[1].last_used_step),
        )
        audit(uow, actor=actor, action="otp.unlock", now=now, details=_who(user))
        uow.commit()


def reset(uow: UnitOfWork, *, user: ActorRef, now: datetime, actor: Actor = SYSTEM) -> None:
    """Removes the device: the user must enroll again before signing."""
    with uow:
        person = resolve_actor(uow, user)
        assert person.user_id is not None
        if not uow.otp.remove(person.user_id):
            raise NotEnrolled(f"{person.label} has no one-time-code device.")
        audit(uow, actor=actor, action="otp.reset", now=now, details=_who(user))
        uow.commit()


def rotate_key(uow: UnitOfWork, box: SecretBox, *, now: datetime, actor: Actor = SYSTEM) -> int:
    """Re-encrypts every secret with the newest key; returns how many."""
    with uow:
        devices = uow.otp.all_secrets()
        for device_id, token in devices:
            uow.otp.replace_secret(device_id, box.rotate(token))
        audit(uow, actor=actor, action="otp.rotate_key", now=now, details={"devices": len(devices)})
        uow.commit()
    return len(devices)


def _who(user: ActorRef) -> dict[str, str | None]:
    return {"slack_user_id": user.slack_user_id, "slack_team_id": user.slack_team_id}
