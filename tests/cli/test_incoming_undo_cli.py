"""`paybot incoming undo` through the real command line, on SQLite and PostgreSQL: a hand posting
and a hand match undone (a reversing voucher, the invoice open again, the payment unmatched), the
refusals naming the payment, and `ledger balance` back at zero on the accounts involved."""

from __future__ import annotations

from pathlib import Path

from tests.builders import ORG_NO, SIGNER, VIEWER
from tests.cli.test_incoming_cli import Cli, cli, files

__all__ = ["cli", "files"]  # fixtures, used by name

WHO = SIGNER.slack_user_id


def unmatched_ids(cli: Cli, files: dict[str, Path]) -> list[int]:
    cli("import", "customer-items", str(files["items"]), "--company", ORG_NO)
    cli("incoming", "ingest", str(files["unknown.ocr"]))
    listed = cli.json("incoming", "list", "--company", ORG_NO, "--status", "unmatched")
    return [p["id"] for p in listed["payments"]]


def test_a_hand_posting_undone_is_reversed_and_the_payment_waits_again(
    cli: Cli, files: dict[str, Path]
) -> None:
    first, _ = unmatched_ids(cli, files)
    cli("incoming", "post", str(first), "--account", "3900", "--text", "NAV", "--as", WHO)

    out = cli("incoming", "undo", str(first), "--as", WHO)

    assert out.strip() == (
        f"Undid the hand posting of incoming payment {first} to 3900: voucher 1 of 2026 is "
        "reversed by voucher 2 of 2026. The payment is unmatched again: post it or match it by "
        "hand."
    )
    waiting = cli.json("incoming", "list", "--company", ORG_NO, "--status", "unmatched")
    assert first in [p["id"] for p in waiting["payments"]]
    accounts = cli.json("ledger", "balance", "--company", ORG_NO)["accounts"]
    assert {(a["account"], a["debit"], a["credit"], a["balance"]) for a in accounts} == {
        ("1920", "250.00", "250.00", "0.00"),
        ("3900", "250.00", "250.00", "0.00"),
    }

    again = cli("incoming", "undo", str(first), "--as", WHO, ok=False)
    assert f"Incoming payment {first} is unmatched: there is nothing to undo" in again

    reposted = cli(
        "incoming", "post", str(first), "--account", "3400", "--text", "NAV", "--as", WHO
    )
    assert reposted.strip() == f"Posted incoming payment {first} to 3400 as voucher 3 of 2026."


def test_a_hand_match_undone_opens_the_invoice_again(cli: Cli, files: dict[str, Path]) -> None:
    _, second = unmatched_ids(cli, files)
    cli("incoming", "match", str(second), "--invoice", "F-3", "--as", WHO)  # NOK 100 of 300

    out = cli("incoming", "undo", str(second), "--as", WHO)

    assert out.strip() == (
        f"Undid the hand match of incoming payment {second} to invoice F-3: voucher 1 of 2026 "
        "is reversed by voucher 2 of 2026. Invoice F-3 is open for NOK 100.00 more again. The "
        "payment is unmatched again: post it or match it by hand."
    )
    [shown] = [
        p
        for p in cli.json("incoming", "list", "--company", ORG_NO)["payments"]
        if p["id"] == second
    ]
    assert (shown["status"], shown["invoice"], shown["voucher"]) == ("unmatched", None, None)


def test_undo_refusals_name_the_payment_and_say_why(cli: Cli, files: dict[str, Path]) -> None:
    first, second = unmatched_ids(cli, files)
    cli("incoming", "post", str(first), "--account", "3900", "--text", "NAV", "--as", WHO)
    cli("incoming", "delete", str(second), "--reason", "Paid twice", "--as", WHO)

    viewer = cli("incoming", "undo", str(first), "--as", VIEWER.slack_user_id, ok=False)
    deleted = cli("incoming", "undo", str(second), "--as", WHO, ok=False)
    missing = cli("incoming", "undo", "9999", "--as", WHO, ok=False)
    never = cli("incoming", "undo", str(first), ok=False)  # --as is required

    assert "may not handle incoming payments in Acme AS" in viewer
    assert f"Incoming payment {second} is deleted (Paid twice)" in deleted
    assert "No incoming payment 9999" in missing
    assert "--as" in never


def test_undo_has_help_saying_what_it_does(cli: Cli) -> None:
    out = " ".join(cli("incoming", "undo", "--help").split())
    assert "reversing voucher" in out and "unmatched again" in out
    assert "A match by KID is not undone" in out
