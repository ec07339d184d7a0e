"""Slack listeners: thin, ack fast, call one service, render a view."""
