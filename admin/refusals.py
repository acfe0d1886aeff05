"""How a command says no (exit code 1, the message on stderr), how it answers AWS failing
(exit code 2: the target; each change is one transaction, so nothing was changed), and how it
finds the customer it was given (an email or an order number:
portal.admin.customers.find_customer)."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable

from botocore.exceptions import BotoCoreError, ClientError

from admin.target import Target
from portal.admin.customers import find_customer
from portal.admin.refusals import Refused

Run = Callable[[Target, argparse.Namespace], int]


def refusing(run: Run) -> Run:
    """`run`, with a Refused answered as `portal-admin: <why>` on stderr and exit code 1."""

    @functools.wraps(run)
    def answered(target: Target, args: argparse.Namespace) -> int:
        try:
            return run(target, args)
        except Refused as refused:
            print(f"portal-admin: {refused}", file=sys.stderr)
            return 1
        except ClientError as exc:  # each change is one transaction: it failed whole
            code = exc.response.get("Error", {}).get("Code", "ClientError")
            print(
                f"portal-admin: AWS answered {code}: nothing was changed; try again",
                file=sys.stderr,
            )
            return 2
        except BotoCoreError as exc:
            print(
                f"portal-admin: AWS could not be reached ({type(exc).__name__}): nothing was "
                "changed; try again",
                file=sys.stderr,
            )
            return 2

    return answered


def customer(target: Target, email_or_order: str) -> str:
    """The id of the customer the email or order number belongs to; else Refused."""
    found = find_customer(target.store, email_or_order)
    if found is None:
        raise Refused(f"no customer has {email_or_order!r} (an email or an order number)")
    return found
