"""Block Kit builders: pure functions from results to dicts, within Slack's limits."""
