"""the worker retries messages whose processing failed: an attempt count and an index of unfinished ones

``inbound_messages.attempts`` counts the worker's attempts at a failed message (bot.jobs.inbound). The
partial index holds only unfinished rows (received or failed): nearly every message is inserted as
taken and committed as done, so the index costs the webhook's hot path nothing and the worker's scan
stays small however long the table grows.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UNFINISHED = sa.text("status IN ('received', 'failed')")


def upgrade() -> None:
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
    op.create_index(
        "ix_inbound_unfinished",
        "inbound_messages",
        ["received_at"],
        sqlite_where=UNFINISHED,
        postgresql_where=UNFINISHED,
    )


def downgrade() -> None:
    op.drop_index("ix_inbound_unfinished", table_name="inbound_messages")
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.drop_column("attempts")
