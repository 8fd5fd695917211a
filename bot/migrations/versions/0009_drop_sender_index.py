"""drop the inbound sender index: the (sender, received_at) index answers every query by sender

Every stored message updated both indexes; the single-column one served no query that the composite
index (its first column is the sender) does not serve as well.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-21
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_inbound_messages_sender", table_name="inbound_messages")


def downgrade() -> None:
    op.create_index("ix_inbound_messages_sender", "inbound_messages", ["sender"])
