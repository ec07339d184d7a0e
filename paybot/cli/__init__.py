"""The `paybot` command line."""
