"""a company's chart of accounts: the GL accounts a payment may be posted to by hand

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 17:23:05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import paybot.store.types

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A new table: no existing row changes, and a company without rows keeps posting as before.
    op.create_table(
        "chart_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("by_hand", sa.Boolean(), nullable=False),
        sa.Column("updated_at", paybot.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_chart_accounts_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chart_accounts")),
        sa.UniqueConstraint(
            "company_id", "number", name=op.f("uq_chart_accounts_company_id_number")
        ),
    )


def downgrade() -> None:
    op.drop_table("chart_accounts")
