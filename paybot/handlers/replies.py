"""Answering only the person who clicked: ephemerally where Slack allows it, else in their DM."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from paybot.handlers.views.blocks import section

log = logging.getLogger("paybot.slack")


def tell(client: WebClient, body: dict[str, Any], text: str) -> None:
    """A sentence to the user of an interaction: via its response_url (ephemeral, the message
    stays as it is), as an ephemeral in the channel, or — from the Home tab or a modal, which
    have neither — as a direct message from paybot."""
    user = (body.get("user") or {}).get("id") or body.get("user_id")
    blocks = [section(text)]
    response_url = body.get("response_url")
    if response_url:
        answer = WebhookClient(response_url).send(
            text=text, blocks=blocks, response_type="ephemeral", replace_original=False
        )
        if answer.status_code == 200:
            return
        log.warning("response_url answered %s; trying the channel", answer.status_code)
    channel = (body.get("container") or {}).get("channel_id") or body.get("channel_id")
    try:
        if channel and user and not str(channel).startswith("D"):
            client.chat_postEphemeral(channel=channel, user=user, text=text, blocks=blocks)
        elif user:
            client.chat_postMessage(channel=user, text=text, blocks=blocks)
    except SlackApiError as error:
        # Not the text: it may quote what the person typed, and the logs carry no bodies.
        log.warning("could not tell %s an answer of %d characters: %s", user, len(text), error)
