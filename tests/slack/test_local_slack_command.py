"""`python -m paybot.sandbox.slack_http`: the local Slack Web API as a process of its own, which
an admin points `paybot serve` at (PAYBOT_SLACK_API_URL) to try a server before Slack is there."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
import urllib.request


def test_the_local_slack_api_runs_as_a_command_and_answers_auth_test() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "paybot.sandbox.slack_http"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        said = process.stdout.readline()
        url = said.split("PAYBOT_SLACK_API_URL=")[1].split()[0]
        assert "SLACK_BOT_TOKEN=xoxb-paybot-test" in said
        body = urllib.parse.urlencode({"token": "xoxb-paybot-test"}).encode()
        with urllib.request.urlopen(url + "auth.test", data=body, timeout=5) as answer:
            assert json.loads(answer.read())["ok"] is True
    finally:
        process.terminate()
        process.wait(timeout=5)
