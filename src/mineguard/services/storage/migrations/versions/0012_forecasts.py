"""forecasts: each risk round's per-sensor forecast with its prediction intervals (issue 18)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 05:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mineguard.services.storage.types import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "forecasts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("zone_id", sa.String(length=64), nullable=True),
        sa.Column("sensor_kind", sa.String(length=32), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("issued_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("t", UTCDateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("horizon_s", sa.Float(), nullable=False),
        sa.Column("predicted", sa.Float(), nullable=False),
        sa.Column("lower_80", sa.Float(), nullable=False),
        sa.Column("upper_80", sa.Float(), nullable=False),
        sa.Column("lower_95", sa.Float(), nullable=False),
        sa.Column("upper_95", sa.Float(), nullable=False),
        sa.Column("limit", sa.Float(), nullable=False),
        sa.Column("op", sa.String(length=2), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("minutes_to_limit", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("forecasts", schema=None) as batch_op:
        batch_op.create_index("ix_forecasts_device_issued", ["device_id", "issued_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_forecasts_issued_at"), ["issued_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_forecasts_zone_id"), ["zone_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("forecasts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_forecasts_zone_id"))
        batch_op.drop_index(batch_op.f("ix_forecasts_issued_at"))
        batch_op.drop_index("ix_forecasts_device_issued")
    op.drop_table("forecasts")
