"""adviser WeCom userid

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("advisers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wecom_userid", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint("uq_advisers_wecom_userid", ["wecom_userid"])


def downgrade() -> None:
    with op.batch_alter_table("advisers", schema=None) as batch_op:
        batch_op.drop_constraint("uq_advisers_wecom_userid", type_="unique")
        batch_op.drop_column("wecom_userid")
