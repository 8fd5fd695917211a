"""indexes for the bureau's statistics, the on-site ledger and the login lockout

The statistics read one period of consultations by ``created_at`` and group them by village, adviser,
category, status and escalation: this index serves that range scan; on PostgreSQL the remaining columns
the aggregates read are INCLUDEd, so the week is answered by an index-only scan (bench/stats.py).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

STATS_KEYS = ["created_at", "village_id", "adviser_id", "category", "status", "escalation_level"]
STATS_INCLUDE = [
    "answered_by_id", "alert_kind", "legal_aid_group", "rating", "reopened_count", "deadline_at", "forwarded_at",
    "answered_at", "alert_acked_at",
]


def upgrade() -> None:
    op.create_index("ix_consultations_stats", "consultations", STATS_KEYS, postgresql_include=STATS_INCLUDE)
    op.create_index("ix_duty_kind_started", "duty_records", ["kind", "started_at"])
    op.create_index("ix_audit_target_action", "audit_log", ["target", "action", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_audit_target_action", table_name="audit_log")
    op.drop_index("ix_duty_kind_started", table_name="duty_records")
    op.drop_index("ix_consultations_stats", table_name="consultations")
