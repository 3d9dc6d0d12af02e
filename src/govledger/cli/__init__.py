"""The `govledger` command line (Typer + Rich); the entry point is `govledger.cli.main:app`."""
