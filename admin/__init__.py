"""`portal-admin` (bin/portal-admin, `python -m admin`): the support team's command-line tool.

It runs against the local stack (`--stage local`, the default: found through .local/stack.json)
or a deployed stage (`--stage dev|prod`: the stack named in samconfig.toml, with the operator's
own AWS credentials). Either way it builds the environment the functions run with
(`admin.target`) and then calls the same domain code (`portal.admin`, `portal.data`): the tool is
a thin shell, and every change it makes writes an audit entry (`portal-admin audit`).

Commands live one module per area in `admin/commands/`, each with `register(subparsers)`; the CLI
(`admin.cli`) finds them all."""
