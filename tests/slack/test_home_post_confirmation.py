"""Post on the Home tab: the tab published after it says, in the company's language, as which
voucher the payment was posted, where the card was (a channel's click gets the same sentence
ephemerally); the next publish no longer says it. Through the real endpoint, both databases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from paybot.core.company import Language
from paybot.core.policy import Role
from paybot.core.states import PaymentStatus
from paybot.handlers.ids import Act
from paybot.services import payments, people
from paybot.store.uow import UnitOfWork
from tests.builders import NOW, ORG_NO
from tests.services.test_alerts import SENT, Bank, company, proposals
from tests.slack.conftest import SlackEndpoint, text_of
from tests.slack.test_posting import ADMIN, open_home, post_buttons


def first_context(view: dict[str, Any]) -> str | None:
    """The text of the first context block, if it comes before any company's."""
    for block in view["blocks"]:
        if block["type"] == "divider":
            return None
        if block["type"] == "context":
            return str(block["elements"][0]["text"])
    return None


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (Language.EN, "✅ Payment #{id} is posted as voucher 1."),
        (Language.NB, "✅ Betaling #{id} er bokført som bilag 1."),
    ],
)
def test_post_on_the_home_tab_says_the_voucher_on_the_tab(
    uow: UnitOfWork, tmp_path: Path, endpoint: SlackEndpoint, language: Language, said: str
) -> None:
    phone = company(uow, language)
    people.add_user(
        uow, company_org_no=ORG_NO, slack_user_id=ADMIN, name="Ada", roles=[Role.ADMIN], now=NOW
    )
    [paid] = proposals(uow, {})
    Bank(tmp_path).send(uow, phone, [paid], SENT)
    assert payments.show(uow, payment_id=paid).payment.status is PaymentStatus.PAID
    view = open_home(endpoint, ADMIN)
    assert post_buttons(view) == [f"{ORG_NO}:{paid}"]
    assert first_context(view) is None

    status, _ = endpoint.click(ADMIN, Act.POST.value, f"{ORG_NO}:{paid}", home=True)

    assert status == 200
    published = endpoint.slack.wait_for("views.publish", 2)
    assert len(published) == 2
    after = published[-1]["view"]
    assert post_buttons(after) == []
    assert first_context(after) == said.format(id=paid)
    assert payments.show(uow, payment_id=paid).payment.status is PaymentStatus.POSTED
    # Opened again, the tab is as usual: the sentence was for the click.
    again = open_home(endpoint, ADMIN, 3)
    assert first_context(again) is None
    assert said.format(id=paid) not in text_of(again)
