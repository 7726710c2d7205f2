"""reading flags: sensor_readings.flags becomes a small-int bitmask of the cleansing flags (issue 14)

The live cleanser flags each reading at ingest (``warning.sensing.live``). The JSON list of
names the column held (always empty: nothing wrote flags before) becomes a SMALLINT bitmask,
0 = clean, so the flags can be counted and filtered in SQL on SQLite and PostgreSQL alike
(``flags & 2 != 0`` = spike). Any names already stored are carried over bit by bit.

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-14 09:00:00.000000
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# The bits as of this revision (warning.sensing.checks.Flag); a migration does not import the live code.
BITS = {"out_of_range": 1, "spike": 2, "stuck": 4, "after_gap": 8, "not_finite": 16}


def _readings(*columns: sa.Column) -> sa.TableClause:
    return sa.table("sensor_readings", sa.column("id", sa.BigInteger()), *columns)


def upgrade() -> None:
    with op.batch_alter_table("sensor_readings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("flag_bits", sa.SmallInteger(), server_default="0", nullable=False))
    names, bits = sa.column("flags", sa.JSON()), sa.column("flag_bits", sa.SmallInteger())
    table = _readings(names, bits)
    connection = op.get_bind()
    flagged = connection.execute(sa.select(table.c.id, table.c.flags).where(sa.cast(names, sa.Text) != "[]"))
    for row_id, stored in flagged.fetchall():
        listed = json.loads(stored) if isinstance(stored, str) else stored or []
        mask = sum(BITS.get(name, 0) for name in set(listed))
        connection.execute(sa.update(table).where(table.c.id == row_id).values(flag_bits=mask))
    with op.batch_alter_table("sensor_readings", schema=None) as batch_op:
        batch_op.drop_column("flags")
        batch_op.alter_column("flag_bits", new_column_name="flags")


def downgrade() -> None:
    with op.batch_alter_table("sensor_readings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("flag_names", sa.JSON(), nullable=True))
    bits, names = sa.column("flags", sa.SmallInteger()), sa.column("flag_names", sa.JSON())
    table = _readings(bits, names)
    connection = op.get_bind()
    connection.execute(sa.update(table).values(flag_names=[]))
    for row_id, mask in connection.execute(sa.select(table.c.id, table.c.flags).where(bits != 0)).fetchall():
        listed = [name for name, bit in BITS.items() if mask & bit]
        connection.execute(sa.update(table).where(table.c.id == row_id).values(flag_names=listed))
    with op.batch_alter_table("sensor_readings", schema=None) as batch_op:
        batch_op.drop_column("flags")
        batch_op.alter_column("flag_names", new_column_name="flags", existing_type=sa.JSON(), nullable=False)
