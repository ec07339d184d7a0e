"""The README's flow through the real `paybot` command line, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
from typer.testing import CliRunner

from paybot.cli import context
from paybot.cli.main import app
from paybot.container import reset as reset_container
from paybot.core.otp import code_at
from paybot.services.secrets import SecretBox

SUPPLIERS = (Path(__file__).parents[2] / "examples" / "suppliers.csv").read_text(encoding="utf-8")

OPEN_ITEMS = "\ufeff" + (Path(__file__).parents[2] / "examples" / "open-items.csv").read_text(
    encoding="utf-8"
)


class Cli:
    """Runs `paybot` in-process, on a clock the test moves (one-time codes need it)."""

    def __init__(self, runner: CliRunner) -> None:
        self.runner = runner
        self.now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def code(self, secret: str) -> str:
        """The code a phone shows 30 seconds later than the last one asked for."""
        self.now += timedelta(seconds=30)
        return code_at(secret, self.now)

    def __call__(self, *args: str, ok: bool = True) -> str:
        result = self.runner.invoke(app, list(args))
        output = result.stdout + (result.stderr or "")
        assert (result.exit_code == 0) is ok, output
        return output

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json"))


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Cli]:
    monkeypatch.setenv("PAYBOT_DATABASE_URL", database_url)
    monkeypatch.setenv("PAYBOT_SECRET_KEY", SecretBox.new_key())
    monkeypatch.chdir(tmp_path)
    reset_container()
    runner = Cli(CliRunner())
    monkeypatch.setattr(context, "now", lambda: runner.now)
    yield runner
    reset_container()


@pytest.fixture
def company(cli: Cli, tmp_path: Path) -> Cli:
    cli(
        "company",
        "add",
        "--org-no",
        "974 760 673",
        "--name",
        "Acme AS",
        "--account",
        "8601.11.17947",
        "--bank",
        "DNB",
        "--timing",
        "2d",
    )
    cli(
        "users",
        "add",
        "--company",
        "974760673",
        "--slack-user",
        "U1",
        "--name",
        "Kari",
        "--role",
        "approver",
        "--role",
        "signer",
    )
    cli(
        "users",
        "add",
        "--company",
        "974760673",
        "--slack-user",
        "U2",
        "--name",
        "Ola",
        "--role",
        "viewer",
    )
    (tmp_path / "suppliers.csv").write_text(SUPPLIERS, encoding="utf-8")
    (tmp_path / "items.csv").write_text(OPEN_ITEMS, encoding="utf-8")
    return cli


def by_voucher(listing: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {payment["voucher_no"]: payment for payment in listing["payments"]}


def test_company_setup_is_listed_as_json(company: Cli) -> None:
    [acme] = company.json("company", "list")["companies"]
    assert acme["org_no"] == "974760673"
    assert acme["dispatch_timing"] == "2d"
    assert acme["accounts"][0]["account"] == "86011117947"


def test_import_refresh_and_flags(company: Cli) -> None:
    assert "3 new" in company("import", "suppliers", "suppliers.csv", "--company", "974760673")
    out = company("import", "open-items", "items.csv", "--company", "974760673")
    assert "6 new, 0 unchanged" in out
    again = company("import", "open-items", "items.csv", "--company", "974760673")
    assert "0 new, 6 unchanged" in again
    assert "6 new proposal(s)" in company("proposals", "refresh", "--company", "974760673")

    payments = by_voucher(company.json("proposals", "list", "--company", "974760673"))
    assert payments["1001"]["flag"] == "orange"
    assert payments["1001"]["reasons"] == ["open_credit_items"]
    assert payments["1001"]["amount"] == "3450.75"
    assert payments["1002"]["flag"] == "red"
    assert payments["1003"]["flag"] == "blue"
    assert payments["1003"]["due_date"] == "2026-12-01"
    assert payments["1004"]["reasons"] == ["missing_account", "invalid_kid"]
    assert payments["1005"]["reasons"] == ["account_changed", "possible_duplicate"]
    assert payments["1006"]["reasons"] == ["possible_duplicate"]
    assert set(payments["1001"]) >= {
        "id",
        "status",
        "flag",
        "reasons",
        "payee",
        "account",
        "amount",
        "currency",
        "due_date",
        "reference_type",
        "reference",
        "voucher_no",
        "invoice_no",
    }


def test_a_bad_row_names_file_line_and_column_and_imports_nothing(
    company: Cli, tmp_path: Path
) -> None:
    bad = OPEN_ITEMS.replace("12 000,00", "12.000,00,1")
    (tmp_path / "bad.csv").write_text(bad, encoding="utf-8")
    out = company("import", "open-items", "bad.csv", "--company", "974760673", ok=False)
    assert "bad.csv:4: amount:" in out
    assert "0 new proposal(s)" in company("proposals", "refresh", "--company", "974760673")


def test_approve_sign_delete_restore_fix_and_search(company: Cli) -> None:
    company("import", "suppliers", "suppliers.csv", "--company", "974760673")
    company("import", "open-items", "items.csv", "--company", "974760673")
    company("proposals", "refresh", "--company", "974760673")
    ids = {v: p["id"] for v, p in by_voucher(company.json("proposals", "list")).items()}

    assert "may not approve" in company(
        "payments", "approve", str(ids["1003"]), "--as", "U2", ok=False
    )
    assert "now approved" in company("payments", "approve", str(ids["1003"]), "--as", "U1")
    enrollment = company("otp", "enroll", "--company", "974760673", "--slack-user", "U1")
    secret = pyotp.parse_uri(enrollment.split("add this link: ")[1].split()[0]).secret
    assert "active" in company(
        "otp", "confirm", "--slack-user", "U1", "--code", company.code(secret)
    )
    wrong = company(
        "payments", "sign", str(ids["1003"]), "--as", "U1", "--code", "000000", ok=False
    )
    assert "not right" in wrong
    assert "now due" in company(
        "payments", "sign", str(ids["1003"]), "--as", "U1", "--code", company.code(secret)
    )
    assert "cannot be approved" in company(
        "payments", "approve", str(ids["1003"]), "--as", "U1", ok=False
    )
    assert "now deleted" in company("payments", "delete", str(ids["1001"]), "--as", "U1")
    assert "now proposed" in company("payments", "restore", str(ids["1001"]), "--as", "U1")

    refused = company(
        "payments", "fix", str(ids["1004"]), "--as", "U1", "--account", "123", ok=False
    )
    assert "account" in refused
    fixed = company(
        "payments",
        "fix",
        str(ids["1004"]),
        "--as",
        "U1",
        "--account",
        "1503.01.00007",
        "--reference-type",
        "kid",
        "--reference",
        "0000001230",
    )
    assert "flag blue" in fixed

    orange = company.json("payments", "show", str(ids["1001"]))
    assert [(c["voucher_no"], c["amount"]) for c in orange["open_credit_items"]] == [
        ("1002", "-500.00")
    ]
    shown = company.json("payments", "show", str(ids["1003"]))
    assert shown["status"] == "due"
    assert [e["action"] for e in shown["history"]] == [
        "payment.propose",
        "payment.refused",  # U2 may not approve
        "payment.approve",
        "payment.sign",
        "payment.refused",  # approving a due payment
    ]
    assert "intact" in company("audit", "verify")

    found = company.json("search", "company:renhold", "amount:>1000", "status:due")
    assert [p["voucher_no"] for p in found["payments"]] == ["1003"]
    found = company.json("search", "to:1234 56 78903")
    assert {p["voucher_no"] for p in found["payments"]} == {"1001", "1002"}
    found = company.json("search", "due:2026-12-02..2026-12-06", "currency:NOK")
    assert [p["voucher_no"] for p in found["payments"]] == ["1004"]
    assert "amount:" in company("search", "amount:abc", ok=False)


def test_commands_refuse_an_unmigrated_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PAYBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    reset_container()
    cli = Cli(CliRunner())
    assert "paybot db upgrade" in cli("company", "list", ok=False)
    assert "Upgraded" in cli("db", "upgrade")
    assert "No companies yet" in cli("company", "list")
    reset_container()


def test_a_whole_query_in_one_argument_is_understood(company: Cli) -> None:
    company("import", "suppliers", "suppliers.csv", "--company", "974760673")
    company("import", "open-items", "items.csv", "--company", "974760673")
    company("proposals", "refresh", "--company", "974760673")
    found = company.json("search", "company:renhold amount:>1000")
    assert [p["voucher_no"] for p in found["payments"]] == ["1003"]
    found = company.json("search", 'company:"Renhold Vest" status:proposed')
    assert {p["voucher_no"] for p in found["payments"]} == {"1003", "1004"}


def test_a_person_is_not_renamed_by_accident(company: Cli) -> None:
    refused = company(
        "users",
        "add",
        "--company",
        "974760673",
        "--slack-user",
        "U1",
        "--name",
        "Kari Other",
        "--role",
        "viewer",
        ok=False,
    )
    assert "known as Kari" in refused
    renamed = company(
        "users", "set", "--company", "974760673", "--slack-user", "U1", "--name", "Kari Nordmann"
    )
    assert renamed.startswith("Kari Nordmann (U1)")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgres://postgres@127.0.0.1/x", "postgresql+psycopg://"),
        ("postgresql+psycopg://postgres@127.0.0.1:1/x", "Cannot use the database"),
        ("nonsense", "not a database URL"),
    ],
)
def test_a_wrong_database_setting_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, url: str, message: str
) -> None:
    monkeypatch.setenv("PAYBOT_DATABASE_URL", url)
    reset_container()
    result = CliRunner().invoke(app, ["company", "list"])
    reset_container()
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_postgresql_without_its_driver_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """psycopg is the optional extra `postgres`: an install without it is told so."""
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if it were not installed
    monkeypatch.setenv("PAYBOT_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1/x")
    reset_container()
    result = CliRunner().invoke(app, ["company", "list"])
    reset_container()
    assert result.exit_code == 1
    assert "needs the database driver 'psycopg'" in result.stderr
    assert "pip install 'paybot[postgres]'" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_no_database_file_is_made_by_a_command_that_needs_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PAYBOT_DATABASE_URL", raising=False)
    reset_container()
    result = CliRunner().invoke(app, ["company", "list"])
    reset_container()
    assert f"There is no paybot database at {tmp_path / 'paybot.db'}" in result.stderr
    assert not (tmp_path / "paybot.db").exists()


def test_company_settings_make_approval_required_and_two_signers_above_a_threshold(
    company: Cli,
) -> None:
    out = company(
        "company",
        "set",
        "--org-no",
        "974760673",
        "--approval-required",
        "--dual-control-above",
        "10 000",
    )
    assert "approval required, two signers above NOK 10,000.00" in out
    company("import", "suppliers", "suppliers.csv", "--company", "974760673")
    company("import", "open-items", "items.csv", "--company", "974760673")
    company("proposals", "refresh", "--company", "974760673")
    ids = {v: p["id"] for v, p in by_voucher(company.json("proposals", "list")).items()}
    enrollment = company("otp", "enroll", "--company", "974760673", "--slack-user", "U1")
    secret = pyotp.parse_uri(enrollment.split("add this link: ")[1].split()[0]).secret
    company("otp", "confirm", "--slack-user", "U1", "--code", company.code(secret))
    refused = company(
        "payments",
        "sign",
        str(ids["1003"]),
        "--as",
        "U1",
        "--code",
        company.code(secret),
        ok=False,
    )
    assert "must be approved before it is signed" in refused
    company("payments", "approve", str(ids["1003"]), "--as", "U1")
    first = company(
        "payments", "sign", str(ids["1003"]), "--as", "U1", "--code", company.code(secret)
    )
    assert "1 of 2 signatures" in first


def test_the_audit_log_shows_events_without_a_payment(company: Cli) -> None:
    company("users", "set", "--company", "974760673", "--slack-user", "U1", "--max-per-day", "5000")
    events = company.json("audit", "log", "--action", "user.")["events"]
    assert [e["action"] for e in events][-1] == "user.set"
    assert events[-1]["after"]["max_per_day"] == "5000.00"
    assert "user.set" in company("audit", "log", "--limit", "3")


def enroll(cli: Cli, user: str) -> str:
    """Enrolls and confirms `user`'s authenticator; returns its secret."""
    enrollment = cli("otp", "enroll", "--company", "974760673", "--slack-user", user)
    secret = pyotp.parse_uri(enrollment.split("add this link: ")[1].split()[0]).secret
    cli("otp", "confirm", "--slack-user", user, "--code", cli.code(secret))
    return secret


def test_a_signature_pins_the_version_shown_and_a_first_one_says_why_it_waits(
    company: Cli,
) -> None:
    company("import", "suppliers", "suppliers.csv", "--company", "974760673")
    company("import", "open-items", "items.csv", "--company", "974760673")
    company("proposals", "refresh", "--company", "974760673")
    company(
        "users", "add", "--company", "974760673", "--slack-user", "U3", "--name", "Per",
        "--role", "signer",
    )  # fmt: skip
    kari, per = enroll(company, "U1"), enroll(company, "U3")
    payment = str(by_voucher(company.json("proposals", "list"))["1003"]["id"])
    assert company.json("payments", "show", payment)["details_version"] == 1
    company("payments", "fix", payment, "--as", "U1", "--reference", "Faktura R-7 rettet")
    assert "details_version: 2" in company("payments", "show", payment)

    code = company.code(kari)
    old = company("payments", "sign", f"{payment}@1", "--as", "U1", "--code", code, ok=False)
    assert f"Payment {payment} changed since you opened this — look again." in old
    first = company("payments", "sign", f"{payment}@2", "--as", "U1", "--code", code)
    assert first.strip() == (
        f"Signed payment {payment} (Renhold Vest AS): 1 of 2 signatures — a second signer is "
        "needed because you changed the account or reference."
    )
    again = company(
        "payments", "sign", payment, "--as", "U1", "--code", company.code(kari), ok=False
    )
    assert (
        f"You have signed payment {payment} already; it needs a second signer because you "
        "changed the account or reference." in again
    )
    done = company("payments", "sign", f"{payment}@2", "--as", "U3", "--code", company.code(per))
    assert "now due" in done
    wrong = company("payments", "sign", f"{payment}@x", "--as", "U3", "--code", "1", ok=False)
    assert "ID@VERSION" in wrong and "Traceback" not in wrong
