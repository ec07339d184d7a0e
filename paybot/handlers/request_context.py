"""Which Slack request this thread is working for: its id, set while the request is answered
(by the operator's wrapper, ops.web) and carried into the threads it hands work to (Bolt's lazy
listeners), so that every log record made for it can say so (ops.logs)."""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

# The Slack request being handled, or None outside one.
REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "paybot_request_id", default=None
)

P = ParamSpec("P")
T = TypeVar("T")


def new_request_id() -> str:
    """Short enough to read in a log line, random enough not to repeat in a day's logs."""
    return uuid.uuid4().hex[:12]


class ContextThreadPoolExecutor(ThreadPoolExecutor):
    """A thread pool whose tasks each run in a copy of the submitter's context variables."""

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        context = contextvars.copy_context()  # here, on the submitting thread
        return super().submit(lambda: context.run(fn, *args, **kwargs))


def context_executor(max_workers: int, thread_name_prefix: str = "") -> ThreadPoolExecutor:
    """A ThreadPoolExecutor that carries the submitter's context (request id) into each task."""
    return ContextThreadPoolExecutor(max_workers=max_workers, thread_name_prefix=thread_name_prefix)
