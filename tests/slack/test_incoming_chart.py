"""The "Post to account" modal of a company with a chart of accounts, through paybot's real HTTP
endpoint on both databases: an account the chart does not have, or has closed for posting by
hand, is an error on the GL account field of the modal still open, and nothing is posted; an
account of the chart is posted to."""

from __future__ import annotations

from typing import Any

from paybot.core.chart_of_accounts import read_chart
from paybot.handlers.deps import Deps
from paybot.handlers.ids import Act, Block, View
from paybot.services import chart_of_accounts, incoming
from paybot.services.incoming import IncomingStatus
from paybot.store.uow import UnitOfWork
from tests.builders import NOW, ORG_NO, SIGNER
from tests.core.test_chart_of_accounts import CHART
from tests.services.test_incoming import KID_UNKNOWN, acme
from tests.slack.conftest import SlackEndpoint
from tests.slack.test_incoming import (
    click,
    opened_modal,
    scene,
    summarize,
    summary_message,
    value_of,
)

__all__ = ["acme", "scene"]  # fixtures, used by name


def submit(endpoint: SlackEndpoint, meta: str, account: str) -> dict[str, Any] | None:
    status, answer = endpoint.submit(
        SIGNER.slack_user_id,
        View.INCOMING_POST.value,
        {
            Block.GL_ACCOUNT.value: {Block.GL_ACCOUNT.value: {"value": account}},
            Block.POST_TEXT.value: {Block.POST_TEXT.value: {"value": "Refund from NAV"}},
        },
        private_metadata=meta,
    )
    assert status == 200
    return answer


def test_an_account_not_in_the_chart_is_an_error_on_the_gl_account_field(
    scene: dict[str, int], endpoint: SlackEndpoint, deps: Deps, acme: UnitOfWork
) -> None:
    rows = read_chart("chart.csv", CHART.encode())
    chart_of_accounts.import_chart(acme, company_org_no=ORG_NO, source="c", rows=rows, now=NOW)
    summarize(endpoint, deps)
    message = summary_message(endpoint)
    payment = scene[KID_UNKNOWN]
    click(
        endpoint,
        SIGNER.slack_user_id,
        message,
        Act.INCOMING_POST,
        value_of(payment, message["blocks"]),
    )
    meta = opened_modal(endpoint)["private_metadata"]

    typo = submit(endpoint, meta, "9999")
    closed = submit(endpoint, meta, "1500")

    assert typo is not None and typo["response_action"] == "errors"
    assert typo["errors"] == {
        Block.GL_ACCOUNT.value: "9999 is not in the chart of accounts of Acme AS: check the "
        "number, or add the account to the chart file and import it again (`paybot ledger "
        f"accounts import FILE --company {ORG_NO}`)"
    }
    assert closed is not None and closed["response_action"] == "errors"
    assert (
        "1500 Kundefordringer is closed for posting by hand"
        in (closed["errors"][Block.GL_ACCOUNT.value])
    )
    [waiting] = [v for v in incoming.list_incoming(acme, ORG_NO) if v.id == payment]
    assert waiting.status is IncomingStatus.UNMATCHED

    assert submit(endpoint, meta, "3900") is None  # the modal closes
    [posted] = [v for v in incoming.list_incoming(acme, ORG_NO) if v.id == payment]
    assert posted.status is IncomingStatus.POSTED
