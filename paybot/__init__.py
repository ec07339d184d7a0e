"""paybot: a Slack app that runs a company's bank module."""
