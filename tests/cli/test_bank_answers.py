"""Never pay twice, never pay wrong: the bank's answers through the `paybot` command line, on
SQLite and PostgreSQL. Each answer belongs to the one send it names; a booking of any send means
the money left; a file speaks only for its own company, account and batch."""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from paybot.bank.sandbox import read_order
from paybot.core.bankfiles.camt054 import write_camt054
from paybot.core.bankfiles.model import (
    Entry,
    EntryTransaction,
    Notification,
    StatusLevel,
    StatusReport,
)
from paybot.core.bankfiles.pain002 import write_pain002
from tests.cli.test_bank_cli import ACCOUNT, EXAMPLES, ORG, SEND_AT, Cli, acme, cli, sign

__all__ = ["acme", "cli"]  # the fixtures, shared with test_bank_cli

LATER = "2026-11-23T14:00"  # a second dispatch, after the first's answers
DAYS_LATER = "2026-11-26T12:00"  # past 24 banking hours
OTHER_ORG = "920000002"
OTHER_ACCOUNT = "15030100007"


def use_folders(cli: Cli, account: str = ACCOUNT, org: str = ORG) -> None:
    """A bank behind folders, which answers only what a test writes for it."""
    cli("bank", "set", "--company", org, "--account", account, "--gateway", "directory")


def outbox(cli: Cli, account: str = ACCOUNT) -> Path:
    return cli.files / "bank" / account / "outbox"


def inbox(cli: Cli, account: str = ACCOUNT) -> Path:
    return cli.files / "bank" / account / "inbox"


def taken(cli: Cli, account: str = ACCOUNT) -> Path:
    return cli.files / "bank" / account / "taken"


def bank_takes(cli: Cli, account: str = ACCOUNT) -> None:
    """The bank picks up the files waiting in the outbox."""
    taken(cli, account).mkdir(parents=True, exist_ok=True)
    for file in outbox(cli, account).glob("*.xml"):
        file.rename(taken(cli, account) / file.name)


def sent(cli: Cli, account: str = ACCOUNT) -> Counter[str]:
    """EndToEndIds in every file that reached the bank's folder (taken or waiting), counted."""
    return Counter(
        payment.end_to_end_id
        for folder in (outbox(cli, account), taken(cli, account))
        for file in folder.glob("*.xml")
        for payment in read_order(file.read_bytes())
    )


def status_report(
    cli: Cli,
    name: str,
    batch: int,
    level: StatusLevel,
    status: str,
    *,
    e2e: str = "",
    code: str = "",
) -> str:
    """A pain.002 about batch `batch` (its MsgId PAYBOT-B<batch>), written where cli runs."""
    message = f"PAYBOT-B{batch}"
    report = StatusReport(
        level,
        message,
        status,
        original_payment_info_id=f"{message}-1" if level is not StatusLevel.GROUP else None,
        original_end_to_end_id=e2e or None,
        reason_codes=(code,) if code else (),
    )
    reports = [report]
    if level is not StatusLevel.GROUP:
        reports.insert(0, StatusReport(StatusLevel.GROUP, message, "PART"))
    if level is StatusLevel.TRANSACTION:
        reports.insert(1, StatusReport(StatusLevel.PAYMENT_INFO, message, "PART", f"{message}-1"))
    out = io.BytesIO()
    write_pain002(out, reports, message_id=name[:35], created_at=datetime(2026, 11, 24, tzinfo=UTC))
    Path(name).write_bytes(out.getvalue())
    return name


def booking(
    name: str,
    e2e: str,
    amount: Decimal,
    currency: str = "NOK",
    *,
    account: str = ACCOUNT,
    returned: str | None = None,
) -> bytes:
    """A camt.054 booking (or, with `returned`, the return) of one send on `account`."""
    entry = Entry(
        account=account,
        amount=amount,
        currency=currency,
        direction="CRDT" if returned else "DBIT",
        status="BOOK",
        booking_date=date(2026, 11, 25),
        value_date=date(2026, 11, 25),
        bank_reference=f"REF-{e2e}"[:35],
        transactions=(
            EntryTransaction(
                end_to_end_id=e2e, amount=amount, currency=currency, return_reason=returned
            ),
        ),
    )
    out = io.BytesIO()
    notice = Notification(name[:35], datetime(2026, 11, 25, tzinfo=UTC), "camt.054.001.02")
    write_camt054(out, notice, [entry])
    return out.getvalue()


def take(cli: Cli, name: str, data: bytes | None = None) -> str:
    if data is not None:
        Path(name).write_bytes(data)
    return cli("returns", "ingest", name)


# 1. A late rejection of an earlier send


def test_a_late_rejection_of_an_earlier_send_never_fails_the_current_one(
    acme: dict[str, int], cli: Cli
) -> None:
    use_folders(cli)
    payment = acme["1001"]
    first, second = f"PAYBOT-P{payment}-1", f"PAYBOT-P{payment}-2"
    sign(cli, payment)
    cli("dispatch", "--now", SEND_AT)
    rejected = take(
        cli,
        status_report(cli, "sts-1.xml", 1, StatusLevel.TRANSACTION, "RJCT", e2e=first, code="AC04"),
    )
    assert "0 paid, 1 failed" in rejected
    sign(cli, payment)
    cli("dispatch", "--now", LATER)
    assert cli.payment(payment)["status"] == "processing"

    # The bank repeats its report about send 1 (new MsgId), then the whole file, then its block.
    for report in (
        status_report(
            cli, "sts-1-again.xml", 1, StatusLevel.TRANSACTION, "RJCT", e2e=first, code="AC04"
        ),
        status_report(cli, "sts-1-file.xml", 1, StatusLevel.GROUP, "RJCT", code="FF01"),
        status_report(cli, "sts-1-block.xml", 1, StatusLevel.PAYMENT_INFO, "RJCT", code="AM04"),
    ):
        said = take(cli, report)
        assert "0 paid, 0 failed, 0 status update(s)" in said
        assert "1 moving nothing (about earlier sends, or said before)" in said
        assert cli.payment(payment)["status"] == "processing", report

    refused = cli("payments", "sign", str(payment), "--as", "U1", "--code", cli.code(), ok=False)
    assert "is processing and cannot be signed" in refused
    assert "Nothing is due to be sent." in cli("dispatch", "--now", DAYS_LATER)
    assert sent(cli) == Counter({first: 1, second: 1})
    # The rejection of send 2 itself still fails the payment.
    assert "1 failed" in take(
        cli,
        status_report(
            cli, "sts-2.xml", 2, StatusLevel.TRANSACTION, "RJCT", e2e=second, code="AC04"
        ),
    )
    assert cli.payment(payment)["status"] == "failed"


# 2. The booking wins


def test_a_booking_of_a_send_thought_lost_pays_the_payment_and_cancels_its_resend(
    acme: dict[str, int], cli: Cli
) -> None:
    use_folders(cli)
    payment = acme["1001"]
    sign(cli, payment)
    cli("dispatch", "--now", SEND_AT)
    cli("returns", "check-missing", "--now", DAYS_LATER)
    bank_takes(cli)
    cli("payments", "resolve-missing", str(payment), "--as", "U1", "--money-not-left")
    assert "now due" in sign(cli, payment)

    booked = take(
        cli, "late-camt.xml", booking("LATE-1", f"PAYBOT-P{payment}-1", Decimal("3450.75"))
    )

    assert "1 paid" in booked
    assert "ALARM" in booked and "booked by the bank after all" in booked
    assert cli.payment(payment)["status"] == "paid"
    assert "Nothing is due to be sent." in cli("dispatch", "--now", DAYS_LATER)
    assert sent(cli) == Counter({f"PAYBOT-P{payment}-1": 1})
    assert "intact" in cli("audit", "verify")


def test_a_booking_of_an_old_send_while_a_new_one_is_at_the_bank_holds_the_payment(
    acme: dict[str, int], cli: Cli
) -> None:
    use_folders(cli)
    payment = acme["1001"]
    first, second = f"PAYBOT-P{payment}-1", f"PAYBOT-P{payment}-2"
    sign(cli, payment)
    cli("dispatch", "--now", SEND_AT)
    cli("returns", "check-missing", "--now", DAYS_LATER)
    bank_takes(cli)
    cli("payments", "resolve-missing", str(payment), "--as", "U1", "--money-not-left")
    sign(cli, payment)
    cli("dispatch", "--now", DAYS_LATER)

    held = take(cli, "late-camt.xml", booking("LATE-1", first, Decimal("3450.75")))

    assert "1 on hold" in held
    assert f"stop {second} in the netbank" in held
    shown = cli.payment(payment)
    assert (shown["status"], shown["failure"]["kind"]) == ("on_hold", "twice")
    assert "cannot be signed" in cli(
        "payments", "sign", str(payment), "--as", "U1", "--code", cli.code(), ok=False
    )
    assert "needs the signer role" in cli(
        "payments", "resolve-hold", str(payment), "--as", "U2", "--paid", ok=False
    )
    settled = cli("payments", "resolve-hold", str(payment), "--as", "U1", "--paid")
    assert f"Payment {payment} is Paid" in settled
    assert cli.payment(payment)["status"] == "paid"
    assert sent(cli) == Counter({first: 1, second: 1})
    # Should send 2 leave after all, the money has left twice: said at once.
    twice = take(cli, "second-camt.xml", booking("LATE-2", second, Decimal("3450.75")))
    assert "left twice" in twice


# 3. Returned money


def test_money_that_comes_back_reopens_a_paid_payment_with_an_alarm(
    acme: dict[str, int], cli: Cli
) -> None:
    use_folders(cli)
    payment = acme["1001"]
    first = f"PAYBOT-P{payment}-1"
    sign(cli, payment)
    cli("dispatch", "--now", SEND_AT)
    take(cli, "booked.xml", booking("B-1", first, Decimal("3450.75")))
    assert cli.payment(payment)["status"] == "paid"

    back = take(cli, "returned.xml", booking("R-1", first, Decimal("3450.75"), returned="AC04"))

    assert "1 returned" in back and "ALARM" in back and "came back" in back
    shown = cli.payment(payment)
    assert (shown["status"], shown["failure"]["kind"]) == ("failed", "returned")
    assert "The account is closed (AC04)" in shown["failure"]["reason"]
    # A late repeat of the booking does not make it Paid again.
    again = take(cli, "booked-again.xml", booking("B-1-AGAIN", first, Decimal("3450.75")))
    assert "0 paid" in again
    assert cli.payment(payment)["status"] == "failed"


def test_a_rejection_after_the_booking_is_a_return(acme: dict[str, int], cli: Cli) -> None:
    use_folders(cli)
    payment = acme["1001"]
    first = f"PAYBOT-P{payment}-1"
    sign(cli, payment)
    cli("dispatch", "--now", SEND_AT)
    take(cli, status_report(cli, "acsc.xml", 1, StatusLevel.TRANSACTION, "ACSC", e2e=first))
    assert cli.payment(payment)["status"] == "paid"

    late = take(
        cli,
        status_report(cli, "rjct.xml", 1, StatusLevel.TRANSACTION, "RJCT", e2e=first, code="AC04"),
    )

    assert "1 returned" in late and "ALARM" in late
    assert cli.payment(payment)["failure"]["kind"] == "returned"


# 4. A file speaks only for its company, account and batch


def test_a_return_file_cannot_pay_another_companys_payment(acme: dict[str, int], cli: Cli) -> None:
    use_folders(cli)
    cli("company", "add", "--org-no", OTHER_ORG, "--name", "Beta AS", "--account", OTHER_ACCOUNT)
    cli("company", "set", "--org-no", OTHER_ORG, "--timing", "immediate")
    cli(
        "users",
        "add",
        "--company",
        OTHER_ORG,
        "--slack-user",
        "U1",
        "--name",
        "Kari",
        "--role",
        "signer",
    )
    cli("import", "suppliers", str(EXAMPLES / "suppliers.csv"), "--company", OTHER_ORG)
    cli("import", "open-items", str(EXAMPLES / "open-items.csv"), "--company", OTHER_ORG)
    cli("proposals", "refresh", "--company", OTHER_ORG)
    use_folders(cli, OTHER_ACCOUNT, OTHER_ORG)
    theirs = {
        p["voucher_no"]: int(p["id"])
        for p in cli.json("proposals", "list", "--company", OTHER_ORG)["payments"]
    }["1001"]
    ours = acme["1001"]
    sign(cli, theirs)
    sign(cli, ours)
    cli("dispatch", "--now", SEND_AT)
    their_send = f"PAYBOT-P{theirs}-1"

    # In our inbox, for our account, booking their payment with 0.01 EUR.
    inbox(cli).mkdir(parents=True, exist_ok=True)
    (inbox(cli) / "forged.xml").write_bytes(
        booking("FORGED", their_send, Decimal("0.01"), "EUR", account=ACCOUNT)
    )
    polled = cli("returns", "poll")

    assert "forged.xml (camt.054): 0 paid" in polled
    assert f"Not applied (not this file's): {their_send}" in polled
    assert "ALARM" in polled
    assert cli.payment(theirs)["status"] == "processing"
    # By hand, a file for our account cannot book a send paid from theirs either.
    by_hand = take(
        cli, "by-hand.xml", booking("BY-HAND", their_send, Decimal("9000"), account=ACCOUNT)
    )
    assert "0 paid" in by_hand and their_send in by_hand
    assert cli.payment(theirs)["status"] == "processing"
    # Their own bank's booking of their own payment is taken.
    own = take(
        cli, "own.xml", booking("OWN", their_send, Decimal("3450.75"), account=OTHER_ACCOUNT)
    )
    assert "1 paid" in own


def test_a_booking_of_another_amount_holds_the_payment_naming_both(
    acme: dict[str, int], cli: Cli
) -> None:
    use_folders(cli)
    payment = acme["1001"]
    sign(cli, payment)
    cli("dispatch", "--now", SEND_AT)

    held = take(cli, "cent.xml", booking("CENT", f"PAYBOT-P{payment}-1", Decimal("0.01"), "EUR"))

    assert "0 paid" in held and "1 on hold" in held
    assert "EUR 0.01" in held and "NOK 3,450.75" in held
    assert cli.payment(payment)["status"] == "on_hold"
    not_paid = cli("payments", "resolve-hold", str(payment), "--as", "U1", "--not-paid")
    assert "is Failed, not paid" in not_paid
    assert "now due" in sign(cli, payment)


def test_a_status_report_about_another_batch_is_not_applied(acme: dict[str, int], cli: Cli) -> None:
    use_folders(cli)
    one, other = acme["1001"], acme["1006"]
    sign(cli, one)
    cli("dispatch", "--now", SEND_AT)
    sign(cli, other)
    cli("dispatch", "--now", LATER)

    # A report "about batch 1" naming a transaction of batch 2.
    report = status_report(
        cli, "mixed.xml", 1, StatusLevel.TRANSACTION, "RJCT", e2e=f"PAYBOT-P{other}-1", code="AC01"
    )
    taken = take(cli, report)

    assert "0 failed" in taken and f"PAYBOT-P{other}-1" in taken
    assert cli.payment(other)["status"] == "processing"


# 7. Uploads that did not happen


def test_an_upload_the_bank_never_got_is_tried_again_not_recorded_as_sent(
    acme: dict[str, int], cli: Cli
) -> None:
    bank = ("bank", "set", "--company", ORG, "--account", ACCOUNT)
    cli(*bank, "--sandbox-unreachable")
    payment = acme["1001"]
    sign(cli, payment)

    refused = cli("dispatch", "--now", SEND_AT, ok=False)

    assert "Could not deliver PAYBOT-B1; it did not reach the bank" in refused
    assert "paybot tries again at 2026-11-23 12:01 CET" in refused
    assert cli.payment(payment)["status"] == "due"
    waits = cli("dispatch", "--now", SEND_AT)  # not yet
    assert "PAYBOT-B1 did not reach the bank yet; tried again at 2026-11-23 12:01 CET." in waits
    cli(*bank, "--sandbox-reachable")
    assert "Sent batch 1" in cli("dispatch", "--now", "2026-11-23T12:02")
    assert cli.payment(payment)["status"] == "processing"
    assert "1 paid" in cli("returns", "poll")
    assert cli.payment(payment)["status"] == "paid"


def test_a_paid_payment_keeps_no_old_failure(acme: dict[str, int], cli: Cli) -> None:
    use_folders(cli)
    payment = acme["1001"]
    sign(cli, payment)
    cli("dispatch", "--now", SEND_AT)
    cli("returns", "check-missing", "--now", DAYS_LATER)
    assert cli.payment(payment)["failure"]["kind"] == "no_return"

    take(cli, "late.xml", booking("LATE", f"PAYBOT-P{payment}-1", Decimal("3450.75")))

    shown = cli.payment(payment)
    assert shown["status"] == "paid" and not shown.get("failure")
    assert "No answer" not in cli("payments", "show", str(payment))


# 11. One poll run goes on past a bad inbox


def test_one_poll_goes_on_past_an_inbox_it_cannot_read_and_says_which(
    acme: dict[str, int], cli: Cli
) -> None:
    use_folders(cli)
    cli("company", "add", "--org-no", OTHER_ORG, "--name", "Beta AS", "--account", OTHER_ACCOUNT)
    payment = acme["1001"]
    sign(cli, payment)
    cli("dispatch", "--now", SEND_AT)
    broken = inbox(cli, OTHER_ACCOUNT)
    broken.parent.mkdir(parents=True, exist_ok=True)
    if broken.is_dir():
        broken.rmdir()
    broken.write_text("not a folder")  # Beta's inbox is not a folder at all
    inbox(cli).mkdir(parents=True, exist_ok=True)
    (inbox(cli) / "booked.xml").write_bytes(
        booking("OK", f"PAYBOT-P{payment}-1", Decimal("3450.75"))
    )

    polled = cli("returns", "poll", ok=False)  # exit 1: something could not be read

    assert "booked.xml (camt.054): 1 paid" in polled
    assert f"inbox of {OTHER_ACCOUNT}: could not be read" in polled
    assert cli.payment(payment)["status"] == "paid"


def test_a_file_taken_but_not_archived_says_so_and_is_not_taken_twice(
    acme: dict[str, int], cli: Cli
) -> None:
    use_folders(cli)
    payment = acme["1001"]
    sign(cli, payment)
    cli("dispatch", "--now", SEND_AT)
    inbox(cli).mkdir(parents=True, exist_ok=True)
    if (inbox(cli) / "processed").is_dir():
        (inbox(cli) / "processed").rmdir()
    (inbox(cli) / "processed").write_text("a file where the archive folder should be")
    (inbox(cli) / "booked.xml").write_bytes(
        booking("OK", f"PAYBOT-P{payment}-1", Decimal("3450.75"))
    )

    first = cli("returns", "poll")
    again = cli("returns", "poll")

    assert "booked.xml (camt.054): 1 paid" in first
    assert "Taken, but left in the inbox" in first and "processed is a file" in first
    assert "booked.xml: applied before; nothing changed." in again
    assert cli.payment(payment)["status"] == "paid"


# 5. Dual control remembers every editor


def test_a_signer_who_changed_the_account_never_signs_alone_whoever_edits_after(
    acme: dict[str, int], cli: Cli, tmp_path: Path
) -> None:
    (tmp_path / "new.csv").write_text(
        "voucher_no;invoice_no;supplier_name;supplier_org_no;account;amount;currency;"
        "invoice_date;due_date;reference_type;reference\n"
        "2001;N-1;Ny Leverandør AS;920000010;;9 000,00;NOK;2026-11-20;2026-12-10;kid;0000001230\n",
        encoding="utf-8",
    )
    cli("import", "open-items", "new.csv", "--company", ORG)
    cli("proposals", "refresh", "--company", ORG)
    cli(
        "users",
        "add",
        "--company",
        ORG,
        "--slack-user",
        "U3",
        "--name",
        "Anders",
        "--role",
        "approver",
    )
    payment = {
        p["voucher_no"]: int(p["id"])
        for p in cli.json("proposals", "list", "--company", ORG)["payments"]
    }["2001"]

    # The signer puts in an account (their own, say); an approver then corrects the reference.
    cli("payments", "fix", str(payment), "--as", "U1", "--account", "1234.56.78903")
    cli("payments", "fix", str(payment), "--as", "U3", "--reference", "0000001248")

    alone = sign(cli, payment)

    assert "1 of 2" in alone and "you changed the account or reference" in alone
    assert cli.payment(payment)["status"] == "approved"
    assert "Nothing is due to be sent." in cli("dispatch", "--now", SEND_AT)


def test_the_money_did_not_leave_is_refused_while_its_file_still_waits_in_the_outbox(
    acme: dict[str, int], cli: Cli
) -> None:
    """Else the outbox would hold two files paying one invoice: whoever uploads it sends both."""
    use_folders(cli)
    payment = acme["1001"]
    sign(cli, payment)
    cli("dispatch", "--now", SEND_AT)
    cli("returns", "check-missing", "--now", DAYS_LATER)
    resolve = ("payments", "resolve-missing", str(payment), "--as", "U1", "--money-not-left")

    refused = cli(*resolve, ok=False)

    assert "PAYBOT-B1.xml, the file that pays payment" in refused
    assert "still waiting in the bank's outbox" in refused
    assert cli.payment(payment)["failure"]["kind"] == "no_return"
    (outbox(cli) / "PAYBOT-B1.xml").unlink()  # a person takes it out
    assert "stays Failed" in cli(*resolve)
    sign(cli, payment)
    cli("dispatch", "--now", DAYS_LATER)
    assert sent(cli) == Counter({f"PAYBOT-P{payment}-2": 1})


def test_money_that_comes_back_after_the_payment_was_posted_raises_an_alarm_and_pays_nothing(
    acme: dict[str, int], cli: Cli
) -> None:
    """Posting adds a state after Paid: money that comes back then is not lost on it, and the
    payment is not sent again on its own — a person hears of it and reverses the voucher."""
    use_folders(cli)
    payment = acme["1001"]
    first = f"PAYBOT-P{payment}-1"
    sign(cli, payment)
    cli("dispatch", "--now", SEND_AT)
    take(cli, "booked.xml", booking("B-1", first, Decimal("3450.75")))
    assert "as voucher 1" in cli("post", "--company", ORG, "--as", "U1", str(payment))

    back = take(cli, "returned.xml", booking("R-1", first, Decimal("3450.75"), returned="AC04"))

    assert "ALARM" in back and "came back" in back
    assert cli.payment(payment)["status"] == "posted"
    sent = sorted(outbox(cli).glob("*.xml"))
    cli("dispatch", "--now", "2026-12-31T12:00:00+00:00")
    assert sorted(outbox(cli).glob("*.xml")) == sent  # nothing sent again
