"""/bank through the real HTTP endpoint, signed as Slack signs, against the local Slack Web API
(both databases): help, status, search, the search modal and limits."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from paybot.core.company import Language
from paybot.core.policy import Role
from paybot.core.states import PaymentStatus
from paybot.handlers.ids import Block, View
from paybot.services import companies, ledger, people, proposals
from paybot.services.common import ActorRef
from paybot.store.uow import UnitOfWork
from tests.builders import (
    ACCOUNT_B,
    APPROVER,
    NOW,
    ORG_NO,
    SIGNER,
    VIEWER,
    a_company,
    a_supplier,
    an_item,
    ledger_with,
)
from tests.slack.conftest import SlackEndpoint, text_of

BOSS = ActorRef("UBOSS")
OTHER_ORG = "923609016"


@pytest.fixture(autouse=True)
def company(uow: UnitOfWork) -> None:
    a_company(uow)
    ledger_with(
        uow,
        [an_item(), an_item(amount=an_item().amount * 3, reference="0000001230")],
        [a_supplier()],
    )


def ephemeral(answer: tuple[int, str]) -> dict[str, Any]:
    status, body = answer
    assert status == 200, body
    data = json.loads(body)
    assert data["response_type"] == "ephemeral"
    return data


def test_help_explains_the_command(endpoint: SlackEndpoint) -> None:
    data = ephemeral(endpoint.command(SIGNER.slack_user_id, "help"))
    assert "/bank search QUERY" in data["blocks"][0]["text"]["text"]


def test_status_counts_payments_per_state(endpoint: SlackEndpoint) -> None:
    data = ephemeral(endpoint.command(VIEWER.slack_user_id, "status"))
    text = json.dumps(data["blocks"], ensure_ascii=False)
    assert "Acme AS" in text and "Proposals: *2*" in text


def test_search_answers_with_the_matching_payments(endpoint: SlackEndpoint) -> None:
    data = ephemeral(endpoint.command(VIEWER.slack_user_id, "search amount:>2000"))
    # mrkdwn: the query's ">" is sent escaped, as Slack asks, and shows as ">".
    assert data["text"] == "1 payment(s) match `amount:&gt;2000`"
    text = json.dumps(data["blocks"], ensure_ascii=False)
    assert "NOK 3,750.00, due 1 Dec 2026 · Proposals" in text and "KID 0000001230" in text


def test_a_bad_query_is_answered_in_a_sentence(endpoint: SlackEndpoint) -> None:
    data = ephemeral(endpoint.command(VIEWER.slack_user_id, "search amount:abc"))
    assert data["text"].startswith("amount:")


def test_someone_without_a_role_is_told_so(endpoint: SlackEndpoint) -> None:
    data = ephemeral(endpoint.command("UNOBODY", "status"))
    assert "no role" in data["text"]


@pytest.mark.parametrize(
    ("how", "kwargs"),
    [
        ("forged", {"secret": "not-the-secret"}),
        ("unsigned", {"sign": False}),
        ("stale", {"age": 6 * 60}),
    ],
)
def test_requests_not_signed_by_slack_now_are_refused(
    endpoint: SlackEndpoint, how: str, kwargs: dict[str, Any]
) -> None:
    status, _ = endpoint.command(VIEWER.slack_user_id, "status", **kwargs)
    assert status == 401, how


# --- /bank alone: the search modal ---------------------------------------------------------


def typed(block: Block, value: str) -> dict[str, dict[str, Any]]:
    return {block.value: {block.value: {"type": "plain_text_input", "value": value}}}


def picked_date(block: Block, day: str) -> dict[str, dict[str, Any]]:
    return {block.value: {block.value: {"type": "datepicker", "selected_date": day}}}


def picked_statuses(*statuses: str) -> dict[str, dict[str, Any]]:
    options = [{"value": status} for status in statuses]
    block = Block.SEARCH_STATUS.value
    return {block: {block: {"type": "multi_static_select", "selected_options": options}}}


def search(endpoint: SlackEndpoint, user: str, **values: Any) -> dict[str, Any]:
    form: dict[str, dict[str, Any]] = {}
    for part in values.values():
        form |= part
    status, ack = endpoint.submit(user, View.SEARCH.value, form)
    assert status == 200 and ack is not None
    return ack


def test_bank_alone_opens_the_search_form_at_once(endpoint: SlackEndpoint) -> None:
    status, body = endpoint.command(VIEWER.slack_user_id, "")
    assert (status, body) == (200, "")
    [opened] = endpoint.slack.wait_for("views.open")
    view = opened["view"]
    assert view["callback_id"] == View.SEARCH.value
    assert {block["block_id"] for block in view["blocks"]} == {
        Block.SEARCH_TO,
        Block.SEARCH_COMPANY,
        Block.SEARCH_AMOUNT,
        Block.SEARCH_DUE,
        Block.SEARCH_DUE_TO,
        Block.SEARCH_STATUS,
        Block.SEARCH_CURRENCY,
    }
    statuses = next(b for b in view["blocks"] if b["block_id"] == Block.SEARCH_STATUS)
    assert [o["value"] for o in statuses["element"]["options"]] == [s.value for s in PaymentStatus]
    endpoint.settle()  # the work after the answer is done: nothing to change for English
    assert endpoint.slack.calls_to("views.update") == []


def test_the_search_form_speaks_the_companys_language(
    endpoint: SlackEndpoint, uow: UnitOfWork
) -> None:
    companies.update_settings(uow, org_no=ORG_NO, language=Language.NB, now=NOW)
    endpoint.command(VIEWER.slack_user_id, "")
    [updated] = endpoint.slack.wait_for("views.update")
    assert updated["view"]["title"]["text"] == "Søk i betalinger"
    assert updated["view_id"] in endpoint.slack.views


def test_someone_without_a_role_is_told_so_in_the_search_form(endpoint: SlackEndpoint) -> None:
    endpoint.command("UNOBODY", "")
    [updated] = endpoint.slack.wait_for("views.update")
    assert "no role" in text_of(updated["view"])


def test_a_search_answers_with_the_results_in_the_modal(endpoint: SlackEndpoint) -> None:
    ack = search(
        endpoint,
        VIEWER.slack_user_id,
        amount=typed(Block.SEARCH_AMOUNT, ">2000"),
        due=picked_date(Block.SEARCH_DUE, "2026-11-01"),
        due_to=picked_date(Block.SEARCH_DUE_TO, "2026-12-31"),
        status=picked_statuses("proposed", "approved"),
        currency=typed(Block.SEARCH_CURRENCY, "nok"),
        payee=typed(Block.SEARCH_COMPANY, "Leverandør AS"),
    )
    assert ack["response_action"] == "update"
    text = text_of(ack["view"])
    assert "1 payment(s) match" in text and "NOK 3,750.00" in text
    # The form is the CLI's query, shown so people learn it.
    assert (
        "/bank search company:'Leverandør AS' amount:'&gt;2000' currency:nok "
        "due:2026-11-01..2026-12-31 status:proposed,approved" in text
    )


def test_an_empty_search_form_finds_everything(endpoint: SlackEndpoint) -> None:
    ack = search(endpoint, VIEWER.slack_user_id)
    assert "2 payment(s) match `everything`" in text_of(ack["view"])


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"amount": typed(Block.SEARCH_AMOUNT, "abc")}, Block.SEARCH_AMOUNT),
        ({"to": typed(Block.SEARCH_TO, "12 34 !?")}, Block.SEARCH_TO),
        ({"currency": typed(Block.SEARCH_CURRENCY, "kroner")}, Block.SEARCH_CURRENCY),
        (
            {
                "from": picked_date(Block.SEARCH_DUE, "2026-12-31"),
                "to": picked_date(Block.SEARCH_DUE_TO, "2026-12-01"),
            },
            Block.SEARCH_DUE_TO,
        ),
    ],
)
def test_a_value_that_cannot_be_read_is_an_error_on_its_field(
    endpoint: SlackEndpoint, values: dict[str, Any], field: Block
) -> None:
    ack = search(endpoint, VIEWER.slack_user_id, **values)
    assert ack["response_action"] == "errors"
    assert list(ack["errors"]) == [field.value]


def test_only_companies_the_person_has_a_role_in_are_searched(
    endpoint: SlackEndpoint, uow: UnitOfWork
) -> None:
    companies.add_company(uow, org_no=OTHER_ORG, name="Other AS", account=ACCOUNT_B, now=NOW)
    ledger.import_open_items(
        uow, company_org_no=OTHER_ORG, source="o.csv", rows=[an_item(amount=9999)], now=NOW
    )
    proposals.refresh(uow, company_org_no=OTHER_ORG, now=NOW)
    ack = search(endpoint, VIEWER.slack_user_id, amount=typed(Block.SEARCH_AMOUNT, "9999"))
    assert "0 payment(s) match" in text_of(ack["view"])


def test_more_results_than_fit_say_how_many_more_and_how_to_narrow(
    endpoint: SlackEndpoint, uow: UnitOfWork
) -> None:
    ledger_with(uow, [an_item(amount=100 + n) for n in range(110)])
    ack = search(endpoint, VIEWER.slack_user_id)
    view = ack["view"]
    assert len(view["blocks"]) <= 100
    shown = sum(1 for block in view["blocks"] if "#" in block.get("text", {}).get("text", ""))
    assert f"and {112 - shown} more" in text_of(view)
    assert "Narrow the search" in text_of(view)


# --- /bank limits ----------------------------------------------------------------------------


def make_admin(uow: UnitOfWork) -> None:
    people.add_user(
        uow,
        company_org_no=ORG_NO,
        slack_user_id=BOSS.slack_user_id,
        name="Berit Boss",
        roles=[Role.ADMIN],
        now=NOW,
    )


def test_limits_shows_the_persons_roles_limits_and_code(endpoint: SlackEndpoint) -> None:
    data = ephemeral(endpoint.command(SIGNER.slack_user_id, "limits"))
    text = text_of(data["blocks"])
    assert "Your roles: signer" in text
    assert "no limit per payment, no limit per day" in text
    assert "One-time code: active" in text
    assert "<@UAPPROVER>" not in text  # only admins see everyone


@pytest.mark.parametrize("mention", ["<@USIGNER|sigrid>", "<@USIGNER>", "USIGNER"])
def test_an_admin_sets_someones_limits(
    endpoint: SlackEndpoint, uow: UnitOfWork, mention: str
) -> None:
    make_admin(uow)
    data = ephemeral(
        endpoint.command(BOSS.slack_user_id, f"limits {mention} per-payment 50 000 per-day 200000")
    )
    assert "NOK 50,000.00 per payment and NOK 200,000.00 per day" in data["text"]
    [signer] = [
        m
        for m in people.list_users(uow, company_org_no=ORG_NO, now=NOW)
        if m.slack_user_id == SIGNER.slack_user_id
    ]
    assert (signer.limits.per_payment, signer.limits.per_day) == (
        Decimal("50000.00"),
        Decimal("200000.00"),
    )
    admin_view = text_of(ephemeral(endpoint.command(BOSS.slack_user_id, "limits"))["blocks"])
    assert "<@USIGNER>: signer · NOK 50,000.00 / NOK 200,000.00 · active" in admin_view


def test_someone_who_is_not_an_admin_cannot_set_limits(
    endpoint: SlackEndpoint, uow: UnitOfWork
) -> None:
    data = ephemeral(endpoint.command(APPROVER.slack_user_id, "limits <@USIGNER> per-day 1"))
    assert "Only an admin" in data["text"]
    [signer] = [
        m
        for m in people.list_users(uow, company_org_no=ORG_NO, now=NOW)
        if m.slack_user_id == SIGNER.slack_user_id
    ]
    assert signer.limits.per_day is None


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("limits per-day 100", "Name the person first"),
        ("limits @sigrid per-day 100", "Slack sends `@sigrid` to paybot as plain text"),
        ("limits <@USIGNER> per-day lots", "per-day:"),
        ("limits <@USIGNER> sometimes", "`sometimes` is not something I know"),
        ("limits <@USIGNER>", "Give `per-payment N`"),
        ("limits <@UNOBODY> per-day 100", "No paybot user"),
        ("limits <@USIGNER> 923609016 per-day 100", "not an admin of a company"),
    ],
)
def test_a_limits_command_that_cannot_be_done_is_answered_in_a_sentence(
    endpoint: SlackEndpoint, uow: UnitOfWork, text: str, said: str
) -> None:
    make_admin(uow)
    data = ephemeral(endpoint.command(BOSS.slack_user_id, text))
    assert said in data["text"]


def limits_form(
    endpoint: SlackEndpoint, user: str, person: str | None, **limits: str
) -> dict[str, Any]:
    values: dict[str, dict[str, Any]] = {
        Block.LIMIT_USER.value: {
            Block.LIMIT_USER.value: {"type": "users_select", "selected_user": person}
        }
    }
    for block, text in (
        (Block.LIMIT_PER_PAYMENT, limits.get("per_payment")),
        (Block.LIMIT_PER_DAY, limits.get("per_day")),
    ):
        values[block.value] = {block.value: {"type": "plain_text_input", "value": text}}
    status, ack = endpoint.submit(user, View.LIMITS.value, values, private_metadata="{}")
    assert status == 200 and ack is not None
    return ack


def limits_of(uow: UnitOfWork, who: ActorRef) -> tuple[Decimal | None, Decimal | None]:
    [member] = [
        m
        for m in people.list_users(uow, company_org_no=ORG_NO, now=NOW)
        if m.slack_user_id == who.slack_user_id
    ]
    return member.limits.per_payment, member.limits.per_day


def test_an_admin_sets_limits_with_the_form(endpoint: SlackEndpoint, uow: UnitOfWork) -> None:
    make_admin(uow)
    assert endpoint.command(BOSS.slack_user_id, "limits set") == (200, "")
    [opened] = endpoint.slack.wait_for("views.open")
    assert opened["view"]["callback_id"] == View.LIMITS.value
    assert [b["block_id"] for b in opened["view"]["blocks"]] == [
        Block.LIMIT_USER,
        Block.LIMIT_PER_PAYMENT,
        Block.LIMIT_PER_DAY,
    ]
    ack = limits_form(endpoint, BOSS.slack_user_id, SIGNER.slack_user_id, per_payment="50 000")
    assert ack["response_action"] == "update"
    assert "NOK 50,000.00 per payment and no limit per day" in text_of(ack["view"])
    assert limits_of(uow, SIGNER) == (Decimal("50000.00"), None)


def test_the_limits_form_tells_someone_who_is_not_an_admin(endpoint: SlackEndpoint) -> None:
    endpoint.command(APPROVER.slack_user_id, "limits set")
    [updated] = endpoint.slack.wait_for("views.update")
    assert "Only an admin of the company may set signing limits." in text_of(updated["view"])


@pytest.mark.parametrize(
    ("user", "person", "limits", "field", "said"),
    [
        ("UBOSS", "USIGNER", {"per_day": "lots"}, Block.LIMIT_PER_DAY, "not an amount"),
        ("UBOSS", "USIGNER", {"per_payment": "0"}, Block.LIMIT_PER_PAYMENT, "above zero"),
        ("UBOSS", "USIGNER", {}, Block.LIMIT_PER_PAYMENT, "Give `per-payment N`"),
        ("UBOSS", "UNOBODY", {"per_day": "10"}, Block.LIMIT_USER, "No paybot user"),
        ("UAPPROVER", "USIGNER", {"per_day": "10"}, Block.LIMIT_USER, "Only an admin"),
    ],
)
def test_what_the_limits_form_cannot_do_is_an_error_on_its_field(
    endpoint: SlackEndpoint,
    uow: UnitOfWork,
    user: str,
    person: str,
    limits: dict[str, str],
    field: Block,
    said: str,
) -> None:
    make_admin(uow)
    ack = limits_form(endpoint, user, person, **limits)
    assert ack["response_action"] == "errors"
    assert list(ack["errors"]) == [field.value]
    assert said in ack["errors"][field.value]
    assert limits_of(uow, SIGNER) == (None, None)
