"""`portal-admin rotate webhook-secret [--value V|-] [--finish] [--force]`,
`portal-admin rotate signing-key [--publish-only | --promote KID | --retire KID [--delete-key]]`
and `portal-admin signing-keys [--json]`: rotating what signs (portal.admin.rotation)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from admin import output
from admin.target import Target
from portal.admin import rotation
from portal.clock import utc_text

KEY_COLUMNS = ("kid", "created", "signs", "state", "source")


def register(sub: Any) -> None:
    rotate = sub.add_parser("rotate", help="rotate the webhook secret or the license-signing key")
    what = rotate.add_subparsers(dest="what", required=True, metavar="WHAT")

    webhook = what.add_parser(
        "webhook-secret",
        help="a new FastSpring webhook secret; the previous one is accepted until --finish",
    )
    webhook.add_argument(
        "--value",
        metavar="V",
        help="the new secret (default: a random one); '-' reads it from standard input",
    )
    webhook.add_argument(
        "--finish", action="store_true", help="drop the previous secret (FastSpring uses the new)"
    )
    webhook.add_argument(
        "--force",
        action="store_true",
        help="rotate during a rotation, or finish before every function has read it",
    )
    webhook.set_defaults(run=run_webhook)

    key = what.add_parser(
        "signing-key",
        help="a new license-signing key (signs at once, or --publish-only), --promote or --retire",
    )
    how = key.add_mutually_exclusive_group()
    how.add_argument(
        "--publish-only",
        action="store_true",
        help="list the new key last: published, not signing, until --promote",
    )
    how.add_argument("--promote", metavar="KID", help="make a listed key the one that signs")
    how.add_argument("--retire", metavar="KID", help="stop publishing a key that no longer signs")
    key.add_argument(
        "--delete-key",
        action="store_true",
        help=f"with --retire: schedule the KMS key's deletion "
        f"({rotation.DELETION_WINDOW_DAYS}-day window)",
    )
    key.set_defaults(run=run_signing_key)

    listing = sub.add_parser(
        "signing-keys", help="the license-signing keys: which signs, since when"
    )
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(run=run_list)


def _refused(exc: rotation.Refused) -> int:
    print(f"refused: {exc}", file=sys.stderr)
    return 1


def _stage(target: Target) -> str:
    return f"--stage {target.stage} " if target.stage != "local" else ""


# ---------------------------------------------------------------- webhook-secret
def run_webhook(target: Target, args: argparse.Namespace) -> int:
    if args.finish and args.value is not None:
        print("portal-admin: --finish takes no --value", file=sys.stderr)
        return 2
    client = target.client("secretsmanager")
    try:
        if args.finish:
            name = rotation.finish_webhook_secret(
                client,
                target.store,
                settings=target.settings,
                actor=target.actor,
                now=target.clock.now(),
                force=args.force,
            )
            print(f"{name}: the previous secret is no longer accepted (within 5 minutes).")
            return 0
        value = sys.stdin.readline().strip() if args.value == "-" else args.value
        rotated = rotation.rotate_webhook_secret(
            client,
            target.store,
            settings=target.settings,
            actor=target.actor,
            now=target.clock.now(),
            value=value,
            force=args.force,
        )
    except rotation.Refused as exc:
        return _refused(exc)
    after = utc_text(rotated.finish_after)
    print(f"{rotated.secret_name}: the new webhook secret (shown this once):")
    print()
    print(f"    {rotated.value}")
    print()
    print("The previous and the new secret are both accepted now.")
    print(
        f"1. After {after} (every function has read it by then), paste it into FastSpring: "
        "the webhook's HMAC SHA256 Secret field."
    )
    print(
        "2. Once FastSpring's deliveries succeed with it (its webhook log), finish:\n"
        f"   portal-admin {_stage(target)}rotate webhook-secret --finish"
    )
    return 0


# ---------------------------------------------------------------- signing-key
def run_signing_key(target: Target, args: argparse.Namespace) -> int:
    if args.delete_key and not args.retire:
        print("portal-admin: --delete-key goes with --retire KID", file=sys.stderr)
        return 2
    kms, ssm = target.client("kms"), target.client("ssm")
    common: dict[str, Any] = {
        "settings": target.settings,
        "actor": target.actor,
        "now": target.clock.now(),
    }
    try:
        if args.retire:
            change = rotation.retire_signing_key(
                kms, ssm, target.store, kid=args.retire, delete_key=args.delete_key, **common
            )
        elif args.promote:
            change = rotation.promote_signing_key(ssm, target.store, kid=args.promote, **common)
        else:
            change = rotation.rotate_signing_key(
                kms, ssm, target.store, publish_only=args.publish_only, **common
            )
    except rotation.Refused as exc:
        return _refused(exc)
    keys = ", ".join(change.keys)
    if args.retire:
        print(f"retired {change.kid}; the keys now: {keys}")
        print(
            f"WARNING: files signed by {change.kid} stop verifying in every product whose key "
            "file comes from /api/activation/keys from now on (within 5 minutes)."
        )
        if change.deletion_date is not None:
            print(f"The KMS key is deleted on {utc_text(change.deletion_date)} (cancel before).")
    elif args.promote:
        print(f"{change.kid} signs new files (within 5 minutes); the keys now: {keys}")
    elif args.publish_only:
        print(f"created {change.kid}, published, not signing; the keys now: {keys}")
        print(
            "Ship a product release whose key file (GET /api/activation/keys) holds it, then:\n"
            f"   portal-admin {_stage(target)}rotate signing-key --promote {change.kid}"
        )
    else:
        print(f"created {change.kid}: it signs new files (within 5 minutes); the keys now: {keys}")
        print(
            "Products whose key file lacks it refuse the files it signs: ship a key file that "
            "holds it (GET /api/activation/keys)."
        )
    if change.concurrent:
        print("NOTE: the list was also changed by someone else meanwhile: check signing-keys.")
    return 0


# ---------------------------------------------------------------- signing-keys
def run_list(target: Target, args: argparse.Namespace) -> int:
    try:
        listed, rows = rotation.describe_keys(
            target.client("kms"), target.client("ssm"), target.settings
        )
    except rotation.Refused as exc:
        return _refused(exc)
    if args.json:
        output.as_json({"parameter": listed.name, "source": listed.source, "keys": rows})
        return 0
    output.table(rows, KEY_COLUMNS)
    where = (
        f"the parameter {listed.name} (version {listed.version})"
        if listed.source == "parameter"
        else f"LICENSE_SIGNING_KEY_IDS ({listed.name} does not exist yet)"
    )
    print(f"{len(rows)} key(s), all published, from {where}")
    return 0
