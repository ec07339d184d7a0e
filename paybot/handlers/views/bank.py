"""What `/bank` answers: help, counts per status, search results with paging, the search modal
and its results, and roles and limits."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from paybot.core.company import CompanyInfo, Language
from paybot.core.errors import PaybotError, UnknownSearchField
from paybot.core.payments import PaymentView
from paybot.core.policy import Role
from paybot.core.search_query import DIRECTION, SEARCH_FIELDS
from paybot.core.states import PaymentStatus
from paybot.handlers.ids import Block as BlockId
from paybot.handlers.ids import View
from paybot.handlers.views.blocks import (
    Block,
    context,
    divider,
    escape,
    header,
    section,
)
from paybot.handlers.views.cards import payment_line, payment_text
from paybot.handlers.views.home import CODES, ROLES, limit_text, person_lines
from paybot.handlers.views.i18n import STATUSES, Phrase
from paybot.services.people import Member

PAGE = 20  # results per answer: well under 50 blocks and 3000 characters a section
MAX_VIEW_BLOCKS = 100
MAX_MEMBERS = 20  # people listed to an admin per company: a section holds 3000 characters

HELP = Phrase(
    "*/bank* — find and follow payments\n"
    "• `/bank` — a search form\n"
    "• `/bank search QUERY` — terms like `company:acme amount:>1000 status:failed,processing "
    "due:2026-12-01..2026-12-31 to:1234.56.78903 currency:EUR` or plain words; add `page:2` "
    "for more\n"
    "• `/bank search direction:in status:unmatched` — incoming payments (`direction:out`, "
    "the default: payments out)\n"
    "• `/bank status` — how many payments are in each state\n"
    "• `/bank enroll [ORGNO]` — set up your authenticator app for signing\n"
    "• `/bank limits` — your roles and signing limits; admins: "
    "`/bank limits U0123ABC per-payment 50000 per-day 200000 [ORGNO]` (`none`: no limit) or "
    "`/bank limits set` for a form\n"
    "• `/bank help` — this text\n"
    "Search fields: {fields}.",
    "*/bank* — finn og følg betalinger\n"
    "• `/bank` — et søkeskjema\n"
    "• `/bank search SØK` — ord som `mottaker:acme beløp:>1000 status:feil,behandler "
    "forfall:2026-12-01..2026-12-31 konto:1234.56.78903 valuta:EUR` eller fritekst; legg til "
    "`page:2` for flere\n"
    "• `/bank search retning:inn status:unmatched` — innbetalinger (`retning:ut`, "
    "standard: utbetalinger)\n"
    "• `/bank status` — hvor mange betalinger som er i hver status\n"
    "• `/bank enroll [ORGNR]` — sett opp autentiseringsappen din for signering\n"
    "• `/bank limits` — dine roller og signeringsgrenser; administratorer: "
    "`/bank limits U0123ABC per-payment 50000 per-day 200000 [ORGNR]` (`none`: ingen grense) "
    "eller `/bank limits set` for et skjema\n"
    "• `/bank help` — denne teksten\n"
    "Søkefelt: {fields}.",
)
HOW_TO = Phrase("How to use /bank", "Slik bruker du /bank")
# The search fields' Norwegian names as `/bank` shows them (core.search_query.FIELD_ALIASES
# takes these and a few more), each with its English name beside.
FIELD_NAMES_NB = {
    "to": "til",
    "company": "mottaker",
    "amount": "beløp",
    "due": "forfall",
    "status": "status",
    "currency": "valuta",
    "page": "side",
    DIRECTION: "retning",
}
NO_FIELD = Phrase(
    "{message}",
    "«{typed}» er ikke et søkefelt. Søkefeltene er {fields}. Et KID, et fakturanummer eller en "
    "del av et navn finner du som vanlig ord, uten felt; sett ordet i anførselstegn for å søke "
    "etter det som tekst.",
)
NO_ROLE = Phrase(
    "You have no role in any company in paybot yet; ask an admin.",
    "Du har ingen rolle i noe selskap i paybot ennå; spør en administrator.",
)
UNKNOWN = Phrase("`/bank {word}` is not something I know. ", "`/bank {word}` kjenner jeg ikke. ")
PER_STATUS = Phrase("Payments per status", "Betalinger per status")
MATCH = Phrase("{count} payment(s) match `{query}`", "{count} betaling(er) passer `{query}`")
EVERYTHING = Phrase("everything", "alt")
NO_PAGE = Phrase("{title}; there is no page {page}.", "{title}; det finnes ingen side {page}.")
PAGES = Phrase("Page {page} of {pages}.", "Side {page} av {pages}.")
NEXT_PAGE = Phrase(" Add `page:{page}` for more.", " Legg til `page:{page}` for flere.")

SEARCH = Phrase("Search payments", "Søk i betalinger")
FIND = Phrase("Search", "Søk")
CLOSE = Phrase("Close", "Lukk")
TO_ACCOUNT = Phrase("To account", "Til konto")
TO_HINT = Phrase("An account number like 1234.56.78903, or an IBAN", "Kontonummer eller IBAN")
PAYEE = Phrase("Company (payee)", "Selskap (mottaker)")
PAYEE_HINT = Phrase("Part of the payee's name", "Del av mottakerens navn")
AMOUNT = Phrase("Amount", "Beløp")
AMOUNT_HINT = Phrase("1250, >1000, <500 or 100..500", "1250, >1000, <500 eller 100..500")
DUE_FROM = Phrase("Due from", "Forfall fra")
DUE_TO = Phrase("Due until", "Forfall til")
STATUS = Phrase("Status", "Status")
CURRENCY = Phrase("Currency", "Valuta")
CURRENCY_HINT = Phrase("NOK, or EUR,USD", "NOK, eller EUR,USD")
ANY = Phrase("Any", "Alle")
RESULTS = Phrase("Found", "Funnet")
SAME_AS = Phrase("The same as `/bank search {query}`.", "Det samme som `/bank search {query}`.")
NOTHING = Phrase("No payment matches.", "Ingen betaling passer.")
MORE = Phrase(
    "…and {count} more. Narrow the search (amount, due dates, status), or page through them "
    "all with `/bank search {query}`.",
    "…og {count} til. Snevre inn søket (beløp, forfall, status), eller bla gjennom alle med "
    "`/bank search {query}`.",
)

LIMITS_TITLE = Phrase("Your roles and limits", "Dine roller og grenser")
PEOPLE = Phrase("People in {company}:", "Personer i {company}:")
MORE_PEOPLE = Phrase("…and {count} more.", "…og {count} til.")
SET_HOW = Phrase(
    "As an admin you set someone's limits with "
    "`/bank limits U0123ABC per-payment 50000 per-day 200000` (`none` removes a limit; add the "
    "organisation number if you are an admin of several companies), or with a form: "
    "`/bank limits set`.",
    "Som administrator setter du grensene til en person med "
    "`/bank limits U0123ABC per-payment 50000 per-day 200000` (`none` fjerner en grense; legg "
    "til organisasjonsnummeret om du er administrator i flere selskaper), eller med et skjema: "
    "`/bank limits set`.",
)
NAME_PERSON = Phrase(
    "Name the person first: `/bank limits U0123ABC per-payment 50000 per-day 200000`.",
    "Si hvem først: `/bank limits U0123ABC per-payment 50000 per-day 200000`.",
)
NAME_AS_TEXT = Phrase(
    "Slack sends `{name}` to paybot as plain text, not as a person. Use their member ID (profile → "
    "⋮ → Copy member ID), e.g. `/bank limits U0123ABC per-day 200000`, or the form: "
    "`/bank limits set`.",
    "Slack sender `{name}` til paybot som ren tekst, ikke som en person. Bruk medlems-IDen "
    "(profil → ⋮ → Kopier medlems-ID), f.eks. `/bank limits U0123ABC per-day 200000`, eller "
    "skjemaet: `/bank limits set`.",
)
NOT_A_WORD = Phrase(
    "`{word}` is not something I know here; say `per-payment` or `per-day`.",
    "`{word}` forstår jeg ikke her; skriv `per-payment` eller `per-day`.",
)
GIVE_LIMITS = Phrase(
    "Give `per-payment N` and/or `per-day N` (`none` removes a limit).",
    "Oppgi `per-payment N` og/eller `per-day N` (`none` fjerner en grense).",
)
BAD_LIMIT = Phrase("{name}: {problem}", "{name}: {problem}")
NOT_ADMIN = Phrase(
    "Only an admin of the company may set signing limits.",
    "Bare en administrator i selskapet kan sette signeringsgrenser.",
)
NOT_ADMIN_OF = Phrase(
    "You are not an admin of a company with organisation number {org_no}.",
    "Du er ikke administrator i et selskap med organisasjonsnummer {org_no}.",
)
WHICH_COMPANY = Phrase(
    "Say which company: add `company ORGNO` — one of {choices}.",
    "Si hvilket selskap: legg til `company ORGNR` — ett av {choices}.",
)
LIMITS_SET = Phrase(
    "Signing limits of <@{user}> in {company} are now {per_payment} per payment and "
    "{per_day} per day.",
    "Signeringsgrensene til <@{user}> i {company} er nå {per_payment} per betaling og "
    "{per_day} per dag.",
)


def language_of(companies: Sequence[CompanyInfo]) -> Language:
    """The language of the person's first company (English when they have none)."""
    return companies[0].language if companies else Language.EN


def answer(text: str, blocks: Sequence[Block] | None = None) -> dict[str, Any]:
    """An ephemeral answer to the person who typed the command."""
    return {
        "response_type": "ephemeral",
        "text": text,
        "blocks": list(blocks or [section(text)]),
    }


def help_answer(language: Language = Language.EN) -> dict[str, Any]:
    return answer(HOW_TO(language), [section(HELP(language, fields=search_fields(language)))])


def search_fields(language: Language, *, direction: bool = False) -> str:
    """The search fields as `/bank` lists them: in Norwegian with the English name beside
    ("beløp (amount)"), which a query takes too; `direction` last where asked for."""
    fields = [*SEARCH_FIELDS, DIRECTION] if direction else list(SEARCH_FIELDS)
    if language is not Language.NB:
        return ", ".join(fields)
    names = [
        field if FIELD_NAMES_NB[field] == field else f"{FIELD_NAMES_NB[field]} ({field})"
        for field in fields
    ]
    return ", ".join(names) if not direction else f"{', '.join(names[:-1])} og {names[-1]}"


def refusal_answer(error: PaybotError, language: Language) -> dict[str, Any]:
    """A refused `/bank` request, answered: a search term whose word is no field in the
    person's language, listing the fields; anything else as the service said it."""
    if isinstance(error, UnknownSearchField):
        fields = search_fields(language, direction=True)
        text = NO_FIELD(
            language, message=error.user_message, typed=escape(error.typed), fields=fields
        )
        return answer(text)
    return answer(error.user_message)


def no_role(language: Language = Language.EN) -> dict[str, Any]:
    return answer(NO_ROLE(language))


def unknown(word: str, language: Language) -> dict[str, Any]:
    text = UNKNOWN(language, word=escape(word)) + HELP(language, fields=search_fields(language))
    return answer(text)


def status_answer(
    counts: Sequence[tuple[str, dict[PaymentStatus, int]]], language: Language = Language.EN
) -> dict[str, Any]:
    blocks: list[Block] = [header(PER_STATUS(language))]
    for company, per_status in counts:
        lines = [f"{STATUSES[s](language)}: *{per_status.get(s, 0)}*" for s in PaymentStatus]
        blocks.append(section(f"*{escape(company)}*\n" + " · ".join(lines)))
    if len(blocks) == 1:
        return no_role(language)
    return answer(PER_STATUS(language), blocks)


def search_answer(
    query: str,
    shown: Sequence[PaymentView],
    total: int,
    page: int,
    language: Language = Language.EN,
) -> dict[str, Any]:
    """One page (`shown`) of the `total` payments that match."""
    title = MATCH(language, count=total, query=escape(query) or EVERYTHING(language))
    if not shown:
        return answer(title if not total else NO_PAGE(language, title=title, page=page))
    blocks: list[Block] = [section(title), divider()]
    blocks.append(section("\n".join(payment_line(payment, language) for payment in shown)))
    pages = (total + PAGE - 1) // PAGE
    if pages > 1:
        more = NEXT_PAGE(language, page=page + 1) if page < pages else ""
        blocks.append(context(PAGES(language, page=page, pages=pages) + more))
    return answer(title, blocks)


def _text_input(
    block_id: BlockId, label: str, hint: str | None = None, *, initial: str | None = None
) -> Block:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": block_id.value}
    if initial:
        element["initial_value"] = initial
    block: Block = {
        "type": "input",
        "block_id": block_id.value,
        "optional": True,
        "label": {"type": "plain_text", "text": label},
        "element": element,
    }
    if hint:
        block["hint"] = {"type": "plain_text", "text": hint}
    return block


def _date_input(block_id: BlockId, label: str) -> Block:
    return {
        "type": "input",
        "block_id": block_id.value,
        "optional": True,
        "label": {"type": "plain_text", "text": label},
        "element": {"type": "datepicker", "action_id": block_id.value},
    }


def search_modal(language: Language) -> dict[str, Any]:
    """The search form: the seed's fields; every one optional (none: everything)."""
    statuses = [
        {"text": {"type": "plain_text", "text": STATUSES[s](language)}, "value": s.value}
        for s in PaymentStatus
    ]
    return {
        "type": "modal",
        "callback_id": View.SEARCH.value,
        "title": {"type": "plain_text", "text": SEARCH(language)},
        "submit": {"type": "plain_text", "text": FIND(language)},
        "close": {"type": "plain_text", "text": CLOSE(language)},
        "blocks": [
            _text_input(BlockId.SEARCH_TO, TO_ACCOUNT(language), TO_HINT(language)),
            _text_input(BlockId.SEARCH_COMPANY, PAYEE(language), PAYEE_HINT(language)),
            _text_input(BlockId.SEARCH_AMOUNT, AMOUNT(language), AMOUNT_HINT(language)),
            _date_input(BlockId.SEARCH_DUE, DUE_FROM(language)),
            _date_input(BlockId.SEARCH_DUE_TO, DUE_TO(language)),
            {
                "type": "input",
                "block_id": BlockId.SEARCH_STATUS.value,
                "optional": True,
                "label": {"type": "plain_text", "text": STATUS(language)},
                "element": {
                    "type": "multi_static_select",
                    "action_id": BlockId.SEARCH_STATUS.value,
                    "placeholder": {"type": "plain_text", "text": ANY(language)},
                    "options": statuses,
                },
            },
            _text_input(BlockId.SEARCH_CURRENCY, CURRENCY(language), CURRENCY_HINT(language)),
        ],
    }


def notice_modal(callback_id: View, title: str, text: str, language: Language) -> dict[str, Any]:
    """A modal that only tells something (no submit button)."""
    return {
        "type": "modal",
        "callback_id": callback_id.value,
        "title": {"type": "plain_text", "text": title[:24]},
        "close": {"type": "plain_text", "text": CLOSE(language)},
        "blocks": [section(text)],
    }


@dataclass(frozen=True)
class Found:
    """The payments of one company that matched."""

    company: CompanyInfo
    payments: Sequence[PaymentView]  # as many as can be shown
    total: int  # how many matched


def search_results(query: str, found: Sequence[Found], language: Language) -> dict[str, Any]:
    """The modal after a search: as many payments as fit in 100 blocks, then how to narrow."""
    total = sum(group.total for group in found)
    blocks: list[Block] = [
        section(f"*{MATCH(language, count=total, query=escape(query) or EVERYTHING(language))}*"),
        context(SAME_AS(language, query=escape(query))),
        divider(),
    ]
    if not total:
        blocks.append(section(NOTHING(language)))
    several = sum(1 for group in found if group.payments) > 1
    room = MAX_VIEW_BLOCKS - len(blocks) - 1  # the last block says how many more
    shown = 0
    for group in found:
        if not group.payments or room <= int(several):
            continue
        if several:
            blocks.append(section(f"*{escape(group.company.name)}*"))
            room -= 1
        for payment in group.payments[:room]:
            blocks.append(section(payment_text(payment, group.company.language)))
            shown += 1
        room -= min(room, len(group.payments))
    if shown < total:
        blocks.append(context(MORE(language, count=total - shown, query=escape(query))))
    return {
        "type": "modal",
        "callback_id": View.SEARCH.value,
        "title": {"type": "plain_text", "text": RESULTS(language)},
        "close": {"type": "plain_text", "text": CLOSE(language)},
        "blocks": blocks,
    }


@dataclass(frozen=True)
class CompanyLimits:
    """One company in `/bank limits`: the person's own entry, and everyone's for an admin."""

    company: CompanyInfo
    roles: tuple[Role, ...]
    me: Member | None
    members: Sequence[Member] = ()  # only for an admin of the company


def limits_answer(companies: Sequence[CompanyLimits]) -> dict[str, Any]:
    language = language_of([c.company for c in companies])
    blocks: list[Block] = [header(LIMITS_TITLE(language))]
    for entry in companies:
        company, lang = entry.company, entry.company.language
        lines = person_lines(entry.roles, entry.me, lang)
        blocks.append(section(f"*{escape(company.name)}* ({company.org_no})\n" + "\n".join(lines)))
        if entry.members:
            people = [_member_line(m, lang) for m in entry.members[:MAX_MEMBERS]]
            if len(entry.members) > MAX_MEMBERS:
                people.append(MORE_PEOPLE(lang, count=len(entry.members) - MAX_MEMBERS))
            blocks.append(
                section(PEOPLE(lang, company=escape(company.name)) + "\n" + "\n".join(people))
            )
    if any(entry.members for entry in companies):
        blocks.append(context(SET_HOW(language)))
    return answer(LIMITS_TITLE(language), blocks)


def _member_line(member: Member, language: Language) -> str:
    roles = ", ".join(ROLES[role](language) for role in member.roles)
    per_payment = limit_text(member.limits.per_payment, member.currency, language)
    per_day = limit_text(member.limits.per_day, member.currency, language)
    code = CODES.get(member.code, CODES["none"])(language).split(" — ")[0]
    return f"• <@{member.slack_user_id}>: {roles} · {per_payment} / {per_day} · {code}"


def limits_set(member: Member, company: CompanyInfo) -> dict[str, Any]:
    language = company.language
    text = LIMITS_SET(
        language,
        user=member.slack_user_id,
        company=escape(company.name),
        per_payment=limit_text(member.limits.per_payment, member.currency, language),
        per_day=limit_text(member.limits.per_day, member.currency, language),
    )
    return answer(text)


LIMITS_FORM = Phrase("Signing limits", "Signeringsgrenser")
SAVE = Phrase("Save", "Lagre")
PERSON = Phrase("Person", "Person")
MOST_PER_PAYMENT = Phrase("Most per payment", "Høyst per betaling")
MOST_PER_DAY = Phrase("Most per day", "Høyst per dag")
LIMIT_HINT = Phrase(
    "In the company's currency. Empty: as it is; none: no limit.",
    "I selskapets valuta. Tomt: som nå; none: ingen grense.",
)


def limits_modal(language: Language, org_no: str = "") -> dict[str, Any]:
    """An admin's form for another person's signing limits."""
    return {
        "type": "modal",
        "callback_id": View.LIMITS.value,
        "private_metadata": json.dumps({"org_no": org_no, "language": language.value}),
        "title": {"type": "plain_text", "text": LIMITS_FORM(language)},
        "submit": {"type": "plain_text", "text": SAVE(language)},
        "close": {"type": "plain_text", "text": CLOSE(language)},
        "blocks": [
            {
                "type": "input",
                "block_id": BlockId.LIMIT_USER.value,
                "label": {"type": "plain_text", "text": PERSON(language)},
                "element": {"type": "users_select", "action_id": BlockId.LIMIT_USER.value},
            },
            _text_input(
                BlockId.LIMIT_PER_PAYMENT, MOST_PER_PAYMENT(language), LIMIT_HINT(language)
            ),
            _text_input(BlockId.LIMIT_PER_DAY, MOST_PER_DAY(language), LIMIT_HINT(language)),
        ],
    }
