"""`/bank enroll`: a modal at once, the QR code as a file in the person's DM, the first code
confirms the device (both databases, through the real endpoint)."""

from __future__ import annotations

from typing import Any

import png as pypng
import pytest
import qrcode

from paybot.core.otp import code_at, provisioning_uri
from paybot.core.policy import Role
from paybot.handlers.ids import Block, View
from paybot.services import companies, people
from paybot.services.common import ActorRef
from paybot.store.uow import UnitOfWork
from tests.builders import ACCOUNT_B, APPROVER, BOX, NOW, ORG_NO, SIGNER, a_company
from tests.slack.conftest import Clock, SlackEndpoint, text_of

OTHER_ORG = "923609016"


@pytest.fixture(autouse=True)
def company(uow: UnitOfWork) -> None:
    a_company(uow)


def enroll(endpoint: SlackEndpoint, user: str, text: str = "enroll") -> dict[str, Any]:
    """Types the command; returns the modal as it is once the slow work is done."""
    status, body = endpoint.command(user, text)
    assert (status, body) == (200, "")
    [opened] = endpoint.slack.wait_for("views.open")
    assert opened["view"]["callback_id"] == View.ENROLL.value
    assert "Preparing your code" in text_of(opened["view"])
    [updated] = endpoint.slack.wait_for("views.update")
    return dict(updated["view"])


def setup_key(view: dict[str, Any]) -> str:
    [key] = [
        element["text"].rsplit("`", 2)[1]
        for block in view["blocks"]
        if block["type"] == "context"
        for element in block["elements"]
    ]
    return key


def secret_in_db(uow: UnitOfWork, who: ActorRef) -> str:
    with uow:
        [(user_id, _)] = uow.users.find(who.slack_user_id)
        device = uow.otp.get(user_id)
        assert device is not None
        return BOX.decrypt(device[0])


def code_state(uow: UnitOfWork, who: ActorRef) -> str:
    [member] = [
        m
        for m in people.list_users(uow, company_org_no=ORG_NO, now=NOW)
        if m.slack_user_id == who.slack_user_id
    ]
    return member.code


def png_modules(png: bytes, size: int) -> list[list[bool]]:
    """The dark modules of a black-on-white PNG QR code of `size` x `size` modules."""
    width, height, rows, info = pypng.Reader(bytes=png).asDirect()
    assert width == height and info["greyscale"]
    white = 2 ** info["bitdepth"] - 1
    pixels = [list(row) for row in rows]
    scale = width // size
    return [
        [pixels[y * scale + scale // 2][x * scale + scale // 2] < white / 2 for x in range(size)]
        for y in range(size)
    ]


def test_a_person_enrolls_with_a_qr_code_in_their_dm_and_a_first_code(
    endpoint: SlackEndpoint, uow: UnitOfWork, clock: Clock
) -> None:
    view = enroll(endpoint, APPROVER.slack_user_id)
    assert view["submit"]["text"] == "Confirm"
    assert [b.get("block_id") for b in view["blocks"] if b["type"] == "input"] == [Block.CODE]

    # The QR code went to the person's DM with paybot, as a PNG file.
    [opened] = endpoint.slack.calls_to("conversations.open")
    assert opened["users"] == APPROVER.slack_user_id
    [shared] = endpoint.slack.files
    assert shared["channel"] == "DUAPPROVER"
    assert "authenticator app" in shared["initial_comment"]
    png = shared["content"]
    assert 200 < len(png) < 100_000

    # It encodes the enrollment: the secret in the database, the one the modal shows too.
    secret = secret_in_db(uow, APPROVER)
    assert setup_key(view) == secret
    expected = qrcode.QRCode(border=4, error_correction=qrcode.constants.ERROR_CORRECT_M)
    expected.add_data(provisioning_uri(secret, "Anders Approver (Acme AS)"))
    expected.make(fit=True)
    matrix = expected.get_matrix()
    assert png_modules(png, len(matrix)) == matrix
    assert code_state(uow, APPROVER) == "pending"

    status, ack = endpoint.submit(
        APPROVER.slack_user_id,
        View.ENROLL.value,
        {
            Block.CODE.value: {
                "code": {"type": "plain_text_input", "value": code_at(secret, clock.at)}
            }
        },
        private_metadata=view["private_metadata"],
    )
    assert status == 200 and ack is not None
    assert ack["response_action"] == "update"
    assert "Your authenticator is ready; you can sign now." in text_of(ack["view"])
    assert code_state(uow, APPROVER) == "active"
    # The Home tab shows the code's state as it is now.
    [published] = endpoint.slack.wait_for("views.publish")
    assert "One-time code: active" in text_of(published["view"])


def test_a_wrong_code_is_an_error_on_the_code_field(
    endpoint: SlackEndpoint, uow: UnitOfWork
) -> None:
    view = enroll(endpoint, APPROVER.slack_user_id)
    status, ack = endpoint.submit(
        APPROVER.slack_user_id,
        View.ENROLL.value,
        {Block.CODE.value: {"code": {"type": "plain_text_input", "value": "000000"}}},
        private_metadata=view["private_metadata"],
    )
    assert status == 200 and ack is not None
    assert ack["response_action"] == "errors"
    assert list(ack["errors"]) == [Block.CODE.value]
    assert code_state(uow, APPROVER) == "pending"


def test_someone_with_an_active_device_is_told_how_to_replace_it(
    endpoint: SlackEndpoint,
) -> None:
    view = enroll(endpoint, SIGNER.slack_user_id)
    assert "set up already" in text_of(view)
    assert endpoint.slack.files == []


def test_someone_without_a_role_is_told_so(endpoint: SlackEndpoint) -> None:
    view = enroll(endpoint, "UNOBODY")
    assert "no role" in text_of(view)
    assert endpoint.slack.files == []


def test_a_person_in_several_companies_names_one(endpoint: SlackEndpoint, uow: UnitOfWork) -> None:
    companies.add_company(uow, org_no=OTHER_ORG, name="Other AS", account=ACCOUNT_B, now=NOW)
    people.add_user(
        uow,
        company_org_no=OTHER_ORG,
        slack_user_id=APPROVER.slack_user_id,
        name="Anders Approver",
        roles=[Role.VIEWER],
        now=NOW,
    )
    view = enroll(endpoint, APPROVER.slack_user_id)
    assert f"/bank enroll {OTHER_ORG}" in text_of(view) and f"/bank enroll {ORG_NO}" in text_of(
        view
    )
    assert endpoint.slack.files == []

    endpoint.slack.calls.clear()
    view = enroll(endpoint, APPROVER.slack_user_id, f"enroll {OTHER_ORG}")
    assert [b.get("block_id") for b in view["blocks"] if b["type"] == "input"] == [Block.CODE]
    [shared] = endpoint.slack.files
    assert shared["content"].startswith(b"\x89PNG")


def test_a_company_the_person_has_no_role_in_is_refused(endpoint: SlackEndpoint) -> None:
    view = enroll(endpoint, APPROVER.slack_user_id, f"enroll {OTHER_ORG}")
    assert f"no role in a company with organisation number {OTHER_ORG}" in text_of(view)


def test_a_qr_code_that_cannot_be_sent_is_told_in_the_modal(endpoint: SlackEndpoint) -> None:
    endpoint.slack.refusals["files.completeUploadExternal"] = "missing_scope"
    view = enroll(endpoint, APPROVER.slack_user_id)
    assert "could not send you the QR code (missing_scope)" in text_of(view)
    assert endpoint.slack.files == []
