"""Incoming payments in Slack: the daily summary in the alerts channel (counts and sums, and each
unmatched payment with "Post to account" and "Match to invoice"; one posted or matched by hand
since with "Undo" beside what became of it, behind Slack's confirm dialog), the two modals, the
Home tab's entries and `/bank search direction:in`'s answer. Pure builders, within Slack's
limits."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from paybot.core.company import CompanyInfo, Language
from paybot.core.incoming_match import Unmatched
from paybot.core.money import format_money
from paybot.core.posting import VoucherRef
from paybot.handlers.ids import Act, View
from paybot.handlers.ids import Block as BlockId
from paybot.handlers.views.blocks import Block, context, escape, header, section
from paybot.handlers.views.cards import button
from paybot.handlers.views.i18n import Phrase, day
from paybot.services.incoming import IncomingStatus, IncomingView
from paybot.services.incoming_summary import Line, Summary

# Slack refuses a message of more than 50 blocks, or of about 13k characters of blocks JSON.
MAX_BLOCKS = 50
MAX_BLOCKS_JSON = 13_000
TEXT_LENGTH = 200  # the text of a hand posting (services.incoming.TEXT_LENGTH)
SEARCH_UNMATCHED = "/bank search direction:in status:unmatched"
PAGE = 10  # incoming payments per search answer: two blocks each, buttons included

TITLE = Phrase("Incoming payments {day}", "Innbetalinger {day}")
GROUPS = {
    "matched": Phrase("Matched and posted", "Avstemt og bokført"),
    "partial": Phrase("Partly paid", "Delvis betalt"),
    "overpaid": Phrase("Overpaid", "Overbetalt"),
    "unmatched": Phrase("Unmatched", "Uten treff"),
}
CAME = Phrase(
    "Came in since {since}:", "Kommet inn siden {since}:"
)  # fmt: skip
WAITING = Phrase(
    "*Unmatched — post or match them ({count}):*", "*Uten treff — bokfør eller knytt ({count}):*"
)
AND_MORE = Phrase(
    "and {count} more — `{search}`", "og {count} til — `{search}`"
)  # fmt: skip
POST = Phrase("Post to account", "Bokfør på konto")
MATCH = Phrase("Match to invoice", "Knytt til faktura")
FROM = Phrase("from {payer}", "fra {payer}")
NO_PAYER = Phrase("payer not given", "betaler ikke oppgitt")
POSTED_TO = Phrase("📒 Posted to {account} by {who}", "📒 Bokført på {account} av {who}")
MATCHED_TO = Phrase(
    "📒 Matched to invoice {invoice} by {who} ({status})",
    "📒 Knyttet til faktura {invoice} av {who} ({status})",
)
MATCHED_BY_KID = Phrase(
    "📒 Matched by KID to invoice {invoice} ({status})",
    "📒 Avstemt med KID mot faktura {invoice} ({status})",
)
DELETED = Phrase("🗑️ Deleted by {who}: {reason}", "🗑️ Slettet av {who}: {reason}")
REVERSED = Phrase("↩️ Taken back by the bank", "↩️ Tilbakeført av banken")
STATUS = {
    IncomingStatus.MATCHED: Phrase("matched", "avstemt"),
    IncomingStatus.SETTLED: Phrase("settled, rounding", "avstemt, øreavrunding"),
    IncomingStatus.PARTIAL: Phrase("partly paid", "delvis betalt"),
    IncomingStatus.OVERPAID: Phrase("overpaid", "overbetalt"),
}
UNDO = Phrase("Undo", "Angre")
UNDO_TITLE = Phrase("Undo this?", "Angre dette?")
CONFIRM_UNDO_POST = Phrase(
    "Undo the posting of {amount} (#{id}) to {account}? A reversing voucher is posted today, "
    "and the payment is unmatched again, to be handled anew.",
    "Angre bokføringen av {amount} (#{id}) på {account}? Et motbilag bokføres i dag, og "
    "innbetalingen er uten treff igjen, til ny behandling.",
)
CONFIRM_UNDO_MATCH = Phrase(
    "Undo the match of {amount} (#{id}) to invoice {invoice}? A reversing voucher is posted "
    "today, the invoice is open again, and the payment is unmatched again, to be handled anew.",
    "Angre koblingen av {amount} (#{id}) til faktura {invoice}? Et motbilag bokføres i dag, "
    "fakturaen er åpen igjen, og innbetalingen er uten treff igjen, til ny behandling.",
)
UNDONE = Phrase(
    "Undone: voucher {voucher} is reversed by voucher {reversal}; #{id} is unmatched again.",
    "Angret: bilag {voucher} er tilbakeført med bilag {reversal}; #{id} er uten treff igjen.",
)
SOMEONE = Phrase("someone", "noen")
HOME_TITLE = Phrase(
    "*Incoming payments to handle* ({count})", "*Innbetalinger å behandle* ({count})"
)

POST_TITLE = Phrase("Post to account", "Bokfør på konto")
MATCH_TITLE = Phrase("Match to invoice", "Knytt til faktura")
SUBMIT_POST = Phrase("Post", "Bokfør")
SUBMIT_MATCH = Phrase("Match", "Knytt")
CLOSE = Phrase("Cancel", "Avbryt")
GL_ACCOUNT = Phrase("GL account", "Hovedbokskonto")
GL_HINT = Phrase("3 to 10 digits, e.g. 3900", "3 til 10 siffer, f.eks. 3900")
TEXT = Phrase("Text", "Tekst")
TEXT_HINT = Phrase("On the voucher, e.g. Refund from NAV", "På bilaget, f.eks. Refusjon fra NAV")
UNMATCHED_REASONS = {
    Unmatched.NO_KID.value: Phrase("no KID", "uten KID"),
    Unmatched.INVALID_KID.value: Phrase(
        "the KID has a wrong check digit", "KID-en har feil kontrollsiffer"
    ),
    Unmatched.UNKNOWN_KID.value: Phrase(
        "no invoice has this KID", "ingen faktura har denne KID-en"
    ),
    Unmatched.CURRENCY.value: Phrase(
        "paid in another currency than the invoice", "betalt i en annen valuta enn fakturaen"
    ),
    Unmatched.AMBIGUOUS.value: Phrase(
        "several invoices have this KID and the amount picks none",
        "flere fakturaer har denne KID-en, og beløpet peker ikke ut én",
    ),
    Unmatched.NOTHING_PAID.value: Phrase("nothing paid (zero)", "ingenting betalt (null)"),
}
CUSTOMER = Phrase("Customer", "Kunde")  # Slack adds "(optional)" itself
INVOICE = Phrase("Invoice number", "Fakturanummer")
INVOICE_HINT = Phrase(
    "A customer invoice of the company, e.g. F-1234", "En kundefaktura i selskapet, f.eks. F-1234"
)

FOUND = Phrase(
    "{count} incoming payment(s) match `{query}`", "{count} innbetaling(er) passer `{query}`"
)
NOTHING = Phrase("No incoming payment matches `{query}`.", "Ingen innbetaling passer `{query}`.")
PAGES = Phrase(
    "Page {page} of {pages}. Add `page:{next}` for more.",
    "Side {page} av {pages}. Legg til `page:{next}` for flere.",
)


def value_of(line: Line) -> str:
    """What the two buttons carry: the payment and the version shown (compared, never trusted)."""
    payment = line.payment
    return f"{payment.company_org_no}:{payment.id}:{payment.version}"


def payment_text(line: Line, language: Language) -> str:
    """ "*NOK 250.00* from Kari Nordmann · KID 123 · 23 Nov 2026 · why it matched nothing"."""
    payment = line.payment
    payer = FROM(language, payer=escape(payment.payer)) if payment.payer else NO_PAYER(language)
    parts = [f"*{format_money(payment.amount, payment.currency, language)}* {payer}"]
    if payment.kid:
        parts.append(f"KID {escape(payment.kid)}")
    parts.append(day(payment.payment_date, language))
    why = _why(payment, language)
    if why:
        parts.append(why)
    elif payment.message:
        parts.append(escape(payment.message[:200]))
    return f"#{payment.id} " + " · ".join(parts)


def _why(payment: IncomingView, language: Language) -> str | None:
    """Why an unmatched payment matched nothing, in the company's language; otherwise what the
    ingest noted (a reversal's original, a hand match), which the store keeps in English."""
    if payment.status is IncomingStatus.UNMATCHED and payment.reason in UNMATCHED_REASONS:
        return UNMATCHED_REASONS[payment.reason](language)
    if payment.detail and language is Language.EN:
        return escape(payment.detail)
    return None


def fate(line: Line, language: Language) -> str | None:
    """What became of a payment handled since it was listed; None while it waits."""
    payment = line.payment
    who = (
        f"<@{line.handled_by}>" if line.handled_by else (line.handled_by_name or SOMEONE(language))
    )
    voucher = f" ({payment.voucher})" if payment.voucher else ""
    status = payment.status
    if status is IncomingStatus.UNMATCHED:
        return None
    if status is IncomingStatus.POSTED:
        return POSTED_TO(language, account=line.account or "?", who=who) + voucher
    if status is IncomingStatus.DELETED:
        return DELETED(language, who=who, reason=escape(payment.delete_reason or ""))
    if status is IncomingStatus.REVERSED:
        return REVERSED(language)
    phrase = STATUS[status](language)
    invoice = escape(payment.invoice_no or "?")
    if not line.handled_by and not line.handled_by_name:  # by paybot, as the file came in
        return MATCHED_BY_KID(language, invoice=invoice, status=phrase) + voucher
    return MATCHED_TO(language, invoice=invoice, who=who, status=phrase) + voucher


def by_hand(line: Line) -> bool:
    """Posted or matched by hand, and standing: what "Undo" takes back (a match by KID, made
    as the file came in, is no one's hand step)."""
    status = line.payment.status
    if status is IncomingStatus.POSTED:
        return True
    return status in STATUS and bool(line.handled_by or line.handled_by_name)


def entry(line: Line, language: Language) -> list[Block]:
    """Two blocks a payment: what it is, then its buttons (or what became of it; with "Undo"
    beside it where a person posted or matched it by hand)."""
    said = fate(line, language)
    if said is not None and by_hand(line):
        undo = section(said)
        undo["accessory"] = button(
            UNDO(language), Act.INCOMING_UNDO, value_of(line), confirm=undo_confirm(line, language)
        )
        return [section(payment_text(line, language)), undo]
    if said is not None:
        return [section(payment_text(line, language)), context(said)]
    value = value_of(line)
    return [
        section(payment_text(line, language)),
        {
            "type": "actions",
            "block_id": f"incoming:{line.payment.id}",
            "elements": [
                button(POST(language), Act.INCOMING_POST, value, style="primary"),
                button(MATCH(language), Act.INCOMING_MATCH, value),
            ],
        },
    ]


def undo_confirm(line: Line, language: Language) -> dict[str, Any]:
    """The confirm dialog on "Undo": what is taken back, and what follows."""
    payment = line.payment
    fields = {
        "amount": format_money(payment.amount, payment.currency, language),
        "id": payment.id,
        "account": line.account or "?",
        "invoice": payment.invoice_no or "?",
    }
    text = CONFIRM_UNDO_POST if payment.status is IncomingStatus.POSTED else CONFIRM_UNDO_MATCH
    return {
        "title": {"type": "plain_text", "text": UNDO_TITLE(language)},
        "text": {"type": "plain_text", "text": text(language, **fields)[:300]},
        "confirm": {"type": "plain_text", "text": UNDO(language)},
        "deny": {"type": "plain_text", "text": CLOSE(language)},
        "style": "danger",
    }


def undone_text(
    payment_id: int, voucher: VoucherRef, reversal: VoucherRef, language: Language
) -> str:
    """What the person who clicked "Undo" is told where no summary shows it."""
    return UNDONE(language, voucher=voucher, reversal=reversal, id=payment_id)


def _sums(sums: dict[str, Decimal], language: Language) -> str:
    return ", ".join(format_money(amount, currency, language) for currency, amount in sums.items())


def summary_message(
    company: CompanyInfo, summary: Summary, lines: Sequence[Line], language: Language
) -> dict[str, Any]:
    """The daily summary: counts and sums per group, then every unmatched payment with its
    buttons, as many as fit in one message; the rest counted, with the search that lists them."""
    title = TITLE(language, day=day(summary.day, language))
    counted = [
        f"• {GROUPS[group](language)}: *{count}*"
        + (f" — {_sums(summary.sums[group], language)}" if count else "")
        for group, count in summary.counts.items()
    ]
    since = day(summary.since.date(), language)
    blocks: list[Block] = [
        header(f"{title} — {company.name}"),
        section(CAME(language, since=since) + "\n" + "\n".join(counted)),
    ]
    if lines:
        blocks.append(section(WAITING(language, count=len(lines))))
    size = len(json.dumps(blocks))
    # Room kept for the "and N more" line.
    reserve = len(
        json.dumps(context(AND_MORE(language, count=len(lines), search=SEARCH_UNMATCHED)))
    )
    shown = 0
    for line in lines:
        more = entry(line, language)
        grown = size + sum(len(json.dumps(b)) + 2 for b in more)
        if len(blocks) + len(more) + 1 > MAX_BLOCKS or grown + reserve > MAX_BLOCKS_JSON:
            break
        blocks += more
        size = grown
        shown += 1
    if shown < len(lines):
        left = len(lines) - shown
        blocks.append(context(AND_MORE(language, count=left, search=SEARCH_UNMATCHED)))
    text = f"{title}: " + ", ".join(
        f"{GROUPS[group](language).lower()} {count}" for group, count in summary.counts.items()
    )
    return {"text": text, "blocks": blocks}


def home_entries(
    count: int, lines: Sequence[Line], language: Language, per_status: int
) -> list[Block]:
    """The Home tab's unmatched payments: a title, the first `per_status`, "and N more"."""
    if not count:
        return []
    listed = list(lines)[:per_status]
    blocks: list[Block] = [section(HOME_TITLE(language, count=count))]
    for line in listed:
        blocks += entry(line, language)
    if count > len(listed):
        blocks.append(
            context(AND_MORE(language, count=count - len(listed), search=SEARCH_UNMATCHED))
        )
    return blocks


# --- modals -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Meta:
    """A modal's private_metadata: the payment, its version shown, and where it was opened."""

    org_no: str
    payment_id: int
    version: int
    language: Language
    channel: str | None = None
    ts: str | None = None
    home: bool = False

    def dump(self) -> str:
        data: dict[str, Any] = {
            "org": self.org_no,
            "id": self.payment_id,
            "v": self.version,
            "lang": self.language.value,
        }
        if self.home:
            data["home"] = True
        elif self.channel:
            data |= {"channel": self.channel, "ts": self.ts}
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def load(cls, text: str) -> Meta | None:
        try:
            data = json.loads(text or "{}")
            return cls(
                org_no=str(data["org"]),
                payment_id=int(data["id"]),
                version=int(data["v"]),
                language=Language(data.get("lang") or Language.EN.value),
                channel=data.get("channel"),
                ts=data.get("ts"),
                home=bool(data.get("home")),
            )
        except (ValueError, TypeError, KeyError, AttributeError):
            return None


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:24] if len(text) > 24 else text}


def _input(
    block: BlockId, label: str, hint: str, *, max_length: int, optional: bool = False
) -> Block:
    return {
        "type": "input",
        "block_id": block.value,
        "optional": optional,
        "label": {"type": "plain_text", "text": label},
        "hint": {"type": "plain_text", "text": hint},
        "element": {
            "type": "plain_text_input",
            "action_id": block.value,
            "max_length": max_length,
        },
    }


def _modal(
    callback: View, title: str, submit: str, meta: Meta, blocks: list[Block]
) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback.value,
        "private_metadata": meta.dump(),
        "title": _plain(title),
        "submit": _plain(submit),
        "close": _plain(CLOSE(meta.language)),
        "blocks": blocks,
    }


def post_modal(line: Line, meta: Meta) -> dict[str, Any]:
    """GL account, text and an optional customer, for `incoming.post_by_hand`."""
    language = meta.language
    return _modal(
        View.INCOMING_POST,
        POST_TITLE(language),
        SUBMIT_POST(language),
        meta,
        [
            section(payment_text(line, language)),
            _input(BlockId.GL_ACCOUNT, GL_ACCOUNT(language), GL_HINT(language), max_length=10),
            _input(BlockId.POST_TEXT, TEXT(language), TEXT_HINT(language), max_length=TEXT_LENGTH),
            _input(
                BlockId.CUSTOMER,
                CUSTOMER(language),
                CUSTOMER(language),
                max_length=TEXT_LENGTH,
                optional=True,
            ),
        ],
    )


def match_modal(line: Line, meta: Meta) -> dict[str, Any]:
    """The invoice number, for `incoming.match_by_hand`."""
    language = meta.language
    return _modal(
        View.INCOMING_MATCH,
        MATCH_TITLE(language),
        SUBMIT_MATCH(language),
        meta,
        [
            section(payment_text(line, language)),
            _input(BlockId.INVOICE, INVOICE(language), INVOICE_HINT(language), max_length=60),
        ],
    )


# --- /bank search direction:in ----------------------------------------------------------------


def search_answer(
    title: str, lines: Sequence[Line], total: int, page: int, per_page: int, language: Language
) -> dict[str, Any]:
    """The ephemeral answer listing incoming payments; unmatched ones with their buttons."""
    query = escape(title) or "direction:in"
    if not total:
        text = NOTHING(language, query=query)
        return {"response_type": "ephemeral", "text": text, "blocks": [section(text)]}
    heading = FOUND(language, count=total, query=query)
    blocks: list[Block] = [section(f"*{heading}*")]
    for line in lines:
        blocks += entry(line, language)
    pages = -(-total // per_page)
    if page < pages:
        blocks.append(context(PAGES(language, page=page, pages=pages, next=page + 1)))
    return {"response_type": "ephemeral", "text": heading, "blocks": blocks}
