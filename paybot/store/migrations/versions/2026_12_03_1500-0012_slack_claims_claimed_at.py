"""slack claims found by when they were claimed, so that old ones can be pruned

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 15:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # In place on both databases (no copy of the table).
    op.create_index(op.f("ix_slack_claims_claimed_at"), "slack_claims", ["claimed_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_slack_claims_claimed_at"), table_name="slack_claims")
