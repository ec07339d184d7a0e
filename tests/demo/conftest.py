"""A running demo (`paybot demo`'s Demo, on a free loopback port, in a temporary folder), and the
way the tests talk to its page's endpoints."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from paybot.demo.server import Demo

DEADLINE = 30.0  # seconds: only a failing test waits this long


class DemoPage:
    """The demo's /ui endpoints, as its page calls them."""

    def __init__(self, demo: Demo) -> None:
        self.demo = demo
        self.url = demo.url

    def get(self, path: str) -> tuple[int, dict[str, Any]]:
        return self._call(urllib.request.Request(self.url + path))

    def post(self, path: str, body: object, raw: bytes | None = None) -> tuple[int, dict[str, Any]]:
        data = raw if raw is not None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data, {"Content-Type": "application/json"}, method="POST"
        )
        return self._call(request)

    @staticmethod
    def _call(request: urllib.request.Request) -> tuple[int, dict[str, Any]]:
        try:
            with urllib.request.urlopen(request, timeout=DEADLINE) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def state(self, user: str, conv: str) -> dict[str, Any]:
        status, state = self.get(f"/ui/state?as={user}&conv={conv}")
        assert status == 200, state
        return state

    def until(
        self, user: str, conv: str, found: Callable[[dict[str, Any]], bool]
    ) -> dict[str, Any]:
        """The page's state once `found` holds for it (the jobs and lazy work take a moment)."""
        deadline = time.monotonic() + DEADLINE
        while True:
            state = self.state(user, conv)
            if found(state):
                return state
            assert time.monotonic() < deadline, f"not found within {DEADLINE} s"
            time.sleep(0.1)


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Demo]:
    """The demo, started in a folder of its own (the working folder is another, empty one)."""
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    # The payment the bank never answers fails after 7 s here, not the demo's 36 s.
    running = Demo(tmp_path / "demo", port=0, no_return_hours=0.002)
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def page(demo: Demo) -> DemoPage:
    return DemoPage(demo)
