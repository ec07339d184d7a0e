"""EHF documents behind open items; an open item's own payee (factoring)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import paybot.store.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ADD COLUMN in place on both databases: a copy of the table (SQLite's batch mode) would be
    # refused by the payments' foreign keys to it.
    op.add_column("open_items", sa.Column("payee_name", sa.String(length=200), nullable=True))

    op.create_table(
        "ehf_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("open_item_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("profile", sa.String(length=24), nullable=False),
        sa.Column("customization_id", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("type_code", sa.String(length=4), nullable=False),
        sa.Column("seller_name", sa.String(length=200), nullable=False),
        sa.Column("seller_org_no", sa.String(length=40), nullable=True),
        sa.Column("payee_name", sa.String(length=200), nullable=True),
        sa.Column("payee_org_no", sa.String(length=40), nullable=True),
        sa.Column("bic", sa.String(length=11), nullable=True),
        sa.Column("account_kind", sa.String(length=5), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.Column("imported_at", paybot.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_ehf_documents_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["open_item_id"],
            ["open_items.id"],
            name=op.f("fk_ehf_documents_open_item_id_open_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ehf_documents")),
        sa.UniqueConstraint("open_item_id", name=op.f("uq_ehf_documents_open_item_id")),
    )


def downgrade() -> None:
    op.drop_table("ehf_documents")
    # DROP COLUMN in place (SQLite 3.35+), not a copy of the table (see upgrade).
    op.drop_column("open_items", "payee_name")
