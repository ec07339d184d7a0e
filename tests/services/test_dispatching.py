"""Sending Due payments to the bank, on both databases: when they go (timing, undo window,
Norwegian banking days), the batch and its pain.001 file, and files that must never leave."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import count
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from lxml import etree
from sqlalchemy import Engine, text
from stdnum import luhn

from paybot.bank.directory import DirectoryGateway
from paybot.core.bankfiles.model import StatusLevel, StatusReport
from paybot.core.bankfiles.pain002 import write_pain002
from paybot.core.company import DispatchTiming
from paybot.core.errors import InvalidTransition
from paybot.core.payments import PaymentView, ReferenceType
from paybot.core.states import PaymentStatus
from paybot.services import companies, dispatching, payments, returns, signing
from paybot.services.dispatching import DispatchOptions, DispatchResult
from paybot.services.ports import GatewayFactory
from paybot.store.uow import UnitOfWork
from tests.builders import (
    APPROVER,
    COMPANY_ACCOUNT,
    NOW,
    ORG_NO,
    SIGNER,
    Authenticator,
    a_company,
    a_supplier,
    an_item,
    ledger_with,
    sign_with,
)
from tests.shared_fixtures import shared_fixture

OSLO = ZoneInfo("Europe/Oslo")
PAIN001 = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"
NS = {"p": PAIN001}
UNDO = timedelta(seconds=60)
# Later than any signing in these tests: an "immediate" payment has waited out its undo window.
LATER = NOW + timedelta(hours=1)
# A schema for pain.001.001.03 that no real file can pass: its Document holds only <Nothing>.
WRONG_XSD = f"""<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="{PAIN001}"
           xmlns="{PAIN001}" elementFormDefault="qualified">
  <xs:element name="Document">
    <xs:complexType><xs:sequence>
      <xs:element name="Nothing" type="xs:string"/>
    </xs:sequence></xs:complexType>
  </xs:element>
</xs:schema>
"""


_KIDS = count(1)


def a_kid(number: int) -> str:
    """A distinct MOD10 KID for each number."""
    body = f"{number:09d}"
    return body + luhn.calc_check_digit(body)


def oslo(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=OSLO)


class Bank:
    """The bank's two folders in tmp_path, reached as a plain directory gateway."""

    def __init__(self, root: Path) -> None:
        self.outbox, self.inbox = root / "outbox", root / "inbox"
        self.options = DispatchOptions(files_dir=root / "sent", undo_window=UNDO, zone=OSLO)

    @property
    def gateways(self) -> GatewayFactory:
        return lambda account: DirectoryGateway(self.outbox, self.inbox)

    def uploaded(self) -> list[str]:
        return sorted(p.name for p in self.outbox.iterdir()) if self.outbox.exists() else []

    def dispatch(
        self, uow: UnitOfWork, now: datetime, options: DispatchOptions | None = None
    ) -> DispatchResult:
        return dispatching.dispatch(uow, self.gateways, now=now, options=options or self.options)


@pytest.fixture
def phone(uow: UnitOfWork) -> Authenticator:
    signer_phone = a_company(uow)
    assert signer_phone is not None
    return signer_phone


@pytest.fixture
def bank(tmp_path: Path) -> Bank:
    return Bank(tmp_path)


# Helpers


def timing(uow: UnitOfWork, value: DispatchTiming) -> None:
    companies.update_settings(uow, org_no=ORG_NO, timing=value, now=NOW)


def proposals(uow: UnitOfWork, *items: dict[str, Any]) -> list[int]:
    rows = [an_item(**{"reference": a_kid(next(_KIDS)), **item}) for item in items]
    found = ledger_with(uow, rows, [a_supplier()])
    return [int(found[row.voucher_no].id) for row in rows]


def signed(uow: UnitOfWork, phone: Authenticator, *items: dict[str, Any]) -> list[int]:
    """Proposals for `items` (an_item overrides), signed together with one code."""
    ids = proposals(uow, *(items or ({},)))
    sign_with(uow, phone, ids)
    return ids


def view(uow: UnitOfWork, payment_id: int) -> PaymentView:
    return payments.show(uow, payment_id=payment_id).payment


def rows(engine: Engine, query: str, **params: object) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(text(query), params)]


def batches(engine: Engine) -> list[dict[str, Any]]:
    return rows(engine, "SELECT * FROM batches ORDER BY id")


def lines(engine: Engine) -> list[dict[str, Any]]:
    return rows(engine, "SELECT * FROM batch_payments ORDER BY id")


def sent_file(bank: Bank, file_name: str) -> Path:
    return bank.options.files_dir / ORG_NO / file_name


def parse(path: Path) -> etree._ElementTree:
    return etree.parse(str(path))


def execution_dates(path: Path) -> list[date]:
    found = parse(path).xpath("//p:PmtInf/p:ReqdExctnDt/text()", namespaces=NS)
    assert isinstance(found, list)
    return [date.fromisoformat(str(day)) for day in found]


def official_schema() -> etree.XMLSchema:
    xsd = shared_fixture("iso20022/pain.001.001.03.xsd")
    return etree.XMLSchema(etree.parse(str(xsd)))


def actions(uow: UnitOfWork, payment_id: int) -> list[str]:
    return [event["action"] for event in payments.show(uow, payment_id=payment_id).history]


# The undo window of "immediately"


def test_an_immediate_payment_waits_out_the_undo_window_then_goes(
    uow: UnitOfWork, phone: Authenticator, bank: Bank
) -> None:
    timing(uow, DispatchTiming.IMMEDIATE)
    [payment_id] = signed(uow, phone)
    signed_at = phone.at

    early = bank.dispatch(uow, signed_at + UNDO - timedelta(seconds=1))
    assert (early.sent, early.refused) == ([], [])
    assert view(uow, payment_id).status is PaymentStatus.DUE
    assert bank.uploaded() == []

    result = bank.dispatch(uow, signed_at + UNDO)
    assert [batch.payments for batch in result.sent] == [1]
    assert view(uow, payment_id).status is PaymentStatus.PROCESSING
    assert len(bank.uploaded()) == 1


def test_a_signer_takes_the_signature_back_within_the_undo_window(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, bank: Bank
) -> None:
    timing(uow, DispatchTiming.IMMEDIATE)
    [payment_id] = signed(uow, phone)
    signed_at = phone.at

    taken_back = signing.unsign(
        uow, actor=SIGNER, payment_id=payment_id, now=signed_at + timedelta(seconds=30)
    )

    assert taken_back.status is PaymentStatus.APPROVED
    assert taken_back.signature_round == 2
    voided = rows(
        engine,
        "SELECT voided_at FROM signatures WHERE payment_id = :payment",
        payment=payment_id,
    )
    assert len(voided) == 1 and voided[0]["voided_at"] is not None
    last = payments.show(uow, payment_id=payment_id).history[-1]
    assert last["action"] == "payment.unsign"
    assert (last["before"]["status"], last["after"]["status"]) == ("due", "approved")
    assert last["details"] == {"voided_signatures": 1}
    assert bank.dispatch(uow, signed_at + timedelta(hours=1)).sent == []
    assert batches(engine) == []


def test_a_payment_taken_back_may_be_signed_again_by_the_same_signer(
    uow: UnitOfWork, phone: Authenticator, bank: Bank
) -> None:
    timing(uow, DispatchTiming.IMMEDIATE)
    [payment_id] = signed(uow, phone)
    signing.unsign(uow, actor=SIGNER, payment_id=payment_id, now=phone.at + timedelta(seconds=5))

    [again] = sign_with(uow, phone, [payment_id])

    assert (again.payment.status, again.required) == (PaymentStatus.DUE, 1)


def test_a_payment_cannot_be_unsigned_once_it_is_sent(
    uow: UnitOfWork, phone: Authenticator, bank: Bank
) -> None:
    timing(uow, DispatchTiming.IMMEDIATE)
    [payment_id] = signed(uow, phone)
    bank.dispatch(uow, LATER)
    with pytest.raises(InvalidTransition, match="processing"):
        signing.unsign(uow, actor=SIGNER, payment_id=payment_id, now=LATER)
    assert view(uow, payment_id).status is PaymentStatus.PROCESSING


# Days before the due date, in Norwegian banking days


# (due date, first day it may leave, the execution date written in the file)
Case = tuple[date, date, date]


@pytest.mark.parametrize(
    ("setting", "cases"),
    [
        pytest.param(
            "1d",
            [
                (date(2026, 12, 1), date(2026, 11, 30), date(2026, 12, 1)),
                # Monday 28 December: 24 (closed), 25 (Christmas Day), 26-27 (weekend) skipped.
                (date(2026, 12, 28), date(2026, 12, 23), date(2026, 12, 28)),
                # New Year's Day is paid on Monday 4 January; 31 December is closed too.
                (date(2027, 1, 1), date(2026, 12, 30), date(2027, 1, 4)),
            ],
            id="1d",
        ),
        pytest.param(
            "2d",
            [
                (date(2026, 12, 1), date(2026, 11, 27), date(2026, 12, 1)),
                # Maundy Thursday, Good Friday and Easter Monday 2027 are closed.
                (date(2027, 3, 30), date(2027, 3, 23), date(2027, 3, 30)),
            ],
            id="2d",
        ),
        pytest.param("3d", [(date(2026, 12, 1), date(2026, 11, 26), date(2026, 12, 1))], id="3d"),
        pytest.param(
            "due",
            [
                (date(2026, 12, 1), date(2026, 12, 1), date(2026, 12, 1)),
                # Due on a Saturday after Christmas: sent and paid on the Monday.
                (date(2026, 12, 26), date(2026, 12, 28), date(2026, 12, 28)),
            ],
            id="due",
        ),
    ],
)
def test_a_payment_leaves_the_set_banking_days_before_its_due_date(
    uow: UnitOfWork, phone: Authenticator, bank: Bank, setting: str, cases: list[Case]
) -> None:
    timing(uow, DispatchTiming(setting))
    ids = signed(uow, phone, *({"due_date": due} for due, _, _ in cases))

    for payment_id, (due, send_day, pay_day) in zip(ids, cases, strict=True):
        # Late on the evening before, in Oslo: not yet.
        assert bank.dispatch(uow, oslo(send_day - timedelta(days=1), 23, 30)).sent == [], due
        assert view(uow, payment_id).status is PaymentStatus.DUE
        # Just after midnight in Oslo (still the day before in UTC): it goes, alone.
        [sent] = bank.dispatch(uow, oslo(send_day, 0, 5)).sent
        assert sent.payments == 1, due
        assert view(uow, payment_id).status is PaymentStatus.PROCESSING
        assert execution_dates(sent_file(bank, sent.file_name)) == [pay_day]


def test_a_due_date_in_the_past_executes_today_or_on_the_next_banking_day(
    uow: UnitOfWork, phone: Authenticator, bank: Bank
) -> None:
    for today, executes in [
        (date(2026, 11, 24), date(2026, 11, 24)),  # a Tuesday: today
        (date(2026, 11, 28), date(2026, 11, 30)),  # a Saturday: the Monday after
    ]:
        [payment_id] = signed(uow, phone, {"due_date": date(2026, 11, 1)})
        [sent] = bank.dispatch(uow, oslo(today)).sent
        assert view(uow, payment_id).status is PaymentStatus.PROCESSING
        assert execution_dates(sent_file(bank, sent.file_name)) == [executes]


def test_payments_due_on_different_days_go_in_one_file_with_a_block_per_execution_date(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, bank: Bank
) -> None:
    timing(uow, DispatchTiming.IMMEDIATE)
    ids = signed(uow, phone, {"due_date": date(2026, 12, 1)}, {"due_date": date(2026, 12, 5)})
    [sent] = bank.dispatch(uow, LATER).sent
    # 5 December 2026 is a Saturday: executed on Monday 7 December.
    assert execution_dates(sent_file(bank, sent.file_name)) == [
        date(2026, 12, 1),
        date(2026, 12, 7),
    ]
    blocks = {line["payment_id"]: line["payment_info_id"] for line in lines(engine)}
    assert blocks == {ids[0]: f"{sent.message_id}-1", ids[1]: f"{sent.message_id}-2"}


# The batch and its file


def test_sending_makes_a_numbered_batch_with_one_valid_file_and_moves_payments_to_processing(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, bank: Bank
) -> None:
    schema = official_schema()
    timing(uow, DispatchTiming.IMMEDIATE)
    ids = signed(uow, phone, {"amount": Decimal("1250.00")}, {"amount": Decimal("99.50")})

    result = bank.dispatch(uow, LATER)

    [sent] = result.sent
    assert result.refused == []
    assert (sent.company, sent.number, sent.payments) == (ORG_NO, 1, 2)
    assert sent.totals == {"NOK": Decimal("1349.50")}
    path = sent_file(bank, sent.file_name)
    assert schema.validate(parse(path)), schema.error_log
    assert bank.uploaded() == [sent.file_name]
    assert (bank.outbox / sent.file_name).read_bytes() == path.read_bytes()
    [batch] = batches(engine)
    assert batch["number"] == 1
    assert batch["status"] == "sent"
    assert batch["message_id"] == sent.message_id
    assert batch["file_name"] == sent.file_name
    assert batch["file_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert batch["sent_at"] is not None
    for payment_id in ids:
        payment = view(uow, payment_id)
        assert payment.status is PaymentStatus.PROCESSING
        assert payment.batch_id == batch["id"]
        assert actions(uow, payment_id)[-1] == "payment.send"
    assert {line["payment_id"] for line in lines(engine)} == set(ids)

    # Nothing is sent twice; the next payment goes in batch number 2.
    assert bank.dispatch(uow, LATER + timedelta(minutes=5)).sent == []
    [later] = signed(uow, phone, {"amount": Decimal("10.00")})
    [second] = bank.dispatch(uow, phone.at + timedelta(hours=1)).sent
    assert (second.number, second.payments) == (2, 1)
    assert second.message_id != sent.message_id
    assert view(uow, later).status is PaymentStatus.PROCESSING
    assert len(bank.uploaded()) == 2


def test_a_prepared_batch_is_claimed_for_upload_by_one_dispatcher_only(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, bank: Bank
) -> None:
    timing(uow, DispatchTiming.IMMEDIATE)
    signed(uow, phone, {"amount": Decimal("10.00")})
    bank.dispatch(uow, LATER)
    [batch] = batches(engine)
    [line] = rows(engine, "SELECT id FROM batch_payments")
    with uow:
        assert uow.bank.mark_uploading(batch["id"], [line["id"]], LATER) == "taken"  # sent
    with engine.begin() as connection:
        connection.execute(text("UPDATE batches SET status = 'prepared'"))
        connection.execute(text("UPDATE batch_payments SET status = 'prepared'"))
    with uow:
        assert uow.bank.mark_uploading(batch["id"], [line["id"]], LATER) == "claimed"
        assert uow.bank.mark_uploading(batch["id"], [line["id"]], LATER) == "taken"
    with uow:  # a send taken out since the file was written: the file is written again
        assert uow.bank.mark_uploading(batch["id"], [line["id"], 999], LATER) == "changed"


def test_file_ids_are_derived_from_paybot_ids_and_fit_in_35_characters(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, bank: Bank
) -> None:
    timing(uow, DispatchTiming.IMMEDIATE)
    ids = signed(uow, phone, {}, {})
    [sent] = bank.dispatch(uow, LATER).sent
    [batch] = batches(engine)
    document = parse(sent_file(bank, sent.file_name))

    def texts(path: str) -> list[str]:
        found = document.xpath(path, namespaces=NS)
        assert isinstance(found, list)
        return [str(value) for value in found]

    [message_id] = texts("//p:GrpHdr/p:MsgId/text()")
    assert message_id == sent.message_id == batch["message_id"] == f"PAYBOT-B{batch['id']}"
    assert texts("//p:PmtInfId/text()") == [f"{message_id}-1"]
    assert texts("//p:EndToEndId/text()") == [f"PAYBOT-P{pid}-1" for pid in ids]
    assert sorted(texts("//p:EndToEndId/text()")) == sorted(
        line["end_to_end_id"] for line in lines(engine)
    )
    every_id = texts("//p:MsgId/text() | //p:PmtInfId/text() | //p:EndToEndId/text()")
    assert every_id and all(1 <= len(value) <= 35 for value in every_id)


def test_a_payment_sent_again_after_failing_gets_a_new_end_to_end_id(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, bank: Bank
) -> None:
    timing(uow, DispatchTiming.IMMEDIATE)
    [payment_id] = signed(uow, phone)
    [first] = bank.dispatch(uow, LATER).sent
    [line] = lines(engine)
    report = bank.inbox / "reject.xml"
    bank.inbox.mkdir(parents=True, exist_ok=True)
    write_pain002(
        report,
        [
            StatusReport(StatusLevel.GROUP, first.message_id, "RJCT"),
            StatusReport(
                StatusLevel.TRANSACTION,
                first.message_id,
                "RJCT",
                original_payment_info_id=line["payment_info_id"],
                original_end_to_end_id=line["end_to_end_id"],
                reason_codes=("AC04",),
            ),
        ],
        message_id="STATUS-1",
        created_at=LATER,
    )
    returns.ingest(uow, name=report.name, data=report.read_bytes(), now=LATER)
    assert view(uow, payment_id).status is PaymentStatus.FAILED

    # The approver fixes it (a signer's own change would need a second signer).
    payments.fix(
        uow,
        actor=APPROVER,
        payment_id=payment_id,
        reference_type=ReferenceType.KID,
        reference=a_kid(next(_KIDS)),
        now=LATER,
    )
    phone.at = LATER
    sign_with(uow, phone, [payment_id])
    [second] = bank.dispatch(uow, phone.at + timedelta(hours=1)).sent

    assert second.message_id != first.message_id
    assert [row["end_to_end_id"] for row in lines(engine)] == [
        f"PAYBOT-P{payment_id}-1",
        f"PAYBOT-P{payment_id}-2",
    ]
    document = parse(sent_file(bank, second.file_name))
    assert document.xpath("//p:EndToEndId/text()", namespaces=NS) == [f"PAYBOT-P{payment_id}-2"]
    assert view(uow, payment_id).status is PaymentStatus.PROCESSING


# What must never leave


def test_only_an_account_with_an_outgoing_agreement_can_send(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, bank: Bank
) -> None:
    timing(uow, DispatchTiming.IMMEDIATE)
    ids = signed(uow, phone)
    companies.set_bank_account(
        uow, org_no=ORG_NO, account=COMPANY_ACCOUNT, values={"outgoing": False}, now=NOW
    )

    result = bank.dispatch(uow, LATER)

    [(_, why)] = result.refused
    assert "no bank account with an agreement for outgoing payments" in why
    assert batches(engine) == [] and lines(engine) == []
    payment = view(uow, ids[0])
    assert (payment.status, payment.batch_id) == (PaymentStatus.DUE, None)
    assert bank.uploaded() == []
    # Said once a day in the alerts channel while it lasts, not every minute.
    bank.dispatch(uow, LATER + timedelta(minutes=1))
    [alarm] = rows(engine, "SELECT kind, message FROM alarms")
    assert alarm["kind"] == "file_refused" and "stay Due" in alarm["message"]


def test_a_file_its_schema_refuses_is_never_sent_and_its_payments_stay_due(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, bank: Bank, tmp_path: Path
) -> None:
    folder = tmp_path / "wrong-schemas"
    folder.mkdir()
    (folder / "pain.001.001.03.xsd").write_text(WRONG_XSD, encoding="utf-8")
    options = DispatchOptions(
        files_dir=tmp_path / "sent", undo_window=UNDO, schema_folder=folder, zone=OSLO
    )
    timing(uow, DispatchTiming.IMMEDIATE)
    ids = signed(uow, phone, {}, {})

    result = bank.dispatch(uow, LATER, options)

    assert result.sent == []
    [batch] = batches(engine)
    assert result.refused == [(batch["message_id"], batch["error"])]
    assert batch["status"] == "invalid"
    assert "CstmrCdtTrfInitn" in batch["error"] and "not expected" in batch["error"]
    assert batch["file_sha256"] is None and batch["sent_at"] is None
    for payment_id in ids:
        payment = view(uow, payment_id)
        assert (payment.status, payment.batch_id) == (PaymentStatus.DUE, None)
        assert "payment.send" not in actions(uow, payment_id)
    assert bank.uploaded() == []
    invalid = rows(engine, "SELECT details FROM audit_events WHERE action = 'batch.invalid'")
    assert len(invalid) == 1


def test_a_file_the_writer_refuses_is_never_sent_and_its_bad_payment_goes_to_a_person(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, bank: Bank
) -> None:
    timing(uow, DispatchTiming.IMMEDIATE)
    [payment_id] = signed(uow, phone, {"reference_type": ReferenceType.MESSAGE, "reference": "F1"})
    # A reference no bank accepts cannot be signed; here it changed behind paybot's back, and the
    # writer, which keeps only what banks accept, is left with nothing.
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE payments SET reference = '€€€' WHERE id = :id"), {"id": payment_id}
        )

    result = bank.dispatch(uow, LATER)

    assert result.sent == []
    [batch] = batches(engine)
    assert batch["status"] == "invalid"
    assert "reference is empty" in batch["error"]
    assert result.refused == [(batch["message_id"], batch["error"])]
    # Never again in a file as it is: Failed, for a person to fix and sign again.
    payment = view(uow, payment_id)
    assert (payment.status, payment.batch_id) == (PaymentStatus.FAILED, None)
    assert payment.failure_kind == "unwritable"
    assert bank.uploaded() == []
    assert bank.dispatch(uow, LATER + timedelta(minutes=1)).refused == []


def test_a_payment_the_writer_refuses_fails_alone_and_the_others_go_at_once(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, bank: Bank
) -> None:
    timing(uow, DispatchTiming.IMMEDIATE)
    bad, good, other = signed(
        uow, phone, {"reference_type": ReferenceType.MESSAGE, "reference": "F1"}, {}, {}
    )
    # A reference no bank accepts cannot be signed; here it changed behind paybot's back.
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE payments SET reference = '€€€' WHERE id = :id"), {"id": bad}
        )

    result = bank.dispatch(uow, LATER)

    # The file with it was refused; it alone is taken out, for a person, and the others are
    # sent in a new batch by the same run: one bad payment never holds the others back.
    [refused, sent] = batches(engine)
    assert refused["status"] == "invalid" and "reference is empty" in refused["error"]
    assert [batch.payments for batch in result.sent] == [2]
    assert {view(uow, good).status, view(uow, other).status} == {PaymentStatus.PROCESSING}
    failed = view(uow, bad)
    assert (failed.status, failed.failure_kind, failed.batch_id) == (
        PaymentStatus.FAILED,
        "unwritable",
        None,
    )
    assert failed.failure_reason is not None and "reference is empty" in failed.failure_reason
    assert "payment.unwritable" in actions(uow, bad)
    alarms = rows(engine, "SELECT kind, message FROM alarms")
    assert [alarm["kind"] for alarm in alarms] == ["unwritable"]
    assert str(bad) in alarms[0]["message"]
    # Nothing more to send, and the refused one is not sent again.
    again = bank.dispatch(uow, LATER + timedelta(minutes=1))
    assert (again.sent, again.refused) == ([], [])
    assert len(bank.uploaded()) == 1


def test_a_file_refused_for_the_companys_own_settings_fails_no_payment(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, bank: Bank
) -> None:
    timing(uow, DispatchTiming.IMMEDIATE)
    ids = signed(uow, phone, {}, {})
    # Another bank's profile for the company's account, set behind paybot's back: every file is
    # refused, whichever payments it holds. That is no payment's fault: none is failed for it.
    with engine.begin() as connection:
        connection.execute(text("UPDATE company_bank_accounts SET profile = 'dnb'"))

    result = bank.dispatch(uow, LATER)

    [batch] = batches(engine)
    assert batch["status"] == "invalid" and "DNB" in batch["error"]
    assert result.refused == [(batch["message_id"], batch["error"])]
    for payment_id in ids:
        payment = view(uow, payment_id)
        assert (payment.status, payment.batch_id) == (PaymentStatus.DUE, None)
    # Nothing leaves until a person fixes the settings: the alerts channel is told, once a day
    # while it lasts, not once a minute.
    [alarm] = rows(engine, "SELECT kind, batch_id, payment_id, details FROM alarms")
    assert (alarm["kind"], alarm["payment_id"]) == ("file_refused", None)
    details = alarm["details"]
    details = details if isinstance(details, dict) else json.loads(details)
    assert details["waiting"] == 2 and "DNB" in details["error"]
    for minutes in (1, 2, 60):
        assert bank.dispatch(uow, LATER + timedelta(minutes=minutes)).refused
    assert len(rows(engine, "SELECT id FROM alarms")) == 1
    assert bank.dispatch(uow, LATER + timedelta(days=1)).refused
    assert len(rows(engine, "SELECT id FROM alarms")) == 2
    assert bank.uploaded() == []
