"""tax-withholding accounts: at most one per company

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 08:50:00.000000

`company_bank_accounts.tax_withholding` exists since 0001 (false for every account added); a
partial unique index now lets each company mark one account at most. Creating an index needs no
table copy on SQLite, so the batches naming the accounts (foreign keys) are left alone.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("company_bank_accounts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_company_bank_accounts_one_tax_withholding",
            ["company_id"],
            unique=True,
            sqlite_where=sa.text("tax_withholding"),
            postgresql_where=sa.text("tax_withholding"),
        )


def downgrade() -> None:
    with op.batch_alter_table("company_bank_accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_company_bank_accounts_one_tax_withholding")
