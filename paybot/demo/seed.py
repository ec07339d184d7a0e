"""The demo company: suppliers and open items that show every flag, payments abroad among them (a
SEPA payment, and a US one that lacks the purpose the Currency Register needs), people with roles
and limits, each signer's one-time-code device enrolled, the Slack channels set and the sandbox
bank as the gateway — made through paybot's own services, as an admin would with the command
line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import pyotp
from stdnum import luhn
from stdnum.no import kontonr, orgnr

from paybot.container import Container
from paybot.core.bankfiles.ocr_giro_writer import OcrPayment, write_ocr_giro
from paybot.core.chart_of_accounts import ChartRow
from paybot.core.company import DispatchTiming, Language
from paybot.core.ledger_file import CustomerItemRow, OpenItemRow, SupplierRow
from paybot.core.payments import NO_PAYEE_DETAILS, PayeeDetails, ReferenceType
from paybot.core.policy import Role
from paybot.services import (
    chart_of_accounts,
    companies,
    customer_ledger,
    incoming,
    ledger,
    otp,
    payments,
    people,
    proposals,
    rates,
    signing,
)
from paybot.services.common import ActorRef

PROPOSALS_CHANNEL = "C0PROPOSALS"
ALERTS_CHANNEL = "C0FINANCE"
CHANNELS = {PROPOSALS_CHANNEL: "payments", ALERTS_CHANNEL: "finance-alerts"}


@dataclass(frozen=True)
class Person:
    """Someone in the demo workspace: who they are in Slack and in paybot."""

    user_id: str
    name: str
    title: str
    roles: tuple[Role, ...]
    max_per_payment: Decimal | None = None
    max_per_day: Decimal | None = None

    @property
    def signs(self) -> bool:
        return Role.SIGNER in self.roles


ACCOUNTANT = Person("U0DEMOACC", "Kari Nordmann", "accountant", (Role.APPROVER,))
SIGNER_1 = Person(
    "U0DEMOSG1",
    "Ola Hansen",
    "signer 1",
    (Role.SIGNER,),
    max_per_payment=Decimal("200000"),
    max_per_day=Decimal("500000"),
)
# Ingrid may sign less than Ola, but enough to be the second signer of each payment above the
# dual-control threshold (NOK 100,000): the biggest, to Pacific Tools in USD, is NOK 149,580.
SIGNER_2 = Person(
    "U0DEMOSG2",
    "Ingrid Berg",
    "signer 2",
    (Role.SIGNER,),
    max_per_payment=Decimal("150000"),
    max_per_day=Decimal("200000"),
)
ADMIN = Person("U0DEMOADM", "Per Admin", "admin", (Role.ADMIN,))
PEOPLE = (ACCOUNTANT, SIGNER_1, SIGNER_2, ADMIN)


def _completed(prefix: str, is_valid: Callable[[str], bool]) -> str:
    """`prefix` with the check digit that makes it valid; a MOD11 number may have none, and then
    the next prefix up is taken."""
    for number in range(int(prefix), int(prefix) + 10):
        for digit in "0123456789":
            candidate = f"{number:0{len(prefix)}d}{digit}"
            if is_valid(candidate):
                return candidate
    raise ValueError(f"no number near {prefix} is valid")


def account(prefix: str) -> str:
    """A Norwegian account number (11 digits, MOD11) from its first ten."""
    return kontonr.format(_completed(prefix, kontonr.is_valid))


def kid(prefix: str) -> str:
    """A KID with a MOD10 (Luhn) check digit."""
    return prefix + luhn.calc_check_digit(prefix)


ORG_NO = _completed("91234567", orgnr.is_valid)
COMPANY_ACCOUNT = account("1503123456")
# The bank refuses payments to this account (closed: AC01), and never answers for that one.
CLOSED_ACCOUNT = account("9710123456")
SILENT_ACCOUNT = account("6011050123")
EUR_IBAN = "DE89370400440532013000"
# A US account number (not an IBAN: paid with the BIC of the payee's bank).
USD_ACCOUNT = "483101090345"
# The demo's exchange rates: kroner for one unit of each currency, from the day the demo starts.
RATES = {"EUR": Decimal("11.52"), "USD": Decimal("10.80")}
RATES_SINCE_DAYS = 30  # the rates are in force from this many days back (the invoices are younger)
# The bakery's chart of accounts (kontoplan): a person posts incoming payments by hand only to
# these; the customers' and suppliers' ledger accounts are paybot's own to post.
CHART: tuple[tuple[str, str, bool], ...] = (
    ("1500", "Kundefordringer", False),
    ("1920", "Bankinnskudd", False),
    ("2400", "Leverandørgjeld", False),
    ("2600", "Forskuddstrekk", True),
    ("2740", "Oppgjørskonto merverdiavgift", True),
    ("3000", "Salgsinntekt, avgiftspliktig", True),
    ("3100", "Salgsinntekt, avgiftsfri", True),
    ("3900", "Annen driftsrelatert inntekt", True),
    ("4000", "Innkjøp av råvarer og halvfabrikata", True),
    ("6300", "Leie lokale", True),
    ("6800", "Kontorrekvisita", True),
    ("7770", "Bank- og kortgebyr", True),
    ("7798", "Øreavrunding", True),
    ("8040", "Renteinntekt", True),
    ("8060", "Valutagevinst (agio)", False),
    ("8160", "Valutatap (disagio)", False),
)
# The sandbox bank's own rates, a little above the rate table as a bank's selling rate is: it
# books a payment abroad in NOK at these, and the ledger shows the difference as a currency loss.
BANK_RATES = {"EUR": Decimal("11.58"), "USD": Decimal("10.86")}
# The payees abroad: a SEPA payee with its address, and a US payee with its address and bank's
# BIC but no purpose (for the Currency Register), which its invoice of about NOK 150,000 needs.
BERLINER = PayeeDetails(
    street="Hauptstraße", building_no="12", post_code="10827", town="Berlin", country="DE"
)
PACIFIC_TOOLS = PayeeDetails(
    street="1st Avenue",
    building_no="2100",
    post_code="98121",
    town="Seattle",
    country="US",
    bic="CHASUS33",
)


@dataclass(frozen=True)
class DemoCompany:
    org_no: str
    name: str
    # Each signer's authenticator, as the phone would hold it.
    devices: dict[str, pyotp.TOTP]


def _suppliers() -> list[SupplierRow]:
    abroad = {"Berliner Maschinen GmbH": BERLINER, "Pacific Tools Inc.": PACIFIC_TOOLS}
    rows = [
        ("Kontorrekvisita AS", "92360901", account("1234567890")),
        ("Fjordkraft Energi AS", "97694480", account("9710050000")),
        ("Nordic Cloud AS", "98312345", account("1607123456")),
        ("Transport Hansen AS", "91555566", CLOSED_ACCOUNT),
        ("Regnskapshuset AS", "99123456", SILENT_ACCOUNT),
        ("Entreprenør Bygg AS", "98877665", account("3000123456")),
        ("Berliner Maschinen GmbH", None, EUR_IBAN),
        ("Papirgrossisten AS", "91111222", account("1503998877")),
        ("Renhold Vest AS", "97476067", account("1503010000")),
        ("Fjellnett AS", "99887766", account("2050123456")),
        ("Byggmester Olsen AS", "92223334", None),
        ("Kantinedrift AS", "93334445", account("3200445566")),
        ("Snekker Berg AS", "94445556", account("1822334455")),
        ("Pacific Tools Inc.", None, USD_ACCOUNT),
    ]
    return [
        SupplierRow(
            line=n,
            name=name,
            org_no=_completed(org, orgnr.is_valid) if org else None,
            account=acct,
            **asdict(abroad.get(name, NO_PAYEE_DETAILS)),
        )
        for n, (name, org, acct) in enumerate(rows, start=2)
    ]


def _items(today: date) -> list[OpenItemRow]:
    """Open items of the supplier ledger, due around `today`; each line says what it shows."""
    kid_type, message, empty = ReferenceType.KID, ReferenceType.MESSAGE, ReferenceType.EMPTY
    invoice_type = ReferenceType.INVOICE
    suppliers = {row.name: row for row in _suppliers()}
    renhold_new_account = account("1503020000")
    items: list[tuple[str, str, str | None, str, str, int, ReferenceType, str | None]] = [
        # supplier, invoice no, account (None: the supplier's), amount, currency, due in days,
        # reference type, reference
        # Blue: complete; one overdue.
        ("Kontorrekvisita AS", "F-1001", None, "3450.75", "NOK", 3, kid_type, kid("100100")),
        ("Fjordkraft Energi AS", "E-2211", None, "2219.00", "NOK", 5, kid_type, kid("221100")),
        ("Nordic Cloud AS", "NC-88", None, "12000.00", "NOK", -2, message, "Invoice NC-88"),
        # Blue, but the bank refuses it (closed account) / never answers for it.
        ("Transport Hansen AS", "T-431", None, "8750.00", "NOK", 1, kid_type, kid("431000")),
        ("Regnskapshuset AS", "R-2026", None, "15000.00", "NOK", 2, kid_type, kid("202612")),
        # Blue, above the dual-control threshold: two signers.
        ("Entreprenør Bygg AS", "EB-7", None, "125000.00", "NOK", 4, kid_type, kid("700007")),
        # Blue: a SEPA payment (EUR to a German IBAN, the payee's address known).
        ("Berliner Maschinen GmbH", "INV-4471", None, "1200.50", "EUR", 6, message, "INV-4471"),
        # Orange: the supplier has an open credit note; red: the credit note itself.
        ("Papirgrossisten AS", "P-55", None, "4990.00", "NOK", 3, kid_type, kid("550055")),
        ("Papirgrossisten AS", "PK-3", None, "-990.00", "NOK", 3, message, "Credit note PK-3"),
        # Orange: another account than the supplier's registered one.
        ("Renhold Vest AS", "RV-9", renhold_new_account, "7800.00", "NOK", 2, message, "RV-9"),
        # Orange: the same invoice twice.
        ("Fjellnett AS", "FN-120", None, "990.00", "NOK", 5, kid_type, kid("120120")),
        ("Fjellnett AS", "FN-120", None, "990.00", "NOK", 5, kid_type, kid("120120")),
        # Red: no account; a KID with a wrong check digit; no reference.
        ("Byggmester Olsen AS", "BO-14", None, "18400.00", "NOK", 7, message, "BO-14"),
        ("Kantinedrift AS", "K-77", None, "3200.00", "NOK", 4, kid_type, "12345678901"),
        ("Snekker Berg AS", "SB-3", None, "6500.00", "NOK", 6, empty, None),
        # Red: a payment abroad of about NOK 150,000 (USD 13,850.00) without the purpose the
        # Currency Register needs above NOK 100,000.
        ("Pacific Tools Inc.", "PT-20931", None, "13850.00", "USD", 8, invoice_type, "PT-20931"),
    ]
    rows = []
    for line, (name, invoice, acct, amount, currency, due, ref_type, ref) in enumerate(
        items, start=2
    ):
        supplier = suppliers[name]
        rows.append(
            OpenItemRow(
                line=line,
                voucher_no=str(5000 + line),
                invoice_no=invoice,
                supplier_name=name,
                supplier_org_no=supplier.org_no,
                account=acct or supplier.account,
                amount=Decimal(amount),
                currency=currency,
                invoice_date=today - timedelta(days=20),
                due_date=today + timedelta(days=due),
                reference_type=ref_type,
                reference=ref,
            )
        )
    return rows


def seed(
    parts: Container, *, now: datetime, language: Language = Language.EN, team_id: str = ""
) -> DemoCompany:
    """Fills a fresh database with the demo company; the devices are enrolled and confirmed."""
    today = now.astimezone(parts.zone).date()
    name = "Fjellbekk Bakeri AS"
    companies.add_company(
        parts.uow(),
        org_no=ORG_NO,
        name=name,
        account=COMPANY_ACCOUNT,
        bank="DNB",
        timing=DispatchTiming.IMMEDIATE,
        now=now,
    )
    companies.update_settings(
        parts.uow(),
        org_no=ORG_NO,
        approval_required=True,
        dual_control_threshold=Decimal("100000"),
        language=language,
        proposals_channel=PROPOSALS_CHANNEL,
        alerts_channel=ALERTS_CHANNEL,
        post_at="00:00",  # the daily post goes out as soon as the demo starts
        now=now,
    )
    companies.set_bank_account(
        parts.uow(),
        org_no=ORG_NO,
        account=COMPANY_ACCOUNT,
        values={
            "gateway": "sandbox",
            "sandbox": {
                "closed_accounts": [kontonr.compact(CLOSED_ACCOUNT)],
                "silent_accounts": [kontonr.compact(SILENT_ACCOUNT)],
                "rates": {currency: str(rate) for currency, rate in BANK_RATES.items()},
            },
        },
        now=now,
    )
    for person in PEOPLE:
        people.add_user(
            parts.uow(),
            company_org_no=ORG_NO,
            slack_user_id=person.user_id,
            name=person.name,
            roles=person.roles,
            slack_team_id=team_id,
            now=now,
        )
        if person.max_per_payment is not None:
            people.set_user(
                parts.uow(),
                company_org_no=ORG_NO,
                user=ActorRef(person.user_id),
                max_per_payment=person.max_per_payment,
                max_per_day=person.max_per_day,
                now=now,
            )
    for currency, rate in RATES.items():
        # In force from before the oldest invoice: posting a paid payment abroad books its
        # invoice at the rate of its invoice date.
        since = today - timedelta(days=RATES_SINCE_DAYS)
        rates.set_rate(parts.uow(), currency=currency, rate=rate, valid_from=since, now=now)
    chart_of_accounts.import_chart(
        parts.uow(),
        company_org_no=ORG_NO,
        source="demo-chart",
        rows=[ChartRow(line, *account) for line, account in enumerate(CHART, start=2)],
        now=now,
    )
    ledger.import_suppliers(
        parts.uow(), company_org_no=ORG_NO, source="demo-suppliers", rows=_suppliers(), now=now
    )
    ledger.import_open_items(
        parts.uow(), company_org_no=ORG_NO, source="demo-open-items", rows=_items(today), now=now
    )
    proposals.refresh(parts.uow(), company_org_no=ORG_NO, now=now)
    devices = {}
    for person in PEOPLE:
        if not person.signs:
            continue
        who = ActorRef(person.user_id)
        enrolled = otp.enroll(
            parts.uow(), parts.secret_box(), company_org_no=ORG_NO, user=who, now=now
        )
        device = pyotp.parse_uri(enrolled.uri)
        assert isinstance(device, pyotp.TOTP)
        # Confirmed with the code of two steps ago: the code on the phone now is still unused.
        confirmed_at = now - 2 * timedelta(seconds=device.interval)
        otp.confirm(
            parts.uow(),
            parts.secret_box(),
            user=who,
            code=device.at(confirmed_at),
            now=confirmed_at,
        )
        devices[person.user_id] = device
    _send_the_troubled_ones(parts, devices[SIGNER_1.user_id], now)
    _customers_pay(parts, today, now)
    return DemoCompany(ORG_NO, name, devices)


def _customer_items(today: date) -> list[CustomerItemRow]:
    """Invoices the bakery sent its customers, with KIDs."""
    rows = [
        ("2026-501", "Kafé Solsiden AS", "91888777", "4500.00", kid("2026501")),
        ("2026-502", "Hotell Fjordgløtt AS", "92777666", "12800.00", kid("2026502")),
        ("2026-503", "Skolekantina Nord", "93666555", "2350.00", kid("2026503")),
    ]
    return [
        CustomerItemRow(
            line=n,
            invoice_no=invoice,
            customer_name=customer,
            customer_org_no=_completed(org, orgnr.is_valid),
            amount=Decimal(amount),
            currency="NOK",
            invoice_date=today - timedelta(days=14),
            due_date=today,
            kid=reference,
        )
        for n, (invoice, customer, org, amount, reference) in enumerate(rows, start=2)
    ]


def _customers_pay(parts: Container, today: date, now: datetime) -> None:
    """The customer ledger, and the OCR Giro file the bank sent yesterday: one invoice paid in
    full, one in part, and a payment with a KID nobody knows (a refund from NAV, say), which a
    person posts by hand. Taken as it was yesterday, so the day's incoming summary in the alerts
    channel (payments since the last one) counts it; the file is kept as the bank sent it."""
    items = _customer_items(today)
    yesterday = now - timedelta(days=1)
    customer_ledger.import_customer_items(
        parts.uow(),
        company_org_no=ORG_NO,
        source="demo-customer-items",
        rows=items,
        now=yesterday,
    )
    exact, part = items[0], items[1]
    assert exact.kid is not None and part.kid is not None
    data = write_ocr_giro(
        [
            OcrPayment(exact.amount, exact.kid),
            OcrPayment(Decimal("5000.00"), part.kid),
            OcrPayment(Decimal("1730.00"), kid("88812345")),
        ],
        account=kontonr.compact(COMPANY_ACCOUNT),
        settled=yesterday.date(),
    )
    name = f"OCR.D{yesterday:%d%m%y}.ocr"
    incoming.ingest(parts.uow(), company_org_no=ORG_NO, source=name, data=data, now=yesterday)
    archive = parts.settings.files_dir / "bank" / kontonr.compact(COMPANY_ACCOUNT) / "received"
    archive.mkdir(parents=True, exist_ok=True)
    (archive / name).write_bytes(data)


def _send_the_troubled_ones(parts: Container, device: pyotp.TOTP, now: datetime) -> None:
    """Approves and signs the payments to the closed account and to the payee the bank never
    answers for, a step before `now`: they go to the bank as soon as the demo starts, and their
    alerts reach the finance channel within a minute."""
    troubled = {"Transport Hansen AS", "Regnskapshuset AS"}
    ids = [
        p.id
        for p in proposals.list_payments(parts.uow(), company_org_no=ORG_NO)
        if p.payee in troubled
    ]
    signed_at = now - timedelta(seconds=device.interval)
    payments.approve(
        parts.uow(), actor=ActorRef(ACCOUNTANT.user_id), payment_ids=ids, now=signed_at
    )
    signing.sign(
        parts.uow(),
        parts.secret_box(),
        actor=ActorRef(SIGNER_1.user_id),
        payment_ids=ids,
        code=device.at(signed_at),
        now=signed_at,
        zone=parts.zone,
    )
