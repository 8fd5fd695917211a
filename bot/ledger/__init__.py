"""The ledger (工作台账): tables, repository functions and exports."""
