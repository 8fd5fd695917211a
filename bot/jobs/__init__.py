"""Work done by the worker process only: outbox delivery and, later, scheduled chasing and reports."""
