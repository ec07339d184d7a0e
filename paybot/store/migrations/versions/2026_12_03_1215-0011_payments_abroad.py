"""Payments abroad: payee address, BIC, charge bearer and purpose on suppliers and payments;
urgent payments; each send's UETR; the reporting threshold; each bank account's profile

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 12:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import paybot.store.types

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_PAYEE_DETAILS = (
    ("street", 70),
    ("building_no", 16),
    ("post_code", 16),
    ("town", 35),
    ("country", 2),
    ("bic", 11),
    ("charge_bearer", 4),
    ("purpose_code", 10),
    ("purpose_text", 35),
)


def upgrade() -> None:
    # ADD COLUMN in place on both databases: a copy of the table (SQLite's batch mode) would be
    # refused by the foreign keys to these tables.
    for table in ("suppliers", "payments"):
        for name, length in _PAYEE_DETAILS:
            op.add_column(table, sa.Column(name, sa.String(length=length), nullable=True))
    op.add_column(
        "payments",
        sa.Column("urgent", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("batch_payments", sa.Column("uetr", sa.String(length=36), nullable=True))
    op.add_column(
        "companies",
        sa.Column(
            "reporting_threshold",
            paybot.store.types.Money(),
            server_default="1000000000",  # NOK 100,000 in storage units (store.types.Money)
            nullable=False,
        ),
    )
    op.add_column(
        "company_bank_accounts", sa.Column("profile", sa.String(length=20), nullable=True)
    )


def downgrade() -> None:
    # DROP COLUMN in place (SQLite 3.35+), not a copy of the table (see upgrade).
    op.drop_column("company_bank_accounts", "profile")
    op.drop_column("companies", "reporting_threshold")
    op.drop_column("batch_payments", "uetr")
    op.drop_column("payments", "urgent")
    for table in ("payments", "suppliers"):
        for name, _ in reversed(_PAYEE_DETAILS):
            op.drop_column(table, name)
