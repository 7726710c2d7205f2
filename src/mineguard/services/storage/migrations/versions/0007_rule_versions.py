"""rule versions: a site's rule set per version, from the site file or an API edit (issue 14)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-14 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import mineguard.services.storage.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rule_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("origin", sa.String(length=8), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("created_at", mineguard.services.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("site_id", "version", name="uq_rule_versions_site_version"),
    )
    with op.batch_alter_table("rule_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rule_versions_site_id"), ["site_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rule_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rule_versions_site_id"))
    op.drop_table("rule_versions")
