"""The human-edited knowledge base: FAQ entries, training examples, statutes for citation checks."""
