"""Use cases: one function each, one transaction each, policy checked, audit written."""
