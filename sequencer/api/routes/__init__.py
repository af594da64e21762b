"""One router per resource: trades, withdrawals, ops, accounts (and viewing keys), auth,
health (and metrics)."""
