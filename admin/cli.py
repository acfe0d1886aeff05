"""The command line of portal-admin: global options, then one subcommand of a module in
`admin/commands/` (each has `register(subparsers)`, which sets `run(target, args) -> int`)."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from pathlib import Path

from admin import commands
from admin.target import STAGES, Target, TargetUnavailable, connect
from local.stack import LOCAL_DIR


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="portal-admin",
        description="The Customer Portal's support tool: import, look up, fix, rotate, audit.",
    )
    top.add_argument(
        "--stage",
        choices=STAGES,
        default="local",
        help="local: the running `make run` stack (default); dev/prod: the deployed stack of "
        "samconfig.toml, with your AWS credentials",
    )
    top.add_argument(
        "--stack-dir", type=Path, default=LOCAL_DIR, help=argparse.SUPPRESS
    )  # where the local stack's stack.json is (tests)
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"{commands.__name__}.{module.name}").register(sub)
    return top


def main(argv: list[str] | None = None, *, target: Target | None = None) -> int:
    """Run one command; `target` (tests): an already connected one, instead of `--stage`."""
    args = parser().parse_args(argv)
    if target is not None:
        return int(args.run(target, args))
    try:
        with connect(args.stage, stack_dir=args.stack_dir) as target:
            return int(args.run(target, args))
    except TargetUnavailable as exc:
        print(f"portal-admin: {exc}", file=sys.stderr)
        return 2
