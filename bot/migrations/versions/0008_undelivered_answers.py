"""an index of answers not delivered yet, for the worker's daily notice to the answering adviser

bot/jobs/undelivered.py looks every 10 minutes for answers still undelivered a day after they were
written. The partial index holds only those rows (answered, not delivered): nearly every answer is
delivered within seconds, so the scan stays small however many consultations the ledger holds.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UNDELIVERED = sa.text("status = 'adviser_answered' AND delivered_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_consultations_undelivered",
        "consultations",
        ["answered_at"],
        sqlite_where=UNDELIVERED,
        postgresql_where=UNDELIVERED,
    )


def downgrade() -> None:
    op.drop_index("ix_consultations_undelivered", table_name="consultations")
