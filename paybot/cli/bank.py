"""`paybot bank` and `paybot dispatch`: bank accounts, and payment files to the bank."""

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from paybot.bank.gateway import GatewayKind
from paybot.cli import context as ctx
from paybot.core.errors import ValidationFailed

if TYPE_CHECKING:
    from paybot.services.bank_accounts import AccountOverview

bank_app = ctx.group("Bank accounts and how their files reach the bank.")


class FileFormat(StrEnum):
    """paybot.core.bankfiles.model.Pain001Version's values (tests/cli/test_cli_startup.py holds
    them equal), for `--format`: the bank file model takes longer to load than `--help` runs."""

    V03 = "pain.001.001.03"
    V09 = "pain.001.001.09"


class ProfileName(StrEnum):
    """paybot.core.bank_profiles.PROFILE_NAMES, and `auto` (tests/cli/test_cli_startup.py holds
    them equal), for `--profile`: the profiles take longer to load than `--help` runs."""

    AUTO = "auto"
    GENERIC = "generic"
    DNB = "dnb"
    NORDEA = "nordea"
    SPAREBANK1 = "sparebank1"
    HANDELSBANKEN = "handelsbanken"
    DANSKEBANK = "danskebank"


CompanyOption = Annotated[
    str, typer.Option(metavar="ORG_NO", help="The company's organisation number.")
]


@bank_app.command("set")
def bank_set(
    company: CompanyOption,
    account: Annotated[str, typer.Option(metavar="ACCOUNT", help="The company's bank account.")],
    gateway: Annotated[
        GatewayKind | None,
        typer.Option(
            metavar="GATEWAY", help=f"How files reach the bank: {ctx.one_of(GatewayKind)}."
        ),
    ] = None,
    outbox: Annotated[
        Path | None, typer.Option(metavar="FOLDER", help="Folder for files to the bank.")
    ] = None,
    inbox: Annotated[
        Path | None, typer.Option(metavar="FOLDER", help="Folder for files from the bank.")
    ] = None,
    file_format: Annotated[
        FileFormat | None,
        typer.Option(
            "--format",
            metavar="VERSION",
            help=f"pain.001 version the bank takes: {ctx.one_of(FileFormat)}.",
        ),
    ] = None,
    outgoing: Annotated[
        bool | None, typer.Option("--outgoing/--no-outgoing", help="Agreement for payments out.")
    ] = None,
    incoming: Annotated[
        bool | None,
        typer.Option(
            "--incoming/--no-incoming",
            help="Agreement for payments in (KID: OCR Giro, camt.054 credits).",
        ),
    ] = None,
    tax_withholding: Annotated[
        bool | None,
        typer.Option(
            "--tax-withholding/--no-tax-withholding",
            help="The company's tax-withholding account (skattetrekkskonto); one per company.",
        ),
    ] = None,
    bank: Annotated[
        str | None,
        typer.Option(metavar="NAME", help="The bank's name (what the bank supports follows it)."),
    ] = None,
    profile: Annotated[
        ProfileName | None,
        typer.Option(
            metavar="PROFILE",
            help="Whose pain.001 guide the files follow: "
            f"{ctx.one_of(ProfileName)}; auto: the bank that holds the account.",
        ),
    ] = None,
    bic: Annotated[
        str | None,
        typer.Option(
            metavar="BIC",
            help="The bank's BIC, where its bank code does not tell it (where it does, only "
            "that bank's); an empty value clears it.",
        ),
    ] = None,
    sftp_host: Annotated[
        str | None, typer.Option(metavar="HOST", help="The bank's SFTP server.")
    ] = None,
    sftp_port: Annotated[int | None, typer.Option(metavar="PORT", help="Its port (22).")] = None,
    sftp_user: Annotated[
        str | None, typer.Option(metavar="USER", help="User name at the bank.")
    ] = None,
    sftp_key: Annotated[
        Path | None, typer.Option(metavar="KEY_FILE", help="Private key file (Ed25519 or RSA).")
    ] = None,
    sftp_host_key: Annotated[
        str | None,
        typer.Option(
            metavar="PUBLIC_KEY", help="The server's public key, pinned: 'ssh-ed25519 AAAA...'."
        ),
    ] = None,
    sandbox_kid_only: Annotated[
        list[str] | None,
        typer.Option(
            metavar="ACCOUNT", help="Sandbox: a payee account that only takes KID; repeatable."
        ),
    ] = None,
    sandbox_balance: Annotated[
        str | None,
        typer.Option(
            metavar="AMOUNT", help="Sandbox: money on the account; more is refused (AM04)."
        ),
    ] = None,
    sandbox_rate: Annotated[
        list[str] | None,
        typer.Option(
            metavar="CUR=NOK",
            help="Sandbox: the bank's rate for a currency (NOK for one unit, e.g. EUR=11.61); "
            "payments in it are booked in NOK with the amount ordered beside. Repeatable.",
        ),
    ] = None,
    sandbox_silent: Annotated[
        list[str] | None,
        typer.Option(
            metavar="ACCOUNT",
            help="Sandbox: a payee account the bank never answers for; repeatable.",
        ),
    ] = None,
    sandbox_unreachable: Annotated[
        bool | None,
        typer.Option(
            "--sandbox-unreachable/--sandbox-reachable",
            help="Sandbox: every upload fails as if the connection were refused (nothing sent).",
        ),
    ] = None,
    sandbox_cut_off: Annotated[
        bool | None,
        typer.Option(
            "--sandbox-cut-off/--no-sandbox-cut-off",
            help="Sandbox: the bank takes and answers each file, but the upload then fails as if "
            "the connection dropped: paybot cannot know the file arrived.",
        ),
    ] = None,
) -> None:
    """Set how an account reaches its bank: a folder pair, SFTP, or the simulated bank."""
    from paybot.services import companies

    values: dict[str, Any] = {
        key: value
        for key, value in {
            "gateway": gateway.value if gateway else None,
            "outbox": str(outbox.resolve()) if outbox else None,
            "inbox": str(inbox.resolve()) if inbox else None,
            "file_format": file_format.value if file_format else None,
            "outgoing": outgoing,
            "incoming": incoming,
            "tax_withholding": tax_withholding,
            "bank": None if bank is None else (bank.strip() or None),
            "bic": bic,
            "sftp_host": sftp_host,
            "sftp_port": sftp_port,
            "sftp_user": sftp_user,
            "sftp_key_path": str(sftp_key.resolve()) if sftp_key else None,
            "sftp_host_key": sftp_host_key,
        }.items()
        if value is not None
    }
    sandbox = {
        key: value
        for key, value in {
            "kid_only_accounts": sandbox_kid_only,
            "balance": None if sandbox_balance is None else _balance(sandbox_balance),
            "rates": None if sandbox_rate is None else _rates(sandbox_rate),
            "silent_accounts": sandbox_silent,
            "unreachable": sandbox_unreachable,
            "cut_off": sandbox_cut_off,
        }.items()
        if value is not None
    }
    if sandbox:
        values["sandbox"] = sandbox
    if profile is not None:  # auto: none set, the bank that holds the account decides
        values["profile"] = None if profile is ProfileName.AUTO else profile.value
    with ctx.user_errors():
        if gateway is GatewayKind.SFTP and not (
            sftp_host and sftp_user and sftp_key and sftp_host_key
        ):
            raise ValidationFailed(
                {"sftp": "give --sftp-host, --sftp-user, --sftp-key and --sftp-host-key"}
            )
        shown = companies.set_bank_account(
            ctx.uow(), org_no=company, account=account, values=values, now=ctx.now()
        )
    typer.echo(
        f"{shown['account']}: {shown['gateway']}, {shown['file_format']}, outgoing "
        f"{'yes' if shown['outgoing'] else 'no'}, incoming {'yes' if shown['incoming'] else 'no'}; "
        f"outbox {shown['outbox'] or '(default)'}, "
        f"inbox {shown['inbox'] or '(default)'}; "
        f"bank profile {_profile_shown(shown['profile'], shown['profile_source'])}."
    )
    if shown["gateway"] == "sandbox" and shown["sandbox"]:
        rules = "; ".join(f"{key}: {_plain(value)}" for key, value in shown["sandbox"].items())
        typer.echo(f"Sandbox bank rules: {rules}.")
    if shown["tax_withholding"]:
        _say_tax_account(shown["account"], shown["bank"])


def _say_tax_account(account: str, bank: str | None) -> None:
    from paybot.core.banks import capabilities

    typer.echo(f"{_account_number(account)} is the company's tax-withholding account.")
    if not capabilities(bank).tax_withholding_accounts:
        typer.echo(
            f"{bank} does not support tax-withholding accounts: payments to it are red.",
            err=True,
        )


@bank_app.command("add")
def bank_add(
    company: CompanyOption,
    account: Annotated[str, typer.Option(metavar="ACCOUNT", help="The new bank account.")],
    bank: Annotated[
        str | None, typer.Option(metavar="NAME", help="The bank's name, e.g. DNB.")
    ] = None,
    tax_withholding: Annotated[
        bool,
        typer.Option(
            "--tax-withholding/--no-tax-withholding",
            help="The company's tax-withholding account (skattetrekkskonto); one per company.",
        ),
    ] = False,
    incoming: Annotated[
        bool, typer.Option("--incoming/--no-incoming", help="Agreement for payments in.")
    ] = False,
    outgoing: Annotated[
        bool, typer.Option("--outgoing/--no-outgoing", help="Agreement for payments out.")
    ] = False,
) -> None:
    """Add another bank account to a company, e.g. its tax-withholding account."""
    from paybot.services import companies

    with ctx.user_errors():
        added = companies.add_bank_account(
            ctx.uow(),
            org_no=company,
            account=account,
            bank=bank,
            tax_withholding=tax_withholding,
            incoming=incoming,
            outgoing=outgoing,
            now=ctx.now(),
        )
    typer.echo(
        f"Added {_account_number(added.account)} ({added.bank or 'bank not named'}), "
        f"GL account {added.gl_account}."
    )
    if added.tax_withholding:
        _say_tax_account(added.account, added.bank)


@bank_app.command("list")
def bank_list(company: ctx.OnlyCompany = None, as_json: ctx.AsJson = False) -> None:
    """The bank accounts of every company: how each reaches its bank, when its inbox was read."""
    from paybot.services import bank_accounts

    with ctx.user_errors():
        found = bank_accounts.list_accounts(ctx.uow(), company_org_no=company)
    if as_json:
        ctx.print_json({"accounts": [_account_dict(account) for account in found]})
        return
    for account in found:
        ways = " and ".join(
            way
            for way, on in (("incoming", account.incoming), ("outgoing", account.outgoing))
            if on
        )
        profile = _profile_shown(account.profile, account.profile_source)
        typer.echo(
            f"{_account_number(account.account)}  {account.company_name} ({account.company_org_no})"
            f"  {account.gateway}, {account.file_format}, bank profile {profile}, "
            f"{ways or 'no agreement'}"
            f"{'; ' + _tax_withholding(account) if account.tax_withholding else ''}; outbox "
            f"{account.outbox or '(default)'}, inbox {account.inbox or '(default)'}; "
            f"{_last_poll(account)}"
        )
    if not found:
        typer.echo("No bank accounts: a company gets one with `paybot company add`.")


@bank_app.command("show")
def bank_show(
    account: Annotated[str, typer.Argument(metavar="ACCOUNT", help="The bank account.")],
    company: Annotated[
        str | None,
        typer.Option(metavar="ORG_NO", help="The company, where several have this account."),
    ] = None,
    as_json: ctx.AsJson = False,
) -> None:
    """One bank account with all its settings (the SFTP key file by its path, never its content)
    and the simulated bank's rules."""
    from paybot.services import bank_accounts

    with ctx.user_errors():
        found = bank_accounts.show_account(ctx.uow(), account=account, company_org_no=company)
    data = _account_dict(found)
    if as_json:
        ctx.print_json(data)
        return
    lines: list[tuple[str, object]] = [
        ("account", _account_number(found.account)),
        ("company", f"{found.company_name} ({found.company_org_no})"),
        ("bank", found.bank or "-"),
        ("bic", found.bic or "-"),
        ("incoming", "yes" if found.incoming else "no"),
        ("outgoing", "yes" if found.outgoing else "no"),
        ("tax-withholding", _tax_withholding_shown(found)),
        ("gateway", found.gateway),
        ("format", found.file_format),
        ("bank profile", _profile_shown(found.profile, found.profile_source)),
        ("outbox", found.outbox or "(default, under PAYBOT_FILES_DIR)"),
        ("inbox", found.inbox or "(default, under PAYBOT_FILES_DIR)"),
    ]
    if found.gateway == GatewayKind.SFTP or any(found.sftp.values()):
        lines += [
            (f"sftp {key}", "-" if value is None else value) for key, value in data["sftp"].items()
        ]
    if found.gateway == GatewayKind.SANDBOX or found.sandbox:
        rules = "; ".join(f"{key}: {_plain(value)}" for key, value in found.sandbox.items())
        lines.append(("sandbox rules", rules or "none"))
    lines.append(("last poll", _last_poll(found)))
    for key, value in lines:
        typer.echo(f"{key:>15}: {value}")


def _account_dict(account: "AccountOverview") -> dict[str, Any]:
    """The JSON shape of an account in `bank list` and `bank show`."""
    poll = account.last_poll
    return {
        "account": account.account,
        "company": account.company_org_no,
        "company_name": account.company_name,
        "scheme": account.scheme,
        "bank": account.bank,
        "bic": account.bic,
        "incoming": account.incoming,
        "outgoing": account.outgoing,
        "tax_withholding": account.tax_withholding,
        "bank_supports_tax_withholding": account.bank_supports_tax_withholding,
        "gateway": account.gateway,
        "file_format": account.file_format,
        "profile": account.profile,
        "profile_source": account.profile_source,
        "outbox": account.outbox,
        "inbox": account.inbox,
        "sftp": {
            "host": account.sftp.get("host"),
            "port": account.sftp.get("port"),
            "user": account.sftp.get("user"),
            "key_path": account.sftp.get("key_path"),
            "host_key": account.sftp.get("host_key"),
        },
        "sandbox": account.sandbox,
        "last_poll": (
            None
            if poll is None
            else {
                "succeeded_at": poll.succeeded_at,
                "failed_at": poll.failed_at,
                "error": poll.error,
            }
        ),
    }


def _tax_withholding(account: "AccountOverview") -> str:
    if account.bank_supports_tax_withholding:
        return "tax-withholding account"
    return "tax-withholding account (its bank does not support them: payments to it are red)"


def _tax_withholding_shown(account: "AccountOverview") -> str:
    if not account.tax_withholding:
        return "no"
    if account.bank_supports_tax_withholding:
        return "yes"
    return "yes (its bank does not support tax-withholding accounts: payments to it are red)"


def _plain(value: object) -> str:
    """A setting as text: a list of accounts as `a, b`, rates as `EUR=11.61, USD=10.52`."""
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "none"
    if isinstance(value, dict):
        return ", ".join(f"{key}={item}" for key, item in value.items()) or "none"
    return str(value)


def _account_number(account: str) -> str:
    from paybot.core.identifiers import format_account

    return format_account(account)


def _last_poll(account: "AccountOverview") -> str:
    poll = account.last_poll
    if poll is None or (poll.succeeded_at is None and poll.failed_at is None):
        return "inbox not read yet"
    read = f"inbox read {ctx.local(poll.succeeded_at)}" if poll.succeeded_at else "inbox never read"
    if poll.failed_at and (poll.succeeded_at is None or poll.failed_at > poll.succeeded_at):
        return f"{read}; reading it failed {ctx.local(poll.failed_at)}: {poll.error}"
    return read


def _balance(text: str) -> str:
    from paybot.core.money import AmountError, parse_amount

    try:
        return str(parse_amount(text))
    except AmountError as exc:
        raise typer.BadParameter(str(exc), param_hint="--sandbox-balance") from exc


def _rates(given: list[str]) -> dict[str, str]:
    from paybot.core.money import AmountError, parse_amount

    rates: dict[str, str] = {}
    for text in given:
        currency, _, rate = text.partition("=")
        currency = currency.strip().upper()
        try:
            if not (len(currency) == 3 and currency.isalpha() and currency.isascii()):
                raise AmountError(f"{currency or text!r} is not a currency code")
            value = parse_amount(rate)
            if value <= 0:
                raise AmountError(f"the rate must be above zero, not {rate.strip()}")
        except AmountError as exc:
            raise typer.BadParameter(
                f"{text!r}: {exc} (write CUR=NOK, e.g. EUR=11.61)", param_hint="--sandbox-rate"
            ) from exc
        rates[currency] = str(value)
    return rates


def dispatch_command(company: ctx.OnlyCompany = None, now: ctx.NowOption = None) -> None:
    """Send what is due to the bank now (the scheduler does this by itself)."""
    from paybot.services import dispatching

    with ctx.user_errors():
        result = dispatching.dispatch(
            ctx.uow(),
            ctx.gateway_for,
            company_org_no=company,
            now=ctx.when(now),
            options=ctx.dispatch_options(),
        )
    from paybot.cli.render import company_language
    from paybot.core.money import format_money

    for batch in result.sent:
        language = company_language([batch.company])
        totals = ", ".join(
            format_money(amount, currency, language) for currency, amount in batch.totals.items()
        )
        typer.echo(
            f"Sent batch {batch.number} of {batch.company} ({batch.payments} payment(s), "
            f"{totals}) as {batch.file_name}."
        )
    for message_id, why in result.refused:
        typer.echo(f"Did not send {message_id}: {why}" if message_id else why, err=True)
    for message_id, why, retry_at in result.retrying:
        typer.echo(
            f"Could not deliver {message_id}; it did not reach the bank ({why}). "
            f"paybot tries again at {ctx.local(retry_at)}.",
            err=True,
        )
    for message_id, retry_at in result.waiting:
        typer.echo(
            f"{message_id} did not reach the bank yet; tried again at {ctx.local(retry_at)}."
        )
    for message_id, why in result.unknown:
        typer.echo(
            f"The upload of {message_id} broke off ({why}): the bank may have it, so it is not "
            "sent again. Its payments are Failed (no answer): check the netbank, then "
            "`paybot payments resolve-missing ID --as UID --money-left|--money-not-left`.",
            err=True,
        )
    if not (result.sent or result.refused or result.retrying or result.unknown or result.waiting):
        typer.echo("Nothing is due to be sent.")
    if result.refused or result.retrying or result.unknown:
        raise typer.Exit(1)


def _profile_shown(profile: str, source: str) -> str:
    """The profile in effect and how it was chosen (core.bank_profiles.ProfileSource)."""
    why = {
        "set": "set",
        "bic": "the bank that holds the account",
        "name": "the bank's name",
        "default": "no profile for this bank",
    }
    return f"{profile} ({why.get(source, source)})"
