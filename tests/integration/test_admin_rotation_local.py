"""portal-admin rotate against a running local stack (found through its stack.json, as an operator
runs it next to `make run`): the stack serves without the signing-keys parameter, then with the
one the tool writes; the webhook accepts the rotated secret over HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from admin.cli import main
from local import fastspring as fs
from local.stack import LocalStack
from tests.support import WEBHOOK_SECRET

pytestmark = pytest.mark.integration


def published(base_url: str) -> list[str]:
    answer = requests.get(f"{base_url}/api/activation/keys", timeout=30)
    assert answer.status_code == 200, answer.text
    return [key["kid"] for key in answer.json()["keys"]]


def webhook_status(base_url: str, secret: str) -> int:
    order = fs.order_completed(email="rotation.local@example.com", skus=["T-ENT-5"])
    status, _ = fs.post(
        f"{base_url}/api/webhooks/fastspring", fs.signed_batch(order, secret=secret)
    )
    return status


def test_rotations_against_the_running_local_stack(tmp_path: Path, capsys) -> None:
    with LocalStack(seed=False) as stack:
        stack.write_stack_file(tmp_path)
        local = ["--stack-dir", str(tmp_path)]
        template_key = stack.kms_keys["LicenseSigningKey"]

        # given no parameter: the template's key is the list
        assert published(stack.base_url) == [template_key]

        # when the tool makes a new signing key, then both are published, the new one first
        assert main([*local, "rotate", "signing-key"]) == 0
        [new, old] = published(stack.base_url)
        assert old == template_key and new != old
        assert main([*local, "signing-keys"]) == 0
        assert "from the parameter /customer-portal/local/signing-keys" in capsys.readouterr().out

        # when the webhook secret is rotated, then the old and new secret are accepted over HTTP
        assert main([*local, "rotate", "webhook-secret"]) == 0
        (value,) = [
            line.strip() for line in capsys.readouterr().out.splitlines() if line.startswith("    ")
        ]
        assert webhook_status(stack.base_url, value) == 200
        assert webhook_status(stack.base_url, WEBHOOK_SECRET) == 200
        assert webhook_status(stack.base_url, "not-the-secret-at-all") == 401
