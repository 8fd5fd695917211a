"""village groups and bridge nonces (group chats, issue 6)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

import bot.ledger.tables

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "village_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.String(length=128), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["village_id"], ["villages.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chat_id"),
    )
    with op.batch_alter_table("village_groups", schema=None) as batch_op:
        batch_op.create_index("ix_village_groups_village_id", ["village_id"], unique=False)

    op.create_table(
        "bridge_nonces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("seen_at", bot.ledger.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", "nonce"),
    )
    with op.batch_alter_table("bridge_nonces", schema=None) as batch_op:
        batch_op.create_index("ix_bridge_nonces_seen_at", ["seen_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("bridge_nonces", schema=None) as batch_op:
        batch_op.drop_index("ix_bridge_nonces_seen_at")
    op.drop_table("bridge_nonces")
    with op.batch_alter_table("village_groups", schema=None) as batch_op:
        batch_op.drop_index("ix_village_groups_village_id")
    op.drop_table("village_groups")
