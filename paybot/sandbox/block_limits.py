"""What Slack refuses in the Block Kit it is sent: too many blocks, texts too long, elements out
of bounds. The local Slack Web API answers with Slack's error for each."""

from __future__ import annotations

import json
from typing import Any

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
# Slack answers msg_blocks_too_long near 13k characters of blocks JSON (bolt-js#2509).
MAX_MESSAGE_BLOCKS_JSON = 13_000
MAX_ACTIONS_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_OVERFLOW_OPTIONS = 5


def blocks_of(body: dict[str, Any], key: str = "blocks") -> list[dict[str, Any]]:
    blocks = body.get(key) or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return list(blocks)


def view_of(body: dict[str, Any]) -> dict[str, Any]:
    view = body.get("view") or {}
    return json.loads(view) if isinstance(view, str) else dict(view)


def message_problem(body: dict[str, Any]) -> str | None:
    blocks = blocks_of(body)
    if not blocks and not body.get("text"):
        return "no_text"
    if len(blocks) > MAX_MESSAGE_BLOCKS:
        return "invalid_blocks"
    if len(json.dumps(blocks)) > MAX_MESSAGE_BLOCKS_JSON:
        return "msg_blocks_too_long"
    return _block_problem(blocks)


def view_problem(body: dict[str, Any]) -> str | None:
    blocks = blocks_of(view_of(body))
    if not 1 <= len(blocks) <= MAX_VIEW_BLOCKS:
        return "invalid_arguments"
    return _block_problem(blocks)


def _block_problem(blocks: list[dict[str, Any]]) -> str | None:
    for block in blocks:
        kind = block.get("type")
        if kind == "section":
            text = (block.get("text") or {}).get("text", "")
            if len(text) > MAX_SECTION_TEXT:
                return "invalid_blocks"
        elif kind == "header" and len((block.get("text") or {}).get("text", "")) > MAX_HEADER_TEXT:
            return "invalid_blocks"
        elif kind is None:
            return "invalid_blocks"
        elif kind == "actions" and len(block.get("elements") or []) > MAX_ACTIONS_ELEMENTS:
            return "invalid_blocks"
        elements = [*(block.get("elements") or []), block.get("accessory") or {}]
        if any(_element_problem(element) for element in elements):
            return "invalid_blocks"
    return None


def _element_problem(element: dict[str, Any]) -> bool:
    """A button whose text is too long, or an overflow menu with too few or too many options."""
    if element.get("type") == "button":
        return len((element.get("text") or {}).get("text", "")) > MAX_BUTTON_TEXT
    if element.get("type") == "overflow":
        return not 1 <= len(element.get("options") or []) <= MAX_OVERFLOW_OPTIONS
    return False
