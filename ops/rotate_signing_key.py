"""Create or rotate the license-signing key in Secrets Manager (the one bootstrap step after the
first deploy; later, rotation with overlap: the previous key stays published as retired).

    python ops/rotate_signing_key.py --stage dev            # uses your AWS credentials
    AWS_ENDPOINT_URL=http://127.0.0.1:5000 python ops/rotate_signing_key.py --stage local
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "layers" / "shared"))

import boto3

from portal.license_files import SIGNING_SECRET, rotated


def rotate(client: object, name: str, kid: str) -> dict:
    try:
        current = json.loads(client.get_secret_value(SecretId=name)["SecretString"])  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - a placeholder or missing secret: start a new keyring
        current = None
    ring = rotated(current if isinstance(current, dict) else None, kid)
    client.put_secret_value(SecretId=name, SecretString=json.dumps(ring))  # type: ignore[attr-defined]
    return ring


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--kid", default=datetime.now(UTC).strftime("k%Y%m%d%H%M"))
    args = parser.parse_args(argv)
    name = f"customer-portal/{args.stage}/{SIGNING_SECRET}"
    ring = rotate(boto3.client("secretsmanager"), name, args.kid)
    print(
        f"{name}: active key {ring['active']['kid']}, retired {[k['kid'] for k in ring['retired']]}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
