""" "Undo" on a payment posted or matched by hand, through paybot's real HTTP endpoint on both
databases: the summary's line shows the button (behind Slack's confirm dialog) beside "Posted to
3900 by …"; a click undoes it through the service and the line offers Post and Match again; a
second click on the old copy, and a viewer's click, are told to the clicker alone."""

from __future__ import annotations

import json
from typing import Any

from paybot.core.company import Language
from paybot.core.posting import VoucherRef
from paybot.handlers.deps import Deps
from paybot.handlers.ids import Act, Block, View
from paybot.handlers.views import incoming as views
from paybot.sandbox.block_limits import message_problem
from paybot.services import incoming
from paybot.services.incoming import IncomingStatus
from paybot.services.incoming_summary import Line
from paybot.store.uow import UnitOfWork
from tests.builders import NOW, ORG_NO, SIGNER, VIEWER
from tests.handlers.test_incoming_views import ACME, a_payment, a_summary
from tests.services.test_incoming import KID_EXACT, KID_UNKNOWN, acme, vouchers
from tests.slack.conftest import SlackEndpoint, text_of
from tests.slack.test_incoming import (
    ALERTS,
    buttons,
    click,
    opened_modal,
    scene,
    summarize,
    summary_message,
    value_of,
)

__all__ = ["acme", "scene"]  # fixtures, used by name


def undo_buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The Undo buttons: each a section's accessory, beside what became of the payment."""
    return [
        block["accessory"]
        for block in blocks
        if block["type"] == "section"
        and (block.get("accessory") or {}).get("action_id") == Act.INCOMING_UNDO.value
    ]


def posted_from_the_summary(endpoint: SlackEndpoint, payment: int) -> dict[str, Any]:
    """Posts the payment to 3900 from the summary's modal; the summary as it is then."""
    message = summary_message(endpoint)
    click(
        endpoint,
        SIGNER.slack_user_id,
        message,
        Act.INCOMING_POST,
        value_of(payment, message["blocks"]),
    )
    meta = opened_modal(endpoint)["private_metadata"]
    endpoint.submit(
        SIGNER.slack_user_id,
        View.INCOMING_POST.value,
        {
            Block.GL_ACCOUNT.value: {Block.GL_ACCOUNT.value: {"value": "3900"}},
            Block.POST_TEXT.value: {Block.POST_TEXT.value: {"value": "Refund from NAV"}},
        },
        private_metadata=meta,
    )
    endpoint.slack.wait_for("chat.update")
    return {"ts": message["ts"], **endpoint.slack.messages[(ALERTS, message["ts"])]}


def test_undo_from_the_summary_reverses_the_posting_and_the_line_offers_post_again(
    scene: dict[str, int], endpoint: SlackEndpoint, deps: Deps, acme: UnitOfWork
) -> None:
    summarize(endpoint, deps)
    payment = scene[KID_UNKNOWN]
    posted = posted_from_the_summary(endpoint, payment)
    assert f"Posted to 3900 by <@{SIGNER.slack_user_id}>" in text_of(posted["blocks"])
    [undo] = undo_buttons(posted["blocks"])
    assert undo["value"].split(":")[1] == str(payment)
    confirm = undo["confirm"]
    assert confirm["title"]["text"] == "Undo this?"
    assert "Undo the posting of NOK 250.00" in confirm["text"]["text"]
    assert "to 3900" in confirm["text"]["text"]
    assert (confirm["confirm"]["text"], confirm["deny"]["text"]) == ("Undo", "Cancel")
    assert len(vouchers(acme)) == 3  # two by KID, the hand posting

    click(endpoint, SIGNER.slack_user_id, posted, Act.INCOMING_UNDO, undo["value"])

    endpoint.slack.wait_for("chat.update", 2)
    endpoint.settle()
    shown = endpoint.slack.messages[(ALERTS, posted["ts"])]
    assert undo_buttons(shown["blocks"]) == []
    assert "Posted to 3900" not in text_of(shown["blocks"])
    again = value_of(payment, shown["blocks"])  # Post to account is offered again
    assert int(again.split(":")[2]) == int(undo["value"].split(":")[2]) + 1
    [view] = [v for v in incoming.list_incoming(acme, ORG_NO) if v.id == payment]
    assert (view.status, view.voucher) == (IncomingStatus.UNMATCHED, None)
    *_, original, reversal = vouchers(acme)
    assert f"voucher {original.number} of 2026" in reversal.text
    assert reversal.day == NOW.date()
    assert endpoint.slack.calls_to("response_url") == []  # the summary said it

    # The old copy of the line, clicked again: the clicker alone is told, nothing is posted.
    click(endpoint, SIGNER.slack_user_id, posted, Act.INCOMING_UNDO, undo["value"])
    [told] = endpoint.slack.wait_for("response_url")
    assert told["response_type"] == "ephemeral"
    assert f"Incoming payment {payment} is unmatched: there is nothing to undo" in told["text"]
    endpoint.settle()
    assert len(vouchers(acme)) == 4


def test_a_viewer_clicking_undo_is_told_and_nothing_changes(
    scene: dict[str, int], endpoint: SlackEndpoint, deps: Deps, acme: UnitOfWork
) -> None:
    summarize(endpoint, deps)
    payment = scene[KID_UNKNOWN]
    posted = posted_from_the_summary(endpoint, payment)
    [undo] = undo_buttons(posted["blocks"])

    click(endpoint, VIEWER.slack_user_id, posted, Act.INCOMING_UNDO, undo["value"])

    [told] = endpoint.slack.wait_for("response_url")
    assert told["response_type"] == "ephemeral"
    assert "may not handle incoming payments in Acme AS" in told["text"]
    endpoint.settle()
    [view] = [v for v in incoming.list_incoming(acme, ORG_NO) if v.id == payment]
    assert view.status is IncomingStatus.POSTED
    assert undo_buttons(endpoint.slack.messages[(ALERTS, posted["ts"])]["blocks"]) != []


def test_a_hand_match_has_undo_and_a_match_by_kid_has_none(
    scene: dict[str, int], endpoint: SlackEndpoint, acme: UnitOfWork
) -> None:
    incoming.match_by_hand(
        acme, payment_id=scene[KID_UNKNOWN], invoice_no="F-3", actor=SIGNER, now=NOW
    )

    _, body = endpoint.command(SIGNER.slack_user_id, "search direction:in")

    answer = json.loads(body)
    [undo] = undo_buttons(answer["blocks"])
    assert undo["value"].split(":")[1] == str(scene[KID_UNKNOWN])
    assert "Undo the match of NOK 250.00" in undo["confirm"]["text"]["text"]
    assert "invoice F-3" in undo["confirm"]["text"]["text"]
    assert "Matched by KID to invoice F-1" in text_of(answer)
    assert str(scene[KID_EXACT]) not in [
        b["value"].split(":")[1] for b in undo_buttons(answer["blocks"])
    ]
    assert buttons(answer["blocks"], Act.INCOMING_UNDO) == []  # beside the line, not below it

    # Clicked in the search answer (no summary to update): the clicker is told what it did.
    where = {"ts": "1700000000.000100", "text": answer["text"], "blocks": answer["blocks"]}
    click(endpoint, SIGNER.slack_user_id, where, Act.INCOMING_UNDO, undo["value"])
    [told] = endpoint.slack.wait_for("response_url")
    assert told["text"] == (
        "Undone: voucher 3 of 2026 is reversed by voucher 4 of 2026; "
        f"#{scene[KID_UNKNOWN]} is unmatched again."
    )


def test_the_summary_with_undo_buttons_speaks_norwegian_within_slacks_limits() -> None:
    posted = Line(
        a_payment(3, status=IncomingStatus.POSTED, voucher=VoucherRef(2026, 7)),
        handled_by="UKARI",
        handled_by_name="Kari",
        account="3900",
    )
    matched = Line(
        a_payment(4, status=IncomingStatus.PARTIAL, invoice_no="F-2", version=3),
        handled_by="UOLA",
    )
    by_kid = Line(a_payment(5, status=IncomingStatus.MATCHED, invoice_no="F-1"))
    lines = [Line(a_payment(1)), posted, matched, by_kid]

    message = views.summary_message(ACME, a_summary(4), lines, Language.NB)

    assert message_problem(message) is None
    undos = undo_buttons(message["blocks"])
    assert [u["value"] for u in undos] == [f"{ACME.org_no}:3:1", f"{ACME.org_no}:4:3"]
    assert [u["text"]["text"] for u in undos] == ["Angre", "Angre"]
    assert undos[0]["confirm"]["text"]["text"].startswith("Angre bokføringen av NOK 250,00 (#3)")
    assert "til faktura F-2" in undos[1]["confirm"]["text"]["text"]
    assert undos[1]["confirm"]["deny"]["text"] == "Avbryt"
