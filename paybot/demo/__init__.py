"""`paybot demo`: a local Slack-like workspace in a browser, with paybot's own Slack app behind it.

Never imported by `paybot serve` (an import-linter contract keeps it so)."""
