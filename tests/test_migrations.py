"""The Alembic migrations build exactly the schema the models declare (on the suite's database engine)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.ledger.tables import Base


def test_migrations_match_the_models(services):
    with services.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
        differences = compare_metadata(context, Base.metadata)
    assert differences == [], "a model changed without a migration: add one under bot/migrations/versions"
