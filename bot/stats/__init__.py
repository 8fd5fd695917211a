"""Statistics for the bureau: periods, aggregate SQL over the ledger, and their exports."""
