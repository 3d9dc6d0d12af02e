"""Route modules, one per area: transactions, blocks, state and queries, events, system."""
