"""The database schema, one module per area; ``bot.ledger.tables`` imports them all."""
