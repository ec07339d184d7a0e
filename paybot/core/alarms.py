"""The sentences of alarms, in English (the log, the command line, the audit trail).

Slack renders the same alarms in the company's language from their kind and details
(handlers/views/alerts.py); these sentences are what a person reading the log must act on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from paybot.core.signing import format_money


@dataclass(frozen=True)
class SendFacts:
    """A send as an alarm names it."""

    end_to_end_id: str
    amount: Decimal
    currency: str


def twice(payment_id: int, booked: SendFacts, live: Sequence[SendFacts]) -> str:
    others = ", ".join(s.end_to_end_id for s in live)
    return (
        f"Payment {payment_id}: the bank booked {booked.end_to_end_id} "
        f"({format_money(booked.amount, booked.currency)}) while {others} may still leave: "
        f"stop {others} in the netbank now, or the money leaves twice. The payment is On hold "
        f"and nothing more is sent for it; once the netbank shows what happened, record it "
        f"(`paybot payments resolve-hold {payment_id} --paid|--not-paid --as YOU`)."
    )


def amount(payment_id: int, send: SendFacts, booked: Decimal, currency: str) -> str:
    return (
        f"Payment {payment_id}: the bank booked {format_money(booked, currency)} for "
        f"{send.end_to_end_id}, which was sent for {format_money(send.amount, send.currency)}. "
        "The payment is On hold, not Paid: check the netbank, then record whether it is paid "
        f"(`paybot payments resolve-hold {payment_id} --paid|--not-paid --as YOU`)."
    )


def booked_twice(payment_id: int, send: SendFacts) -> str:
    return (
        f"Payment {payment_id} was booked again ({send.end_to_end_id}, "
        f"{format_money(send.amount, send.currency)}) though it is paid already: the money has "
        "left twice. Check the netbank and ask the payee to pay one of them back."
    )


def returned(payment_id: int, send: SendFacts, why: str, reopened: bool) -> str:
    after = (
        "It is Failed again: fix it if needed and sign again if it is still to be paid."
        if reopened
        else "The payment's state is unchanged; check the netbank."
    )
    return (
        f"The money of payment {payment_id} came back ({send.end_to_end_id}, "
        f"{format_money(send.amount, send.currency)}): {why}. {after}"
    )


def paid_after_all(payment_id: int, send: SendFacts, cancelled: Sequence[str]) -> str:
    resend = (
        f" Its re-send {', '.join(cancelled)} was taken out of its batch before upload."
        if cancelled
        else " Its signatures for a re-send are void; it will not be sent again."
    )
    return (
        f"Payment {payment_id} was booked by the bank after all ({send.end_to_end_id}, "
        f"{format_money(send.amount, send.currency)}): it is Paid.{resend}"
    )


def upload_failing(batch: int, message_id: str, attempts: int, error: str, retry: datetime) -> str:
    return (
        f"Batch {batch} ({message_id}) could not be delivered to the bank ({attempts} attempts; "
        f"last: {error}). Nothing reached the bank; paybot tries again at "
        f"{retry:%Y-%m-%d %H:%M %Z}. Check the bank connection and its settings "
        "(`paybot bank set`)."
    )


def upload_unknown(batch: int, message_id: str, payments: int, error: str) -> str:
    return (
        f"The upload of batch {batch} ({message_id}) broke off ({error}): the bank may or may "
        f"not have the file. It is not sent again. Its {payments} payment(s) wait for a signer "
        "to check the netbank and record whether the money left "
        "(`paybot payments resolve-missing ID --money-left|--money-not-left --as YOU`)."
    )


def foreign(source: str, references: Sequence[str], why: str, inbox: str | None) -> str:
    shown = ", ".join(references[:10]) + (" …" if len(references) > 10 else "")
    came = f" (from the inbox of account {inbox})" if inbox else " (read by hand)"
    return (
        f"The bank file {source}{came} names payments it cannot speak for ({why}): {shown}. "
        "They were not applied."
    )


def unwritable(payment_id: int, batch: int, problem: str) -> str:
    return (
        f"Payment {payment_id} could not be written into batch {batch}'s file ({problem}): it "
        "was taken out and is Failed, to fix and sign again; the batch's other payments went on."
    )


def file_refused(batch: int, payments: int, problem: str) -> str:
    return (
        f"Batch {batch}'s file was refused before it left ({problem}): the company's own "
        f"settings, not a payment, are at fault. Its {payments} payment(s) stay Due and nothing "
        "is sent until the settings are fixed (`paybot bank show`, `paybot bank set`); paybot "
        "tries again at every dispatch."
    )


def no_outgoing_account(problem: str) -> str:
    return (
        f"Signed payments are due and wait: {problem} They stay Due and go at the first dispatch "
        "after an account may send (`paybot bank set --account ACCOUNT --outgoing`)."
    )


def ehf_refused(
    file: str, rejected_as: str, supplier: str | None, invoice_no: str | None, problem: str
) -> str:
    return (
        f"The EHF file {file} (supplier: {supplier or 'unknown'}; invoice: "
        f"{invoice_no or 'unknown'}) was refused: {problem}. It lies in rejected/ as "
        f"{rejected_as} (why in {rejected_as}.error.txt), and nothing is paid for it until a "
        "corrected file is dropped into the inbox or the invoice is entered otherwise."
    )
