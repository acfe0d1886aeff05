"""Plays the vendor's product against the running local stack (found through .local/stack.json):
activate with an activation key on a computer, refresh, print the license file's payload and
verify it as the product does, with the shipped key file and product_sdk/verify_license.py.

    python -m local.product activate --computer SRV-TEST-01 [--key KEY] [--product TSplus]
    python -m local.product refresh --computer SRV-TEST-01 [--key KEY]
    make activate COMPUTER=SRV-TEST-01 [KEY=...] [PRODUCT=TSplus]

The key defaults to the first demo customer's activation key in .local/stack.json. Like the
product, the requests carry no cookie and no Origin (API.md, Activation). Every error code of
that section gets a message saying what the person at the product can do; the license file is
saved to .local/licenses/<computer>.lic so that it can be verified (or tampered with) again:

    .venv/bin/python -m product_sdk.verify_license .local/licenses/SRV-TEST-01.lic \\
        --keys .local/activation-keys.json --computer-id SRV-TEST-01
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from local.stack import LOCAL_DIR, read_stack_file
from product_sdk.verify_license import InvalidLicenseFile, load_keys, verify

ACTIVATE = "/activation/activate"
REFRESH = "/activation/refresh"
USER_AGENT = "customer-portal-local-product/1"
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")

# What the person at the product reads for each error code of API.md's Activation section.
MESSAGES = {
    "invalid_activation_key": (
        "The activation key is not valid. Copy it again from the portal's home page."
    ),
    "no_license_available": (
        "Every license of this product on this key is activated on another computer (or there"
        " is none): release one in the portal (Licenses, Release) or buy another."
    ),
    "license_in_use": (
        "The requested license is activated on another computer: release it in the portal first."
    ),
    "not_activated": "This computer holds no license of this key: activate it first.",
    "license_moved": (
        "The license was released from this computer in the portal (it may now be active"
        " elsewhere): activate again to take a free license."
    ),
    "license_revoked": (
        "The license was refunded or revoked: it no longer works. The portal's Orders page"
        " shows why."
    ),
    "too_many_attempts": "Too many failed activations from here: wait, then try again.",
    "bad_request": "The portal refused the request as malformed (computer id or name?).",
    "unsupported_media_type": "The portal expects a JSON body.",
    "payload_too_large": "The request is too large.",
    "service_unavailable": "The portal is busy: try again in a moment.",
    "internal_error": "The portal failed: see the make run terminal.",
}


class ActivationFailed(Exception):
    """The portal answered an error (or could not be reached); str() is for the person."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        retry_after: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.status, self.code, self.portal_message = status, code, message
        self.retry_after, self.detail = retry_after, detail or {}
        super().__init__(self.explain())

    def explain(self) -> str:
        advice = MESSAGES.get(self.code, "Unexpected answer from the portal.")
        if self.code == "too_many_attempts" and self.retry_after:
            advice += f" (Retry-After: {self.retry_after} seconds)"
        said = f" The portal said: {self.portal_message}" if self.portal_message else ""
        return f"{self.status} {self.code}: {advice}{said}"


@dataclass(frozen=True)
class Answer:
    """A 200 answer of /activation/*: the signed file as text and the customer's licenses."""

    license_file: str
    licenses: list[dict[str, Any]]


def build_request(api: str, path: str, body: dict[str, Any]) -> urllib.request.Request:
    """POST `body` as JSON to `api` + `path`, as the product sends it: no cookie, no Origin."""
    if not api.startswith(("http://", "https://")):
        raise ValueError(f"not an HTTP(S) URL: {api!r}")
    return urllib.request.Request(  # noqa: S310 - the scheme is checked above
        api.rstrip("/") + path,
        data=json.dumps(body).encode("utf-8"),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        },
    )


def activate_body(
    activation_key: str,
    computer_id: str,
    computer_name: str,
    product: str,
    license_id: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "activationKey": activation_key,
        "computerId": computer_id,
        "computerName": computer_name,
        "product": product,
    }
    if license_id:
        body["licenseId"] = license_id
    return body


def refresh_body(activation_key: str, computer_id: str) -> dict[str, Any]:
    return {"activationKey": activation_key, "computerId": computer_id}


def post(api: str, path: str, body: dict[str, Any], *, timeout: float = 30) -> Answer:
    """One call of the activation API; ActivationFailed for every answer but a 200."""
    request = build_request(api, path, body)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 - local
            status, raw = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        raise _failure(error.code, error.read(), error.headers.get("Retry-After")) from None
    except OSError as exc:
        raise ActivationFailed(
            0, "unreachable", f"cannot reach {api} ({exc}): is make run going?"
        ) from None
    if status != 200:
        raise _failure(status, raw, None)
    try:
        data = json.loads(raw)
        return Answer(license_file=str(data["licenseFile"]), licenses=list(data["licenses"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise ActivationFailed(
            status, "unexpected_answer", f"not an activation answer: {exc}"
        ) from None


def _failure(status: int, raw: bytes, retry_after: str | None) -> ActivationFailed:
    try:
        error = json.loads(raw)["error"]
        code, message = str(error["code"]), str(error.get("message") or "")
        detail = {k: v for k, v in error.items() if k not in ("code", "message")}
    except (ValueError, KeyError, TypeError):
        code, message, detail = "unexpected_answer", raw[:200].decode("utf-8", "replace"), {}
    return ActivationFailed(status, code, message, retry_after=retry_after, detail=detail)


def saved_file(directory: Path, computer_id: str) -> Path:
    folder = directory / "licenses"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{_SAFE_NAME.sub('_', computer_id)[:64] or 'computer'}.lic"


def check(
    step: str, answer: Answer, keys_path: Path, computer_id: str, out: TextIO
) -> dict[str, Any]:
    """Verify the answer's file as the product does and print its payload."""
    payload = verify(
        answer.license_file.encode("utf-8"), load_keys(keys_path), computer_id=computer_id
    )
    lic = payload["license"]
    print(
        f"{step}: {lic['software']} {lic.get('edition') or ''} {lic['serialNumber']} bound to"
        f" {lic['computerId']} ({lic.get('computerName')}), refresh by {payload['expiresAt']}",
        file=out,
    )
    print(json.dumps(payload, indent=2, ensure_ascii=False), file=out)
    print(f"verified with {keys_path} on computer {computer_id}", file=out)
    return payload


def play(
    command: str,
    *,
    stack: dict[str, Any],
    activation_key: str,
    computer_id: str,
    computer_name: str,
    product: str,
    license_id: str | None,
    directory: Path,
    out: TextIO,
) -> None:
    """`activate`: activate, verify, refresh, verify. `refresh`: refresh, verify."""
    api, keys = str(stack["api"]), Path(stack["publicKeyFile"])
    steps: list[tuple[str, dict[str, Any]]] = []
    if command == "activate":
        body = activate_body(activation_key, computer_id, computer_name, product, license_id)
        steps.append((ACTIVATE, body))
    steps.append((REFRESH, refresh_body(activation_key, computer_id)))
    for path, body in steps:
        answer = post(api, path, body)
        file_path = saved_file(directory, computer_id)
        file_path.write_text(answer.license_file, encoding="utf-8")
        check(f"POST /api{path}", answer, keys, computer_id, out)
        print(f"saved {file_path}; the customer's licenses of this product:", file=out)
        for lic in answer.licenses:
            computer = lic.get("computerId") or lic.get("computerName") or "not activated"
            print(f"  {lic.get('software')} {lic.get('serialNumber')}: {computer}", file=out)
    if command == "activate" and stack.get("mailbox"):
        print(
            "A license bound to a new computer mails the customer an activation notice"
            f" (the same computer again does not): {stack['mailbox']}",
            file=out,
        )


def demo_key(stack: dict[str, Any]) -> str | None:
    for customer in stack.get("demoCustomers") or []:
        if customer.get("activationKey"):
            return str(customer["activationKey"])
    return None


def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local.product",
        description="Play the vendor's product against the running local stack (make run).",
    )
    parser.add_argument(
        "--stack-dir", type=Path, default=LOCAL_DIR, help="where stack.json is (default .local)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, about in (
        ("activate", "activate on a computer, then refresh; verify each file"),
        ("refresh", "refresh a computer's license; verify the file"),
    ):
        sub = commands.add_parser(name, help=about)
        sub.add_argument("--computer", required=True, help="the computer id, e.g. SRV-TEST-01")
        sub.add_argument("--key", help="the activation key (default: the demo customer's)")
        if name == "activate":
            sub.add_argument("--name", help="the computer name (default: the computer id)")
            sub.add_argument("--product", default="TSplus", help="default: TSplus")
            sub.add_argument("--license", help="a license id to activate (default: any free)")
    args = parser.parse_args(argv)
    try:
        stack = read_stack_file(args.stack_dir)
    except OSError as exc:
        print(exc, file=sys.stderr)
        return 2
    key = args.key or demo_key(stack)
    if not key:
        print("No activation key: pass KEY=... (stack.json names no demo key)", file=sys.stderr)
        return 2
    try:
        play(
            args.command,
            stack=stack,
            activation_key=key,
            computer_id=args.computer,
            computer_name=getattr(args, "name", None) or args.computer,
            product=getattr(args, "product", None) or "TSplus",
            license_id=getattr(args, "license", None),
            directory=args.stack_dir,
            out=out,
        )
    except ActivationFailed as exc:
        print(f"{args.command} failed: {exc}", file=sys.stderr)
        return 1
    except InvalidLicenseFile as exc:
        print(f"REFUSED by the product: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
