"""A simulated bank for the demo and the tests: it takes pain.001 files and answers at once.

It reads each file paybot puts in the outbox, decides per payment like a bank would, and leaves
a pain.002 status report and, for the payments it booked, a camt.054 debit notification in the
inbox. It refuses an invalid account (checked as the payee's country has it, where the file names
one in Cdtr/PstlAdr/Ctry: a US account number is no Norwegian one) and one it is told is closed
(AC01), a message to a payee that only takes KID, and anything beyond the account's balance
(AM04); it books the rest. For payees it is told to keep silent about it answers nothing at all.
A payment in a currency it has a rate for (`rates`: NOK for one unit) is booked as a bank books
it on a NOK account: the NOK debited (TxAmt, the rate applied and rounded to øre) with the amount
as ordered beside it (InstdAmt); without a rate it is booked in its own currency.
A file with a message id it has seen is ignored, as a real bank refuses a duplicate.

Two rules imitate a connection that fails: `unreachable` refuses every upload before anything is
written (`NotSent`, as a refused connection would), and `cut_off` takes and answers the file, then
fails the upload as if the connection dropped before the confirmation (a `GatewayError`: paybot
cannot know that the bank has the file).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from paybot.bank.directory import DirectoryGateway
from paybot.bank.gateway import GatewayError, NotSent
from paybot.core.bankfiles.camt054 import write_camt054
from paybot.core.bankfiles.model import (
    Entry,
    EntryTransaction,
    Notification,
    StatusLevel,
    StatusReport,
)
from paybot.core.bankfiles.pain002 import write_pain002
from paybot.core.identifiers import account_problem

_SEEN = ".sandbox-seen.json"
ACCOUNT_CURRENCY = "NOK"  # the sandbox's accounts are Norwegian


@dataclass(frozen=True)
class SandboxRules:
    kid_only_accounts: frozenset[str] = frozenset()
    balance: Decimal | None = None
    silent_accounts: frozenset[str] = frozenset()
    closed_accounts: frozenset[str] = frozenset()
    unreachable: bool = False  # every upload fails before anything is written
    cut_off: bool = False  # every upload reaches the bank, then fails as if the line dropped
    # NOK for one unit of each other currency: the bank's own rates, applied when it books.
    rates: Mapping[str, Decimal] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Mapping[str, object]) -> SandboxRules:
        def accounts(key: str) -> frozenset[str]:
            value = settings.get(key) or []
            return frozenset(str(a).replace(".", "").replace(" ", "") for a in value)  # type: ignore[attr-defined]

        balance = settings.get("balance")
        return cls(
            kid_only_accounts=accounts("kid_only_accounts"),
            balance=None if balance in (None, "") else Decimal(str(balance).replace(" ", "")),
            silent_accounts=accounts("silent_accounts"),
            closed_accounts=accounts("closed_accounts"),
            unreachable=settings.get("unreachable") is True,
            cut_off=settings.get("cut_off") is True,
            rates={
                str(currency).upper(): Decimal(str(rate))
                for currency, rate in dict(settings.get("rates") or {}).items()  # type: ignore[call-overload]
            },
        )

    def debited(self, payment: OrderedPayment) -> tuple[Decimal, str]:
        """What the account is debited for the payment: in NOK at the bank's rate where it has
        one for the payment's currency, else the amount as ordered."""
        rate = self.rates.get(payment.currency)
        if payment.currency == ACCOUNT_CURRENCY or rate is None:
            return payment.amount, payment.currency
        return (payment.amount * rate).quantize(Decimal("0.01"), ROUND_HALF_UP), ACCOUNT_CURRENCY


@dataclass(frozen=True)
class OrderedPayment:
    """A payment as the bank reads it from a pain.001."""

    message_id: str
    payment_info_id: str
    end_to_end_id: str
    amount: Decimal
    currency: str
    creditor_account: str
    kid: str | None
    debtor_account: str
    execution_date: date | None
    # The payee's country (ISO 3166 alpha-2) where the file gives it: a US account number is
    # valid there, and not in Norway.
    creditor_country: str | None = None


@dataclass
class _Answer:
    statuses: list[StatusReport] = field(default_factory=list)
    booked: list[OrderedPayment] = field(default_factory=list)


class SandboxBank:
    """A gateway whose bank is this process: uploads are answered before upload returns."""

    def __init__(self, outbox: str | Path, inbox: str | Path, rules: SandboxRules) -> None:
        self._folders = DirectoryGateway(Path(outbox), Path(inbox))
        self._outbox, self._inbox, self._rules = Path(outbox), Path(inbox), rules

    def upload(self, name: str, data_path: Path) -> None:
        if self._rules.unreachable:
            raise NotSent(
                f"Could not connect to the sandbox bank (its rule 'unreachable' is on): {name} "
                f"was not uploaded to the outbox {self._outbox}.",
                code="bank_unreachable",
            )
        self._folders.upload(name, data_path)
        self.process(name)
        if self._rules.cut_off:
            raise GatewayError(
                f"The bank may have {name}: the connection to the sandbox bank dropped before it "
                f"confirmed the upload to the outbox {self._outbox} (its rule 'cut_off' is on)."
            )

    def exists(self, name: str) -> bool:
        return self._folders.exists(name)

    def incoming(self) -> list[str]:
        return self._folders.incoming()

    def fetch(self, name: str) -> bytes:
        return self._folders.fetch(name)

    def archive(self, name: str) -> None:
        self._folders.archive(name)

    def process(self, name: str) -> None:
        """Takes one file from the outbox and answers it in the inbox."""
        path = self._outbox / name
        payments = list(read_order(path.read_bytes()))
        seen = self._seen()
        message_id = payments[0].message_id if payments else name
        if message_id not in seen:
            self._answer(message_id, self._decide(payments), len(payments))
            seen.append(message_id)
            (self._outbox / _SEEN).write_text(json.dumps(seen))
        path.unlink()  # the bank has taken the file

    def _seen(self) -> list[str]:
        file = self._outbox / _SEEN
        return list(json.loads(file.read_text())) if file.exists() else []

    def _decide(self, payments: list[OrderedPayment]) -> _Answer:
        answer = _Answer()
        balance = self._rules.balance
        for payment in payments:
            if payment.creditor_account in self._rules.silent_accounts:
                continue
            reasons, note = self._refusal(payment, balance)
            if reasons:
                answer.statuses.append(_status(payment, "RJCT", reasons, note))
                continue
            if balance is not None:
                balance -= self._rules.debited(payment)[0]
            answer.statuses.append(_status(payment, "ACSP"))
            answer.booked.append(payment)
        return answer

    def _refusal(
        self, payment: OrderedPayment, balance: Decimal | None
    ) -> tuple[tuple[str, ...], str | None]:
        if payment.creditor_account in self._rules.closed_accounts:
            return ("AC01",), "The account is closed"
        if account_problem(payment.creditor_account, payment.creditor_country):
            return ("AC01",), None
        if payment.creditor_account in self._rules.kid_only_accounts and not payment.kid:
            return ("NARR",), "The payee only takes payments with KID"
        if balance is not None and self._rules.debited(payment)[0] > balance:
            return ("AM04",), None
        return (), None

    def _answer(self, message_id: str, answer: _Answer, ordered: int) -> None:
        if not answer.statuses:
            return  # a silent bank
        now = datetime.now(UTC).replace(microsecond=0)
        rejected = sum(1 for s in answer.statuses if s.status == "RJCT")
        if rejected == ordered:
            group = "RJCT"
        elif rejected or len(answer.statuses) < ordered:
            group = "PART"  # only the transactions' own statuses say anything
        else:
            group = "ACSP"
        reports = [StatusReport(StatusLevel.GROUP, message_id, group), *answer.statuses]
        self._write(
            f"{message_id}-pain002.xml",
            lambda out: write_pain002(
                out, reports, message_id=f"{message_id[:26]}-STS", created_at=now
            ),
        )
        if answer.booked:
            notice = Notification(f"{message_id[:26]}-DBT", now, "camt.054.001.02")
            entries = [_entry(p, self._rules.debited(p), now.date()) for p in answer.booked]
            self._write(
                f"{message_id}-camt054.xml", lambda out: write_camt054(out, notice, entries)
            )

    def _write(self, name: str, write: Callable[[BinaryIO], None]) -> None:
        buffer = io.BytesIO()
        write(buffer)
        temporary = self._inbox / f".{name}.part"
        temporary.write_bytes(buffer.getvalue())
        temporary.replace(self._inbox / name)


def _status(
    payment: OrderedPayment, status: str, reasons: tuple[str, ...] = (), note: str | None = None
) -> StatusReport:
    return StatusReport(
        level=StatusLevel.TRANSACTION,
        original_message_id=payment.message_id,
        status=status,
        original_payment_info_id=payment.payment_info_id,
        original_end_to_end_id=payment.end_to_end_id,
        reason_codes=reasons,
        additional_info=(note,) if note else (),
    )


def _entry(payment: OrderedPayment, debited: tuple[Decimal, str], today: date) -> Entry:
    amount, currency = debited
    converted = currency != payment.currency
    return Entry(
        account=payment.debtor_account,
        amount=amount,
        currency=currency,
        direction="DBIT",
        status="BOOK",
        booking_date=payment.execution_date or today,
        value_date=payment.execution_date or today,
        bank_reference=f"SBX-{payment.end_to_end_id}"[:35],
        transactions=(
            EntryTransaction(
                end_to_end_id=payment.end_to_end_id,
                payment_info_id=payment.payment_info_id,
                message_id=payment.message_id,
                amount=amount,
                currency=currency,
                kid=payment.kid,
                instructed_amount=payment.amount if converted else None,
                instructed_currency=payment.currency if converted else None,
            ),
        ),
    )


def read_order(data: bytes) -> Iterator[OrderedPayment]:
    """The payments of a pain.001 (any version), read as a stream."""
    message_id = payment_info_id = debtor = ""
    execution: date | None = None
    parser_events = etree.iterparse(
        io.BytesIO(data),
        events=("end",),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=True,
    )
    for _, element in parser_events:
        tag = etree.QName(element).localname
        if tag == "MsgId" and not message_id:
            message_id = element.text or ""
        elif tag == "PmtInfId":
            payment_info_id = element.text or ""
        elif tag == "ReqdExctnDt":
            execution = date.fromisoformat(("".join(element.itertext())).strip()[:10])
        elif tag == "DbtrAcct":
            debtor = _account_id(element)
        elif tag == "CdtTrfTxInf":
            yield _ordered(element, message_id, payment_info_id, debtor, execution)
            element.clear()


def _ordered(
    element: etree._Element, message_id: str, block: str, debtor: str, execution: date | None
) -> OrderedPayment:
    def find(path: str) -> etree._Element | None:
        found = element.xpath(path)
        return found[0] if isinstance(found, list) and found else None

    amount = find(".//*[local-name()='InstdAmt']")
    reference = find(".//*[local-name()='CdtrRefInf']/*[local-name()='Ref']")
    end_to_end = find(".//*[local-name()='EndToEndId']")
    creditor = find("./*[local-name()='CdtrAcct']")
    country = find("./*[local-name()='Cdtr']/*[local-name()='PstlAdr']/*[local-name()='Ctry']")
    return OrderedPayment(
        message_id=message_id,
        payment_info_id=block,
        end_to_end_id="" if end_to_end is None else (end_to_end.text or ""),
        amount=Decimal("0" if amount is None else (amount.text or "0")),
        currency="" if amount is None else str(amount.get("Ccy", "")),
        creditor_account="" if creditor is None else _account_id(creditor),
        kid=None if reference is None else reference.text,
        debtor_account=debtor,
        execution_date=execution,
        creditor_country=None if country is None else (country.text or "").strip() or None,
    )


def _account_id(element: etree._Element) -> str:
    for child in element.iter():
        if etree.QName(child).localname in ("IBAN", "Id") and child.text and child.text.strip():
            return child.text.strip()
    return ""
