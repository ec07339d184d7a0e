"""The Fix modal: account, reference and, for a payment abroad, the payee's details; its field
errors, and the view after a fix. Pure builders: results in, Block Kit views out."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from paybot.core.company import Language
from paybot.core.errors import Fault, FieldFault, ValidationFailed
from paybot.core.payee_details import (
    CHARGE_BEARERS,
    LIMITS,
    NAME_LIMIT,
    PAYEE_FIELDS,
    FieldProblem,
    PayeeDetailsInvalid,
    Problem,
)
from paybot.core.payment_types import PaymentType, payment_type
from paybot.core.payments import PaymentView, Reason, ReferenceType
from paybot.core.purpose_codes import purpose_code, purpose_codes
from paybot.core.states import PaymentStatus
from paybot.handlers.ids import Block as BlockId
from paybot.handlers.ids import View
from paybot.handlers.views.blocks import Block, context, section
from paybot.handlers.views.cards import payment_summary
from paybot.handlers.views.i18n import (
    CHARGE_BEARER_NAMES,
    PAYEE_LABELS,
    STATUSES,
    Phrase,
)
from paybot.handlers.views.modal_parts import (
    CANCEL,
    REFERENCE_LABEL,
    REFERENCE_TYPE_LABEL,
    REFERENCE_TYPES,
    SECTION_TEXT,
    input_block,
    notice,
    payee_values,
    plain,
    select_option,
    short,
)

OPTIONS = 100  # options of a static select, or option groups and options in each group
# The Fix modal's inputs of the payee's details, each block (and action) named as its field
# (core.payee_details.PAYEE_FIELDS), and the urgent checkbox.
PAYEE_BLOCKS: tuple[str, ...] = PAYEE_FIELDS
URGENT_BLOCK = "urgent"
# The payee's name (payments.payee), asked for when the payment is red for it (INVALID_NAME).
PAYEE_NAME_BLOCK = "payee"
# The value of the select option that clears its field: the charge bearer's "the payment
# type's default", and "no purpose code".
CLEAR_OPTION = "-"
# A BIC may be typed with spaces ("DEUT DE FF 500"); it is kept without them (11 at most).
BIC_TYPED = 14
# The red reasons the payee's details fix: the Fix modal asks for them even if the payment looks
# domestic now.
ABROAD_REASONS = frozenset({Reason.MISSING_ADDRESS, Reason.MISSING_BIC, Reason.MISSING_PURPOSE})
FIX_TITLE = Phrase("Fix payment", "Rett betaling")
FIX_BUTTON = Phrase("Save", "Lagre")
FIXED = Phrase("✅ Fixed: {summary}", "✅ Rettet: {summary}")
FIXED_NOTE = Phrase(
    "Any approval or signature given before the fix no longer counts.",
    "Godkjenning eller signaturer gitt før rettingen gjelder ikke lenger.",
)
ACCOUNT_LABEL = Phrase("Payee account", "Mottakers konto")
REFERENCE_HINT = Phrase(
    "A KID with a valid check digit, or a message or invoice number (at most 140 characters).",
    "Et KID-nummer med gyldig kontrollsiffer, eller en melding eller et fakturanummer "
    "(høyst 140 tegn).",
)
PAYEE_TITLE = Phrase("*Payment abroad: the payee*", "*Betaling til utlandet: mottakeren*")
PAYEE_NOTE = Phrase(
    "The bank needs the payee's town and country at least; the BIC of the payee's bank where "
    "the account is not an IBAN; and a purpose code with a short text for payments above the "
    "reporting threshold (NOK 100,000 unless the company set another).",
    "Banken trenger minst mottakerens poststed og land; BIC for mottakerens bank når kontoen "
    "ikke er et IBAN; og kode for betalingsart med en kort tekst for betalinger over "
    "rapporteringsgrensen (100 000 kroner om ikke selskapet har satt en annen).",
)
COUNTRY_HINT = Phrase(
    "Two letters (ISO 3166), such as DE for Germany, SE for Sweden, US for the United States.",
    "To bokstaver (ISO 3166), som DE for Tyskland, SE for Sverige, US for USA.",
)
BIC_HINT = Phrase(
    "The SWIFT code of the payee's bank, 8 or 11 characters (such as DEUTDEFF).",
    "SWIFT-koden til mottakerens bank, 8 eller 11 tegn (som DEUTDEFF).",
)
PURPOSE_TEXT_HINT = Phrase(
    "What the payment is for, in at most 35 characters (such as “Machine parts, invoice 117”).",
    "Hva betalingen gjelder, med høyst 35 tegn (som «Maskindeler, faktura 117»).",
)
CHARGES_DEFAULT = Phrase(
    "The payment type's default ({code})", "Standard for betalingstypen ({code})"
)
NO_PURPOSE = Phrase("No purpose code", "Ingen kode for betalingsart")
NOT_IN_LIST = Phrase("{code} (not in Norges Bank's list)", "{code} (ikke i Norges Banks liste)")
URGENT_OPTION = Phrase("Send as an urgent payment", "Send som hastebetaling")
PAYEE_NAME_HINT = Phrase(
    "The name the payment file gives the bank, in letters a bank takes (abroad: Latin letters, "
    "such as “Dmitrij OOO”).",
    "Navnet betalingsfilen gir banken, med bokstaver en bank tar imot (til utlandet: latinske "
    "bokstaver, som «Dmitrij OOO»).",
)
# A field refused by core.payee_details, in the user's language: English as the core says it.
# Every Problem has its phrase here (views.fix_errors says them all). `label_nb`: the Norwegian
# label of the field to fill in too.
PROBLEMS = {
    Problem.TOO_LONG: Phrase("{message}", "høyst {limit} tegn (fikk {got})"),
    Problem.WRITTEN_TOO_LONG: Phrase(
        "{message}", "blir {got} tegn i betalingsfilen (æ → ae, å → aa): høyst {limit}"
    ),
    Problem.CHARACTER: Phrase(
        "{message}", "tegnet U+{code} på plass {position} er ikke tillatt (kontrolltegn)"
    ),
    Problem.COUNTRY: Phrase(
        "{message}",
        "{typed} er ikke en landkode: oppgi landets kode med to bokstaver (ISO 3166), som DE, "
        "SE eller US",
    ),
    Problem.COUNTRY_NAME: Phrase(
        "{message}", "oppgi landets kode med to bokstaver (ISO 3166): {typed} er {code}"
    ),
    Problem.BIC: Phrase(
        "{message}",
        "{typed} er ikke en BIC: 4 bokstaver for banken, 2 for landet, 2 bokstaver eller sifre "
        "for stedet og eventuelt 3 for filialen, som DNBANOKK eller DEUTDEFF500",
    ),
    Problem.BIC_COUNTRY: Phrase(
        "{message}", "{typed} er ikke en BIC: {code} (tegn 5 og 6) er ikke en landkode"
    ),
    Problem.CHARGE_BEARER: Phrase(
        "{message}",
        "{typed} er ikke et valg for gebyrer: DEBT (selskapet betaler alle), CRED (mottaker "
        "betaler dem) eller SHAR (hver betaler sin egen bank)",
    ),
    Problem.PURPOSE_CODE: Phrase(
        "{message}", "{typed} er ikke en kode for betalingsart i Norges Banks liste"
    ),
    Problem.URGENT: Phrase(
        "{message}",
        "bare en betaling til utlandet utenom SEPA kan sendes som hastebetaling; dette er en "
        "{kind_nb}",
    ),
    Problem.NO_WORDS: Phrase("{message}", "har ingen bokstaver eller sifre en bank tar imot"),
    Problem.NOT_SENT: Phrase(
        "{message}",
        "«{char}» (U+{code}) på plass {position} kan ikke stå i en betalingsfil: bruk latinske "
        "bokstaver, sifre og / - ? : ( ) . , ' +",
    ),
    Problem.PURPOSE_HALF: Phrase(
        "{message}", "fyll ut «{label_nb}» også: kode og tekst sendes sammen"
    ),
    Problem.DOMESTIC_PURPOSE: Phrase(
        "{message}",
        "en innenlandsk betaling har ingen betalingsart eller formål: det rapporteres bare for "
        "betalinger til utlandet",
    ),
}
KINDS_NB = {PaymentType.DOMESTIC: "innenlandsk betaling", PaymentType.SEPA: "SEPA-betaling"}
# A refused account, reference type or reference, or a fix as a whole (core.errors.Fault), in
# the user's language: English as the core says it. Every Fault has its phrase here.
FAULTS = {
    Fault.ACCOUNT_REQUIRED: Phrase("{message}", "kontonummeret må fylles ut"),
    Fault.ACCOUNT_DIGITS: Phrase("{message}", "{typed} er ikke et norsk kontonummer med 11 sifre"),
    Fault.ACCOUNT_CHECK_DIGIT: Phrase("{message}", "{typed} har feil kontrollsiffer"),
    Fault.FOREIGN_ACCOUNT: Phrase(
        "{message}", "{typed} er ikke et kontonummer (1–34 bokstaver og sifre)"
    ),
    Fault.IBAN: Phrase("{message}", "{typed} er ikke et gyldig IBAN ({why_nb})"),
    Fault.REFERENCE_TYPE_REQUIRED: Phrase(
        "{message}", "velg KID, melding eller fakturanummer: en betaling trenger en referanse"
    ),
    Fault.REFERENCE_REQUIRED: Phrase("{message}", "referansen må fylles ut for typen {type_nb}"),
    Fault.KID_REQUIRED: Phrase("{message}", "KID må fylles ut når referansetypen er KID"),
    Fault.KID_LENGTH: Phrase("{message}", "KID «{kid}» må ha 2 til 25 sifre"),
    Fault.KID_CHARACTERS: Phrase(
        "{message}", "KID «{kid}» kan bare ha sifre (og «-» som kontrollsiffer etter MOD11)"
    ),
    Fault.KID_CHECK_DIGIT: Phrase(
        "{message}", "KID «{kid}» har feil kontrollsiffer (verken MOD10 eller MOD11)"
    ),
    Fault.CHARACTER: PROBLEMS[Problem.CHARACTER],
    Fault.TOO_LONG: PROBLEMS[Problem.TOO_LONG],
    Fault.NOTHING_GIVEN: Phrase(
        "{message}",
        "oppgi konto, referansetype, referanse, en opplysning om mottakeren eller om den haster",
    ),
    Fault.NOTHING_CHANGES: Phrase("{message}", "ingenting ville bli endret"),
}
# Why schwifty refused an IBAN (its exception's name), in Norwegian; another: its English words.
IBAN_CAUSES_NB = {
    "InvalidChecksumDigits": "feil kontrollsifre",
    "InvalidBBANChecksum": "feil nasjonalt kontrollsiffer",
    "InvalidLength": "feil lengde for landet",
    "InvalidStructure": "feil oppbygning eller tegn",
    "InvalidCountryCode": "ukjent landkode",
    "InvalidBankCode": "feil bankkode",
    "InvalidBranchCode": "feil filialkode",
    "InvalidAccountCode": "feil kontonummer i IBAN-et",
}


def fixed_view(payment: PaymentView, language: Language) -> dict[str, Any]:
    """After a fix: the payment as it is now, with the payee's details abroad where it has any;
    a fix voids an approval and any signatures."""
    lines = [FIXED(language, summary=payment_summary(payment, language))]
    if payment.status is not PaymentStatus.FAILED:
        lines.append(f"*{STATUSES[payment.status](language)}*")
    lines += [f"*{label}:* {value}" for label, value in payee_values(payment, language)]
    lines.append(FIXED_NOTE(language))
    return notice(FIX_TITLE(language), "\n".join(lines)[: SECTION_TEXT - 1], language)


def fix_modal(payment: PaymentView, language: Language, *, metadata: str) -> dict[str, Any]:
    """Account, reference type and reference, prefilled with what the payment has now; the
    payee's name when it is red for it (INVALID_NAME); for a payment abroad (or one red for want
    of an address, BIC or purpose) the payee's details too."""
    options = [
        select_option(REFERENCE_TYPES[kind](language), kind.value)
        for kind in (ReferenceType.KID, ReferenceType.MESSAGE, ReferenceType.INVOICE)
    ]
    select: dict[str, Any] = {
        "type": "static_select",
        "action_id": BlockId.REFERENCE_TYPE.value,
        "options": options,
    }
    if payment.reference_type is not ReferenceType.EMPTY:
        select["initial_option"] = options[
            [ReferenceType.KID, ReferenceType.MESSAGE, ReferenceType.INVOICE].index(
                payment.reference_type
            )
        ]
    blocks: list[Block] = [section(payment_summary(payment, language))]
    if Reason.INVALID_NAME in payment.reasons:
        blocks.append(
            {
                **input_block(
                    PAYEE_NAME_BLOCK,
                    PAYEE_LABELS["payee"](language),
                    payment.payee,
                    max_length=NAME_LIMIT,
                ),
                "hint": plain(PAYEE_NAME_HINT(language)),
            }
        )
    blocks += [
        input_block(BlockId.ACCOUNT, ACCOUNT_LABEL(language), payment.account, max_length=34),
        {
            "type": "input",
            "block_id": BlockId.REFERENCE_TYPE.value,
            "label": plain(REFERENCE_TYPE_LABEL(language)),
            "element": select,
        },
        {
            **input_block(
                BlockId.REFERENCE, REFERENCE_LABEL(language), payment.reference, max_length=140
            ),
            "hint": plain(REFERENCE_HINT(language)),
        },
    ]
    if asks_payee_details(payment):
        blocks += payee_inputs(payment, language)
    return {
        "type": "modal",
        "callback_id": View.FIX.value,
        "title": short(FIX_TITLE(language)),
        "submit": short(FIX_BUTTON(language)),
        "close": short(CANCEL(language)),
        "private_metadata": metadata,
        "blocks": blocks,
    }


def asks_payee_details(payment: PaymentView) -> bool:
    """Whether the Fix modal asks for the payee's details: the payment is not domestic (by its
    account, currency and the payee's country), or is red for want of them."""
    kind = payment_type(payment.account, payment.currency, payment.payee_details.country)
    return kind is not PaymentType.DOMESTIC or not ABROAD_REASONS.isdisjoint(payment.reasons)


def payee_inputs(payment: PaymentView, language: Language) -> list[Block]:
    """The payee's address, country, BIC, charge bearer, purpose (and, for a cross-border
    payment, urgent), prefilled; all optional: an emptied field is cleared."""
    details = payment.payee_details
    kind = payment_type(payment.account, payment.currency, details.country)

    def text_input(name: str, limit: int, hint: Phrase | None = None) -> Block:
        block = input_block(
            name, PAYEE_LABELS[name](language), getattr(details, name), max_length=limit
        )
        block["optional"] = True
        if hint is not None:
            block["hint"] = plain(hint(language))
        return block

    address = [
        text_input(name, LIMITS[name]) for name in ("street", "building_no", "post_code", "town")
    ]
    address.append(text_input("country", LIMITS["country"], COUNTRY_HINT))
    groups: dict[Reason | None, list[Block]] = {
        Reason.MISSING_PURPOSE: [
            _purpose_select(details.purpose_code, language),
            text_input("purpose_text", LIMITS["purpose_text"], PURPOSE_TEXT_HINT),
        ],
        Reason.MISSING_BIC: [text_input("bic", BIC_TYPED, BIC_HINT)],
        Reason.MISSING_ADDRESS: address,
        None: [_charges_select(details.charge_bearer, kind, language)],
    }
    # What the payment is red for comes first, then the rest, each in this order.
    usual = [Reason.MISSING_ADDRESS, Reason.MISSING_BIC, None, Reason.MISSING_PURPOSE]
    order = [reason for reason in usual if reason in payment.reasons] + usual
    blocks: list[Block] = [section(PAYEE_TITLE(language)), context(PAYEE_NOTE(language))]
    for reason in dict.fromkeys(order):
        blocks += groups[reason]
    if kind is PaymentType.CROSS_BORDER or payment.urgent:
        blocks.append(_urgent_checkbox(payment.urgent, language))
    return blocks


def _charges_select(current: str | None, kind: PaymentType, language: Language) -> Block:
    default = "SLEV" if kind is PaymentType.SEPA else "SHAR"
    options = [select_option(CHARGES_DEFAULT(language, code=default), CLEAR_OPTION)]
    options += [
        select_option(CHARGE_BEARER_NAMES[bearer.value](language), bearer.value)
        for bearer in CHARGE_BEARERS
    ]
    return _select("charge_bearer", options, current, language)


def _purpose_select(current: str | None, language: Language) -> Block:
    options = [select_option(NO_PURPOSE(language), CLEAR_OPTION)]
    options += [
        select_option(f"{entry.code} {entry.name(language.value)}", entry.code)
        for entry in purpose_codes()
    ]
    if current and purpose_code(current) is None:  # kept from elsewhere: shown, and refused
        options.append(select_option(NOT_IN_LIST(language, code=current), current))
    return _select("purpose_code", options, current, language)


def _select(
    name: str, options: list[dict[str, Any]], current: str | None, language: Language
) -> Block:
    """An optional static select of `options` (the first clears the field), set to `current`;
    more than Slack's 100 options are put in groups of 100."""
    element: dict[str, Any] = {"type": "static_select", "action_id": name}
    if len(options) <= OPTIONS:
        element["options"] = options
    else:
        element["option_groups"] = [
            {
                "label": plain(f"{options[i]['text']['text'][:30]} …"),
                "options": options[i : i + OPTIONS],
            }
            for i in range(0, min(len(options), OPTIONS * OPTIONS), OPTIONS)
        ]
    element["initial_option"] = next(
        (option for option in options if option["value"] == current), options[0]
    )
    return {
        "type": "input",
        "block_id": name,
        "optional": True,
        "label": plain(PAYEE_LABELS[name](language)),
        "element": element,
    }


def _urgent_checkbox(urgent: bool, language: Language) -> Block:
    option = select_option(URGENT_OPTION(language), URGENT_BLOCK)
    element: dict[str, Any] = {"type": "checkboxes", "action_id": URGENT_BLOCK, "options": [option]}
    if urgent:
        element["initial_options"] = [option]
    return {
        "type": "input",
        "block_id": URGENT_BLOCK,
        "optional": True,
        "label": plain(PAYEE_LABELS["urgent"](language)),
        "element": element,
    }


def fix_errors(error: ValidationFailed, language: Language, shown: Iterable[str]) -> dict[str, str]:
    """A refused fix's field errors by input block: each on its own field where the modal shows
    it (the rest on the account), in `language` where the refusal says why as a kind (the
    payee's details, the account, the reference, a fix that changes nothing); any other as the
    core said it. `shown`: the modal's input block ids."""
    shown = set(shown)
    problems: dict[str, FieldProblem] = (
        error.problems if isinstance(error, PayeeDetailsInvalid) else {}
    )
    errors: dict[str, str] = {}
    for field, text in error.errors.items():
        block = field if field in shown else BlockId.ACCOUNT.value
        problem, fault = problems.get(field), error.faults.get(field)
        if problem is not None:
            said = _problem_text(problem, language)
        elif fault is not None:
            said = _fault_text(fault, language)
        else:
            said = text
        errors[block] = "; ".join(filter(None, [errors.get(block), said[:1].upper() + said[1:]]))
    return {block: text[:2000] for block, text in errors.items()}


def _problem_text(problem: FieldProblem, language: Language) -> str:
    values = dict(problem.values)
    if problem.kind is Problem.URGENT:
        values["kind_nb"] = KINDS_NB.get(PaymentType(str(values["kind"])), "")
    if problem.kind is Problem.PURPOSE_HALF:
        values["label_nb"] = PAYEE_LABELS[str(values["missing"])](Language.NB)
    return PROBLEMS[problem.kind](language, message=problem.message, **values)


def _fault_text(fault: FieldFault, language: Language) -> str:
    values = dict(fault.values)
    if fault.kind is Fault.IBAN:
        values["why_nb"] = IBAN_CAUSES_NB.get(str(values["cause"]), str(values["why"]))
    if fault.kind is Fault.REFERENCE_REQUIRED:
        values["type_nb"] = REFERENCE_TYPES[ReferenceType(str(values["type"]))](Language.NB)
    return FAULTS[fault.kind](language, message=fault.message, **values)
