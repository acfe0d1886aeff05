"""One module per area; each `register(subparsers)` adds its subcommands (admin.cli)."""
