"""Pure domain: no Slack, no database session, no clock of its own."""
