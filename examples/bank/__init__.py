"""The bank: accounts, deposits, withdrawals and transfers (see examples/README.md)."""
