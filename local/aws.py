"""Local AWS: a moto server on loopback, reached by ordinary boto3 clients through AWS_ENDPOINT_URL.

DynamoDB tables are created from template.yaml itself (parsed with SAM CLI's YAML loader, which
understands !Ref/!GetAtt/!Sub), so the local key schema can never drift from what is deployed. The
physical table name locally is the logical id. Secrets come from DEV_SECRETS: documented
development defaults, each overridable by an environment variable. The mail sender (MAIL_FROM)
is verified in moto's SES, so the mailer can send from it.
"""

from __future__ import annotations

import copy
import functools
import http.client
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from moto.server import ThreadedMotoServer
from samcli.yamlhelper import yaml_parse

from local import moto_tuning

LOG = logging.getLogger(__name__)

REGION = "us-east-1"
LOCAL_SECRETS_PREFIX = "customer-portal/local/"


class DevSecret(NamedTuple):
    env: str  # environment variable that overrides the default
    default: str


# Every secret the portal reads (`<SECRETS_PREFIX><name>`, one per AWS::SecretsManager::Secret in
# template.yaml - a test checks); add later ones here and nowhere else.
DEV_SECRETS: dict[str, DevSecret] = {
    # What `python -m local.fastspring` signs with; FastSpring's own value in production.
    "fastspring-webhook": DevSecret(
        "PORTAL_DEV_FASTSPRING_WEBHOOK_SECRET", "local-development-fastspring-webhook-secret"
    ),
    # Reconciliation's API credentials; locally they only reach a fake FastSpring API.
    "fastspring-api": DevSecret(
        "PORTAL_DEV_FASTSPRING_API", '{"username": "local", "password": "local-development"}'
    ),
    # The key that signs the reminder mails' unsubscribe links (portal.accounts.reminder_links).
    "mail-links": DevSecret("PORTAL_DEV_MAIL_LINKS_SECRET", "local-development-mail-links-key"),
    # The origin header CloudFront sends (portal.edge.front_door). The local stack has no
    # CloudFront and runs with ORIGIN_VERIFY=off; the unit tests send it.
    "origin-verify": DevSecret(
        "PORTAL_DEV_ORIGIN_VERIFY_SECRET", "local-development-origin-verify"
    ),
    # The key that seals the lists' cursors (portal.data.cursors).
    "cursor-key": DevSecret("PORTAL_DEV_CURSOR_KEY", "local-development-cursor-key"),
}


class MotoHandle(NamedTuple):
    server: ThreadedMotoServer
    url: str


def start_moto(port: int = 0) -> MotoHandle:
    """Start moto on 127.0.0.1 (port 0 = a free port) with empty state; returns once it answers.

    moto keeps its state per process, shared by every moto server in it: starting resets it, then
    local/moto_tuning.py takes out two costs that grow with everything moto ever stored."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    host, bound = server.get_host_and_port()
    connection = http.client.HTTPConnection(host, bound, timeout=10)
    try:
        connection.request("POST", "/moto-api/reset")
        connection.getresponse().read()
    finally:
        connection.close()
    moto_tuning.tune()
    return MotoHandle(server, f"http://{host}:{bound}")


def stop_moto(handle: MotoHandle) -> None:
    handle.server.stop()
    inner = getattr(handle.server, "_server", None)  # moto's stop() leaves the socket open
    if inner is not None:
        inner.server_close()


def aws_environment(endpoint_url: str) -> dict[str, str | None]:
    """What os.environ must hold before any boto3 client is built (None = unset)."""
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": None,
        "AWS_SECURITY_TOKEN": None,
        "AWS_PROFILE": None,
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": None,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }


def apply_environment(values: Mapping[str, str | None]) -> dict[str, str | None]:
    """Set (or unset, for None) variables in os.environ; returns the previous values."""
    previous = {name: os.environ.get(name) for name in values}
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    return previous


def restore_environment(previous: Mapping[str, str | None]) -> None:
    apply_environment(previous)


def read_template(template: Path) -> dict[str, Any]:
    """The template, intrinsics kept as {"Ref": ...}, {"Fn::Sub": ...} (SAM CLI's YAML loader).
    Parsed once per file version (a deep copy each call, so callers may change what they get)."""
    text = template.read_text(encoding="utf-8")
    return copy.deepcopy(_parse(text))


@functools.lru_cache(maxsize=8)
def _parse(text: str) -> dict[str, Any]:
    return dict(yaml_parse(text))


def template_resources(template: Path) -> dict[str, Any]:
    return dict(read_template(template).get("Resources") or {})


def template_tables(template: Path) -> dict[str, dict[str, Any]]:
    """Logical id -> Properties of every AWS::DynamoDB::Table in the template."""
    return {
        logical_id: dict(resource.get("Properties") or {})
        for logical_id, resource in template_resources(template).items()
        if resource.get("Type") == "AWS::DynamoDB::Table"
    }


def _indexes(specs: list[Mapping[str, Any]], keep: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    for spec in specs:
        yield {name: spec[name] for name in keep if name in spec}


def create_table_request(name: str, props: Mapping[str, Any]) -> dict[str, Any]:
    """Translate CloudFormation Properties into a CreateTable request (TTL/PITR come after)."""
    request: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PROVISIONED"),
    }
    for same in ("ProvisionedThroughput", "DeletionProtectionEnabled", "TableClass", "Tags"):
        if same in props:
            request[same] = props[same]
    gsi_keys = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")
    if props.get("GlobalSecondaryIndexes"):
        request["GlobalSecondaryIndexes"] = list(
            _indexes(props["GlobalSecondaryIndexes"], gsi_keys)
        )
    if props.get("LocalSecondaryIndexes"):
        request["LocalSecondaryIndexes"] = list(
            _indexes(props["LocalSecondaryIndexes"], ("IndexName", "KeySchema", "Projection"))
        )
    if stream := props.get("StreamSpecification"):
        request["StreamSpecification"] = {"StreamEnabled": True, **stream}
    if sse := props.get("SSESpecification"):
        request["SSESpecification"] = {"Enabled": sse.get("SSEEnabled", False)} | {
            key: sse[key] for key in ("SSEType", "KMSMasterKeyId") if key in sse
        }
    return request


def _optional(call: Callable[..., Any], table: str, **kwargs: Any) -> None:
    try:
        call(TableName=table, **kwargs)
    except (ClientError, BotoCoreError) as exc:  # moto lacks it: the table still works
        LOG.warning("%s on %s not applied locally: %s", sorted(kwargs), table, exc)


def create_tables(template: Path) -> dict[str, str]:
    """Create every table of the template in moto; returns logical id -> local table name."""
    client = boto3.session.Session().client("dynamodb")
    names: dict[str, str] = {}
    for logical_id, props in template_tables(template).items():
        client.create_table(**create_table_request(logical_id, props))
        if ttl := props.get("TimeToLiveSpecification"):
            _optional(client.update_time_to_live, logical_id, TimeToLiveSpecification=ttl)
        if pitr := props.get("PointInTimeRecoverySpecification"):
            _optional(
                client.update_continuous_backups,
                logical_id,
                PointInTimeRecoverySpecification=pitr,
            )
        names[logical_id] = logical_id
    return names


def create_kms_keys(template: Path) -> dict[str, str]:
    """Create every AWS::KMS::Key of the template in moto (same KeySpec and KeyUsage); returns
    logical id -> key id, so `!Ref LicenseSigningKey` in a handler's environment resolves."""
    client = boto3.session.Session().client("kms")
    keys: dict[str, str] = {}
    for logical_id, resource in template_resources(template).items():
        if resource.get("Type") != "AWS::KMS::Key":
            continue
        props = resource.get("Properties") or {}
        created = client.create_key(
            Description=f"local {logical_id}",
            KeySpec=props.get("KeySpec", "SYMMETRIC_DEFAULT"),
            KeyUsage=props.get("KeyUsage", "ENCRYPT_DECRYPT"),
        )
        keys[logical_id] = created["KeyMetadata"]["KeyId"]
    return keys


def dev_secret_values() -> dict[str, str]:
    """Full secret name -> value, defaults overridden from the environment."""
    return {
        LOCAL_SECRETS_PREFIX + name: os.environ.get(secret.env) or secret.default
        for name, secret in DEV_SECRETS.items()
    }


def create_secrets() -> dict[str, str]:
    """Create the DEV_SECRETS in moto's Secrets Manager; returns full name -> value."""
    client = boto3.session.Session().client("secretsmanager")
    values = dev_secret_values()
    for name, value in values.items():
        client.create_secret(Name=name, SecretString=value)
    return values


def verify_mail_sender(address: str) -> str:
    """Make `address` a verified SES identity in moto (which refuses mail from anyone else), as
    the template's AWS::SES::EmailIdentity does in AWS; returns it."""
    client = boto3.session.Session().client("sesv2")
    client.create_email_identity(EmailIdentity=address)
    return address
