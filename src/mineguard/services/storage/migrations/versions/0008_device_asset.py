"""device asset: the asset (machine) a sensor is mounted on, so its readings are the machine's state (issue 14)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-20 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("asset_id", sa.String(length=64), nullable=True))
        batch_op.create_foreign_key("fk_devices_asset_id_assets", "assets", ["asset_id"], ["id"], ondelete="SET NULL")
        batch_op.create_index(batch_op.f("ix_devices_asset_id"), ["asset_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_devices_asset_id"))
        batch_op.drop_constraint("fk_devices_asset_id_assets", type_="foreignkey")
        batch_op.drop_column("asset_id")
