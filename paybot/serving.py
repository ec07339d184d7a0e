"""What `paybot serve` runs, whatever runs it: the WSGI stack in front of the Slack app, the
warm-up before the first request, and the scheduled jobs of a serving process. gunicorn runs them
in production (paybot/gunicorn_app.py); `http_server` runs the Slack endpoint in-process for the
tests."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any, Protocol
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt.adapter.wsgi import SlackRequestHandler

from paybot.app import PaybotApp
from paybot.http_limits import SlackGate
from paybot.ops.web import with_ops

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

    from paybot.container import Container
    from paybot.handlers.deps import Deps
    from paybot.services.common import ActorRef
    from paybot.store.db import Engine

log = logging.getLogger("paybot.http")

SLACK_PATH = "/slack/events"
# Database connections a serving process opens at start: about the requests it answers at once
# when twenty people click together.
WARM_CONNECTIONS = 10


def slack_endpoint(app: PaybotApp, path: str = SLACK_PATH) -> WSGIApplication:
    """paybot's Slack endpoint as a WSGI application: Bolt's adapter behind the gate that caps,
    verifies and checks each body before Bolt reads it."""
    return SlackGate(SlackRequestHandler(app, path=path), signing_secret=app.signing_secret)


def wsgi_app(app: PaybotApp, parts: Container, path: str = SLACK_PATH) -> WSGIApplication:
    """What `paybot serve` answers HTTP with: the Slack endpoint behind the operator's routes
    (GET /healthz, GET /metrics) and their request measurements, each request taken to be from
    the client a trusted proxy names (PAYBOT_TRUSTED_PROXIES)."""
    served = with_ops(slack_endpoint(app, path), parts=parts, path=path)
    return ForwardedFor(served, trusted_networks(parts.settings.trusted_proxies))


Network = IPv4Network | IPv6Network


def trusted_networks(text: str) -> tuple[Network, ...]:
    """PAYBOT_TRUSTED_PROXIES read: IP addresses or networks, comma-separated. Raises ValueError
    naming the first that is neither."""
    networks = []
    for part in (part.strip() for part in text.split(",")):
        if not part:
            continue
        try:
            networks.append(ip_network(part))
        except ValueError:
            raise ValueError(f"{part!r} is no IP address or network (e.g. 10.0.0.0/8)") from None
    return tuple(networks)


class ForwardedFor:
    """WSGI middleware: a request from a trusted reverse proxy is taken to be from the client the
    proxy names in X-Forwarded-For. Each proxy appends the address it was reached from, so the
    client is the last address in the header that is not a trusted proxy's; a client's own
    X-Forwarded-For stands before it and is never believed, nor is the header of a peer that is
    no trusted proxy. REMOTE_ADDR is changed in place, so the server's access line (gunicorn's
    `%(h)s`) and the gate's refusals (http_limits) name the same client."""

    def __init__(self, app: WSGIApplication, trusted: Sequence[Network]) -> None:
        self._app, self._trusted = app, tuple(trusted)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        client = self.client(environ)
        if client is not None:
            environ["REMOTE_ADDR"] = client
        return self._app(environ, start_response)

    def client(self, environ: WSGIEnvironment) -> str | None:
        """The client's address when a trusted proxy names it, else None (the peer is it)."""
        forwarded = str(environ.get("HTTP_X_FORWARDED_FOR") or "")
        peer = _address(str(environ.get("REMOTE_ADDR") or ""))
        if not forwarded or peer is None or not self._trusts(peer):
            return None
        hops = [_address(hop) for hop in forwarded.split(",")]
        for hop in reversed(hops):
            if hop is None:  # not what a proxy writes: nothing before it is believed either
                return None
            if not self._trusts(hop):
                return str(hop)
        return str(hops[0])  # proxies all the way: the first one asked

    def _trusts(self, address: IPv4Address | IPv6Address) -> bool:
        return any(address in network for network in self._trusted)


def _address(text: str) -> IPv4Address | IPv6Address | None:
    try:
        address = ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:10.0.0.1 from a dual-stack socket is 10.0.0.1
    return address


class Stoppable(Protocol):
    def stop(self) -> None: ...


def background_jobs(parts: Container) -> Stoppable:
    """The scheduled jobs in background threads of this process, until `stop()`: only the
    process that holds the scheduler's lease in the database runs them, so every serving process
    may start them."""
    from paybot.jobs import run_in_background

    return run_in_background(parts)


def warm_up(engine: Engine, deps: Deps) -> float | None:
    """Runs what Slack's requests run once before anyone asks, so the first twenty people to
    click do not each compile the same statements: a sign, an approve, `/bank status` and
    searches, the Home tab and the card updates after them, on a company of its own, in a
    rehearsal (paybot/store/uow.py: a throwaway copy of the tables that only it sees; no real
    row is read, locked or written). The statements they send stay compiled in the engine's
    cache, which a server's workers inherit when it warms up before it forks them.

    Returns the seconds it took, or None if it failed: then the first requests compile them, as
    they would without it (the failure is logged)."""
    from paybot.store.uow import rehearsal

    started = time.perf_counter()
    shown = logging.root.manager.disable
    # What the rehearsal does is undone: its audit lines would tell of payments no one has.
    logging.disable(logging.INFO)
    failure: Exception | None = None
    try:
        with rehearsal(engine) as uow:
            _rehearse(replace(deps, uow=lambda: uow), deps.clock())
    except Exception as error:  # noqa: BLE001 - a failed warm-up costs the first requests time
        failure = error
    finally:
        logging.disable(shown)
    if failure is not None:
        log.warning("the warm-up before the first request failed", exc_info=failure)
        return None
    return time.perf_counter() - started


def warm_up_before_serving(engine: Engine, deps: Deps) -> None:
    """`warm_up`, as both ways of serving run it before the first request (gunicorn's master
    before it forks its workers, Socket Mode before it connects), with how long it took logged."""
    took = warm_up(engine, deps)
    if took is not None:
        logging.getLogger("paybot.serve").info(
            "warmed up in %.2f s: the first requests find their statements compiled", took
        )


# The rehearsal's company, its supplier and payment reference: valid numbers, which pass the
# same checks as real ones. The company and its people exist only in the rehearsal.
_ORG_NO = "974760673"
_ACCOUNT = "86011117947"
_SUPPLIER_ORG_NO = "923609016"
_SUPPLIER_ACCOUNT = "12345678903"
_KID = "12345678903"
# Searches of the shapes people type most (each shape is a statement of its own).
_SEARCHES = ("status:proposed", "Leverandør", "Leverandør AS", "amount:>1000", "amount:<1000")


def _rehearse(deps: Deps, now: datetime) -> None:
    """A company with an approver and an enrolled signer, and two proposals; then what Slack's
    requests run with them: their acknowledgements, and the work after those."""
    from paybot.core.company import Language
    from paybot.core.otp import code_at
    from paybot.handlers import bank_command, cards
    from paybot.handlers.ids import View
    from paybot.handlers.views import sign_modal
    from paybot.handlers.views.home import PER_STATUS, SHOWN
    from paybot.services import (
        payments,
        people,
        proposals,
        search,
        sign_preview,
        signing,
        slack_records,
    )

    uow, zone = deps.uow, deps.zone
    approver, signer, secret = _company(deps, now)
    ids = [p.id for p in proposals.list_payments(uow(), company_org_no=_ORG_NO)]
    slack_records.record_message(
        uow(), company_org_no=_ORG_NO, kind="proposals", channel="C0WARMUP", ts="1.000001",
        thread_ts=None, intro=[], payment_ids=ids, now=now,
    )  # fmt: skip

    # The acknowledgements: /bank status and searches, an event's first delivery, a sign.
    bank_command.answer(deps, approver, "status", "")
    for query in _SEARCHES:
        bank_command.answer(deps, approver, "search", query)
    slack_records.claim(uow(), key="event:warm-up", now=now, takeover_after=None)
    payments.approve(uow(), actor=approver, payment_ids=ids, now=now)  # after an Approve's ack
    preview = sign_preview.to_sign(uow(), actor=signer, payment_ids=ids[:1], now=now, zone=zone)
    signed = signing.sign(
        uow(), deps.box(), actor=signer, payment_ids=ids[:1], code=code_at(secret, now),
        now=now, zone=zone, versions={p.id: p.signature_round for p in preview.payments},
    )  # fmt: skip
    sign_modal.signed_view(signed, Language.EN, callback=View.SIGN)

    # The work after them: the cards that show the payments updated, a Home tab built.
    today = now.astimezone(zone).date()
    for message in slack_records.messages_showing(uow(), payment_ids=ids):
        cards.render(message, zone, today)
    for membership in people.memberships(uow(), user=signer):
        counts = proposals.status_counts(uow(), company_org_no=membership.company.org_no)
        people.list_users(uow(), company_org_no=membership.company.org_no, now=now)
        for status in (s for s in SHOWN if counts.get(s)):
            query = f"status:{status.value}"
            search.search(uow(), query=query, company_org_no=_ORG_NO, limit=PER_STATUS)
        slack_records.last_steps(uow(), payment_ids=ids)


def _company(deps: Deps, now: datetime) -> tuple[ActorRef, ActorRef, str]:
    """The rehearsal's company and two proposals; (approver, signer, the signer's secret)."""
    import pyotp

    from paybot.core.ledger_file import OpenItemRow, SupplierRow
    from paybot.core.otp import code_at
    from paybot.core.payments import ReferenceType
    from paybot.core.policy import Role
    from paybot.services import companies, ledger, otp, people, proposals
    from paybot.services.common import ActorRef

    uow, org_no = deps.uow, _ORG_NO
    companies.add_company(uow(), org_no=org_no, name="Warm-up AS", account=_ACCOUNT, now=now)
    approver, signer = ActorRef("U0WARMUPA"), ActorRef("U0WARMUPS")
    for who, role in ((approver, Role.APPROVER), (signer, Role.SIGNER)):
        people.add_user(
            uow(), company_org_no=org_no, slack_user_id=who.slack_user_id, name="Warm-up",
            roles=[role], now=now,
        )  # fmt: skip
    enrolled = now - timedelta(minutes=5)  # a step before the sign's: its code is unused
    enrollment = otp.enroll(uow(), deps.box(), company_org_no=org_no, user=signer, now=enrolled)
    secret = pyotp.parse_uri(enrollment.uri).secret
    otp.confirm(uow(), deps.box(), user=signer, code=code_at(secret, enrolled), now=enrolled)
    supplier = SupplierRow(
        line=2, name="Leverandør AS", org_no=_SUPPLIER_ORG_NO, account=_SUPPLIER_ACCOUNT
    )
    ledger.import_suppliers(uow(), company_org_no=org_no, source="-", rows=[supplier], now=now)
    items = [
        OpenItemRow(
            line=2 + n,
            voucher_no=str(100 + n),
            invoice_no=f"F-{100 + n}",
            supplier_name=supplier.name,
            supplier_org_no=supplier.org_no,
            account=supplier.account,
            amount=Decimal("1250.00"),
            currency="NOK",
            invoice_date=date(2026, 11, 1),
            due_date=date(2026, 12, 1),
            reference_type=ReferenceType.KID,
            reference=_KID,
        )
        for n in range(2)
    ]
    ledger.import_open_items(uow(), company_org_no=org_no, source="-", rows=items, now=now)
    proposals.refresh(uow(), company_org_no=org_no, now=now)
    return approver, signer, secret


class ThreadingServer(ThreadingMixIn, WSGIServer):
    """wsgiref's server with a daemon thread per request (Bolt's `App.start()` has one thread)."""

    daemon_threads = True
    request_queue_size = 128


class QuietHandler(WSGIRequestHandler):
    """No access line per request; errors go to the log, shortened."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        return

    def log_error(self, format: str, *args: Any) -> None:  # noqa: A002
        shown = tuple(_clip(str(arg)) for arg in args)
        log.warning("HTTP %s: " + format, self.address_string(), *shown)


def _clip(text: str, most: int = 200) -> str:
    return text if len(text) <= most else f"{text[:most]}… ({len(text)} characters)"


def http_server(app: PaybotApp, host: str, port: int, path: str = SLACK_PATH) -> WSGIServer:
    """The Slack endpoint on a threading wsgiref server, for tests that call it in-process; port
    0 picks a free one (`server.server_port`). Run it with `serve_forever()`, stop it with
    `shutdown()`. Production serving is gunicorn's (`paybot serve`)."""
    return make_server(
        host,
        port,
        slack_endpoint(app, path),
        server_class=ThreadingServer,
        handler_class=QuietHandler,
    )
