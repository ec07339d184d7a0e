"""The App Home tab: per company the person's roles, limits and code, counts per status and the
first few payments of each status with the buttons its state and the company's settings allow
(the cards' own); always within Slack's 100 blocks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from paybot.core.company import CompanyInfo, Language
from paybot.core.money import format_money
from paybot.core.payments import LastStep, PaymentView
from paybot.core.policy import Role
from paybot.core.posting import POSTING_ROLES
from paybot.core.states import PaymentStatus
from paybot.handlers.ids import Act
from paybot.handlers.views.blocks import Block, context, divider, escape, header, section
from paybot.handlers.views.cards import button, payment_entries
from paybot.handlers.views.i18n import STATUSES, Phrase, moment
from paybot.handlers.views.incoming import home_entries
from paybot.services.incoming_summary import Line
from paybot.services.people import Member

MAX_BLOCKS = 100
PER_STATUS = 3  # payments listed per status at most; the counts tell the rest
SHOWN = (
    PaymentStatus.ON_HOLD,  # first: a person must look at the netbank now
    PaymentStatus.PROPOSED,
    PaymentStatus.APPROVED,
    PaymentStatus.DUE,
    PaymentStatus.PROCESSING,
    PaymentStatus.FAILED,
    PaymentStatus.PAID,
)

ROLES = {
    Role.VIEWER: Phrase("viewer", "leser"),
    Role.APPROVER: Phrase("approver", "godkjenner"),
    Role.SIGNER: Phrase("signer", "signatar"),
    Role.ADMIN: Phrase("admin", "administrator"),
}
CODES = {
    "none": Phrase("not set up — `/bank enroll`", "ikke satt opp — `/bank enroll`"),
    "pending": Phrase(
        "waiting for a first code — `/bank enroll`", "venter på første kode — `/bank enroll`"
    ),
    "active": Phrase("active", "aktiv"),
    "locked": Phrase("locked after wrong codes", "låst etter feil koder"),
}
YOUR_ROLES = Phrase("Your roles: {roles}", "Dine roller: {roles}")
LIMITS = Phrase(
    "Signing limits: {per_payment} per payment, {per_day} per day",
    "Signeringsgrenser: {per_payment} per betaling, {per_day} per dag",
)
NO_LIMIT = Phrase("no limit", "ingen grense")
# Said instead of limits to someone without the signer role: "no limit" would read as unlimited.
NOT_A_SIGNER = Phrase(
    "You do not sign payments in this company.", "Du signerer ikke betalinger i dette selskapet."
)
CODE = Phrase("One-time code: {state}", "Engangskode: {state}")
NO_ROLE = Phrase(
    "You have no role in any company in paybot yet; ask an admin.",
    "Du har ingen rolle i noe selskap i paybot ennå; spør en administrator.",
)
REFRESH = Phrase("Refresh", "Oppdater")
UPDATED = Phrase(
    "As of {at}. `/bank help` tells what you can ask.",
    "Per {at}. `/bank help` forteller hva du kan spørre om.",
)
AND_MORE = Phrase(
    "and {count} more — `/bank search status:{status}`",
    "og {count} til — `/bank search status:{status}`",
)
TOO_MANY = Phrase(
    "Too many to list here; `/bank search status:failed` (or another status) lists them.",
    "For mange til å vise her; `/bank search status:failed` (eller en annen status) viser dem.",
)
MORE_COMPANIES = Phrase(
    "{count} more companies — `/bank status` counts them all.",
    "{count} selskaper til — `/bank status` teller alle.",
)


@dataclass(frozen=True)
class CompanyHome:
    """What the Home tab shows of one company the person has a role in."""

    company: CompanyInfo
    roles: tuple[Role, ...]
    me: Member | None
    counts: dict[PaymentStatus, int]
    # The first payments of each status (at most PER_STATUS), and who did what last.
    lists: dict[PaymentStatus, list[PaymentView]] = field(default_factory=dict)
    steps: dict[int, LastStep] = field(default_factory=dict)
    # Unmatched incoming payments, for those who may post them: how many, and the first few.
    incoming_count: int = 0
    incoming: list[Line] = field(default_factory=list)


def limit_text(amount: Decimal | None, currency: str, language: Language) -> str:
    return NO_LIMIT(language) if amount is None else format_money(amount, currency, language)


def person_lines(roles: Sequence[Role], member: Member | None, language: Language) -> list[str]:
    """Roles, signing limits and the one-time-code state of a person in a company. Limits only
    for a signer: someone else is told they do not sign."""
    lines = [YOUR_ROLES(language, roles=", ".join(ROLES[role](language) for role in roles))]
    if member is None:
        return lines
    if Role.SIGNER in roles:
        lines.append(
            LIMITS(
                language,
                per_payment=limit_text(member.limits.per_payment, member.currency, language),
                per_day=limit_text(member.limits.per_day, member.currency, language),
            )
        )
    else:
        lines.append(NOT_A_SIGNER(language))
    lines.append(CODE(language, state=CODES.get(member.code, CODES["none"])(language)))
    return lines


def home_view(
    companies: Sequence[CompanyHome], now: datetime, zone: ZoneInfo, notice: str | None = None
) -> dict[str, Any]:
    """The whole tab, times in `zone`; lists shrink (3, 2, 1, none per status) until it fits in
    100 blocks. `notice`: what the person's click on the tab did (such as as which voucher a
    payment was posted), said at the top, under Refresh, in this publish only."""
    language = companies[0].company.language if companies else Language.EN
    top = _top(language, notice)
    for per_status in range(PER_STATUS, -1, -1):
        blocks = _blocks(top, companies, per_status, now, language, zone)
        if len(blocks) <= MAX_BLOCKS:
            return {"type": "home", "blocks": blocks}
    return {"type": "home", "blocks": _cut_companies(top, companies, now, language, zone)}


def _top(language: Language, notice: str | None) -> list[Block]:
    blocks: list[Block] = [
        header("paybot"),
        {
            "type": "actions",
            "block_id": "home",
            "elements": [button(REFRESH(language), Act.HOME_REFRESH, "home")],
        },
    ]
    if notice:
        blocks.append(context(notice))
    return blocks


def _blocks(
    top: list[Block],
    companies: Sequence[CompanyHome],
    per_status: int,
    now: datetime,
    language: Language,
    zone: ZoneInfo,
) -> list[Block]:
    blocks = list(top)
    if not companies:
        blocks.append(section(NO_ROLE(language)))
    today = now.astimezone(zone).date()
    for home in companies:
        blocks += _company(home, per_status, zone, today)
    blocks.append(context(UPDATED(language, at=moment(now, language, zone))))
    return blocks


def _cut_companies(
    top: list[Block],
    companies: Sequence[CompanyHome],
    now: datetime,
    language: Language,
    zone: ZoneInfo,
) -> list[Block]:
    """Companies with counts only, as many as fit; the rest named by number."""
    blocks = list(top)
    reserved = 2  # the "more companies" note and the last line
    shown = 0
    for home in companies:
        more = _company(home, 0, zone, None)
        if len(blocks) + len(more) + reserved > MAX_BLOCKS:
            break
        blocks += more
        shown += 1
    blocks.append(context(MORE_COMPANIES(language, count=len(companies) - shown)))
    blocks.append(context(UPDATED(language, at=moment(now, language, zone))))
    return blocks


def _company(home: CompanyHome, per_status: int, zone: ZoneInfo, today: date | None) -> list[Block]:
    language = home.company.language
    about = "\n".join(person_lines(home.roles, home.me, language))
    counts = " · ".join(
        f"{STATUSES[status](language)}: *{home.counts.get(status, 0)}*" for status in SHOWN
    )
    blocks: list[Block] = [
        divider(),
        section(f"*{escape(home.company.name)}* ({home.company.org_no})\n{about}"),
        section(counts),
    ]
    if per_status == 0:
        if any(home.counts.get(status) for status in SHOWN) or home.incoming_count:
            blocks.append(context(TOO_MANY(language)))
        return blocks
    # Paid payments offer Post to the people who may post them.
    may_post = not POSTING_ROLES.isdisjoint(home.roles)
    for status in SHOWN:
        count = home.counts.get(status, 0)
        listed = home.lists.get(status, [])[:per_status]
        if not count or not listed:
            continue
        blocks.append(section(f"*{STATUSES[status](language)}* ({count})"))
        blocks += payment_entries(
            listed,
            home.steps,
            language,
            zone=zone,
            today=today,
            may_post=may_post,
            approval_required=home.company.approval_required,
        )
        if count > len(listed):
            blocks.append(
                context(AND_MORE(language, count=count - len(listed), status=status.value))
            )
    if may_post:
        blocks += home_entries(home.incoming_count, home.incoming, language, per_status)
    return blocks
