"""Rotating what signs: FastSpring's webhook secret and the license-signing keys (portal-admin
`rotate ...` and `signing-keys`). Every change is audited (portal.data.audit, written alone: the
change is outside the table) before it is made, and no secret value is ever in an entry.

Webhook secret (`<SECRETS_PREFIX>fastspring-webhook`): a rotation writes
{"current": new, "previous": old, "rotatedAt": ...}, so the webhook accepts both
(portal.fastspring.signatures) while the operator saves the new one in FastSpring; finishing
writes {"current": new}. Finishing is refused until every function has read the rotation (the
secrets cache, portal.aws.secrets.CACHE_SECONDS) unless forced.

Signing keys: the SSM parameter of portal.aws.signing_keys, {"keys": [...]}: the first signs,
every one is published. A rotation creates an RSA-3072 KMS key tagged
customer-portal-signing=<stage> (the functions may use those: template.yaml) and lists it first
(it signs at once) or last (published only: promote it once the product ships a key file that
holds it). Retiring removes a key that no longer signs; its files stop verifying in products whose
key file no longer lists it."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from portal.aws import secrets as portal_secrets
from portal.aws import signing_keys
from portal.clock import from_utc_text, utc_text
from portal.config import Settings
from portal.data import audit
from portal.data.store import Store
from portal.fastspring.signatures import WEBHOOK_SECRET
from portal.licensing.license_files import kid_of

ROTATE_WEBHOOK = "rotate.webhook-secret"
FINISH_WEBHOOK = "rotate.webhook-secret.finish"
ROTATE_KEY = "rotate.signing-key"
RETIRE_KEY = "retire.signing-key"
# How long every function may still answer from what it read before a change.
PICKED_UP = timedelta(seconds=portal_secrets.CACHE_SECONDS)
SIGNING_TAG = "customer-portal-signing"  # template.yaml's ABAC condition on kms:Sign/GetPublicKey
DELETION_WINDOW_DAYS = 30
ORPHAN_DELETION_DAYS = 7  # a key made for a rotation that was not written (KMS's minimum)
SECRET_LENGTH = (24, 256)
_SECRET_SHAPE = re.compile(r"^[\x21-\x7e]+$")  # printable ASCII, no spaces


class Refused(Exception):
    """The change is not made; str(exc) says why (the command exits 1)."""


# ---------------------------------------------------------------- the webhook secret
@dataclass(frozen=True, slots=True)
class WebhookSecret:
    current: str
    previous: str | None = None
    rotated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class WebhookRotation:
    secret_name: str
    value: str  # the new secret: shown to the operator once, never logged or audited
    finish_after: datetime


def webhook_secret_name(settings: Settings) -> str:
    return settings.secrets_prefix + WEBHOOK_SECRET


def read_webhook_secret(client: Any, name: str) -> WebhookSecret:
    """What the secret holds: the value alone, or a rotation under way."""
    try:
        raw = str(client.get_secret_value(SecretId=name).get("SecretString") or "")
    except client.exceptions.ResourceNotFoundException as exc:
        raise Refused(f"{name} does not exist: deploy the stack first") from exc
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        if not raw:
            raise Refused(f"{name} is empty: put FastSpring's secret in it first")
        return WebhookSecret(current=raw)
    current, previous = parsed.get("current"), parsed.get("previous")
    if not isinstance(current, str) or not current:
        raise Refused(f'{name} holds JSON without a "current" secret: fix it by hand')
    rotated_at = None
    if isinstance(parsed.get("rotatedAt"), str):
        try:
            rotated_at = from_utc_text(parsed["rotatedAt"])
        except ValueError:
            rotated_at = None
    return WebhookSecret(
        current=current,
        previous=previous if isinstance(previous, str) and previous else None,
        rotated_at=rotated_at,
    )


def checked_secret(value: str) -> str:
    """An operator's own new secret: long enough, printable ASCII without spaces."""
    low, high = SECRET_LENGTH
    if not low <= len(value) <= high or not _SECRET_SHAPE.fullmatch(value):
        raise Refused(
            f"a webhook secret must be {low}-{high} printable ASCII characters without spaces"
        )
    return value


def rotate_webhook_secret(
    client: Any,
    store: Store,
    *,
    settings: Settings,
    actor: str,
    now: datetime,
    value: str | None = None,
    force: bool = False,
) -> WebhookRotation:
    """Make `value` (else a new random secret) current and keep the one in use as previous."""
    name = webhook_secret_name(settings)
    state = read_webhook_secret(client, name)
    if state.previous and not force:
        since = f" since {utc_text(state.rotated_at)}" if state.rotated_at else ""
        raise Refused(
            f"a rotation is under way{since}: finish it first (rotate webhook-secret --finish); "
            "--force drops its previous secret"
        )
    new = secrets.token_urlsafe(32) if value is None else checked_secret(value)
    if new in {state.current, state.previous}:
        raise Refused("that secret is already in use: choose another")
    finish_after = now + PICKED_UP
    details = {"generated": value is None, "finishAfter": utc_text(finish_after), "forced": force}
    audit.record(store, audit.entry(actor, ROTATE_WEBHOOK, now, subject=name, details=details))
    rotation = {"current": new, "previous": state.current, "rotatedAt": utc_text(now)}
    client.put_secret_value(SecretId=name, SecretString=json.dumps(rotation))
    return WebhookRotation(secret_name=name, value=new, finish_after=finish_after)


def finish_webhook_secret(
    client: Any, store: Store, *, settings: Settings, actor: str, now: datetime, force: bool = False
) -> str:
    """Drop the previous secret (FastSpring signs with the current one now); the secret's name."""
    name = webhook_secret_name(settings)
    state = read_webhook_secret(client, name)
    if not state.previous:
        raise Refused(f"no rotation is under way: {name} holds one secret")
    if not force:
        if state.rotated_at is None:
            raise Refused(
                f"{name} does not say when it was rotated: --force once FastSpring signs with "
                "the current secret"
            )
        if now < state.rotated_at + PICKED_UP:
            raise Refused(
                f"rotated at {utc_text(state.rotated_at)}: functions may not all have read the "
                f"new secret before {utc_text(state.rotated_at + PICKED_UP)}; finish after that "
                "(or --force)"
            )
    audit.record(
        store, audit.entry(actor, FINISH_WEBHOOK, now, subject=name, details={"forced": force})
    )
    client.put_secret_value(SecretId=name, SecretString=json.dumps({"current": state.current}))
    return name


# ---------------------------------------------------------------- the signing keys
@dataclass(frozen=True, slots=True)
class KeyList:
    name: str  # the SSM parameter
    keys: list[str]  # KMS key ids, the first signs
    source: str  # "parameter", or "environment" (LICENSE_SIGNING_KEY_IDS: no parameter yet)
    version: int | None = None  # the parameter's version (None: it does not exist)


@dataclass(frozen=True, slots=True)
class KeyChange:
    kid: str
    keys: list[str]  # the list now
    concurrent: bool = False  # someone else wrote the parameter meanwhile: look again
    deletion_date: datetime | None = None


def parameter_name(settings: Settings) -> str:
    if not settings.signing_keys_parameter_name:
        raise Refused(
            "the functions read no signing-key list (SIGNING_KEYS_PARAMETER_NAME is not set): "
            "deploy the current template first"
        )
    return settings.signing_keys_parameter_name


def read_key_list(ssm: Any, settings: Settings) -> KeyList:
    """The list the functions sign and publish with (read now, not from any cache)."""
    name = parameter_name(settings)
    try:
        answer = ssm.get_parameter(Name=name)["Parameter"]
    except ssm.exceptions.ParameterNotFound:
        return KeyList(name, settings.signing_key_ids, "environment")
    try:
        keys = signing_keys.parse(str(answer["Value"]))
    except ValueError as exc:
        raise Refused(f"{name} holds no valid list ({exc}): fix it by hand") from exc
    return KeyList(name, keys, "parameter", int(answer["Version"]))


def _write(ssm: Any, listed: KeyList, keys: Sequence[str]) -> bool:
    """Write the new list; whether another write came in between (the version moved by more)."""
    value = signing_keys.document(keys)
    if listed.version is None:
        try:
            ssm.put_parameter(
                Name=listed.name,
                Value=value,
                Type="String",
                Overwrite=False,
                Description="Customer Portal license-signing keys: the first signs, all published",
            )
        except ssm.exceptions.ParameterAlreadyExists as exc:
            raise Refused(f"{listed.name} was created meanwhile: see signing-keys") from exc
        return False
    answer = ssm.put_parameter(Name=listed.name, Value=value, Type="String", Overwrite=True)
    return int(answer["Version"]) != listed.version + 1


def _listed(listed: KeyList, kid: str) -> str:
    wanted = kid_of(kid.strip())
    for key in listed.keys:
        if kid_of(key) == wanted:
            return key
    raise Refused(f"{wanted} is not a signing key (see signing-keys)")


def rotate_signing_key(
    kms: Any,
    ssm: Any,
    store: Store,
    *,
    settings: Settings,
    actor: str,
    now: datetime,
    publish_only: bool = False,
) -> KeyChange:
    """Create a signing key and list it first (it signs) or last (published only)."""
    listed = read_key_list(ssm, settings)
    if not listed.keys:
        raise Refused("no signing key is listed (LICENSE_SIGNING_KEY_IDS is empty)")
    if len(listed.keys) >= signing_keys.MAX_KEYS:
        raise Refused(f"{signing_keys.MAX_KEYS} keys are listed: retire one first")
    created = kms.create_key(
        Description=(
            f"Customer Portal ({settings.stage}) - signs license and support files "
            f"(RSASSA-PSS SHA-256); made by portal-admin at {utc_text(now)}"
        ),
        KeySpec="RSA_3072",
        KeyUsage="SIGN_VERIFY",
        Tags=[{"TagKey": SIGNING_TAG, "TagValue": settings.stage}],
    )
    new = str(created["KeyMetadata"]["KeyId"])
    keys = [*listed.keys, new] if publish_only else [new, *listed.keys]
    try:
        details = {
            "kid": kid_of(new),
            "signs": not publish_only,
            "keys": [kid_of(k) for k in keys],
            "was": listed.source,
        }
        audit.record(
            store, audit.entry(actor, ROTATE_KEY, now, subject=listed.name, details=details)
        )
        concurrent = _write(ssm, listed, keys)
    except BaseException:
        if not _maybe_listed(ssm, settings, new):  # a key no one signs with: do not keep it
            kms.schedule_key_deletion(KeyId=new, PendingWindowInDays=ORPHAN_DELETION_DAYS)
        raise
    return KeyChange(kid=kid_of(new), keys=keys, concurrent=concurrent)


def _maybe_listed(ssm: Any, settings: Settings, key: str) -> bool:
    """Whether the list may hold `key` (a write that failed may still have been made): True
    unless the list, read again, says otherwise."""
    try:
        return key in read_key_list(ssm, settings).keys
    except Exception:  # noqa: BLE001 - cannot tell: keep the key
        return True


def promote_signing_key(
    ssm: Any, store: Store, *, settings: Settings, actor: str, now: datetime, kid: str
) -> KeyChange:
    """Make a listed key the one that signs (the others stay published)."""
    listed = read_key_list(ssm, settings)
    key = _listed(listed, kid)
    if listed.keys[0] == key:
        raise Refused(f"{kid_of(key)} signs already")
    keys = [key, *(k for k in listed.keys if k != key)]
    details = {"kid": kid_of(key), "signs": True, "keys": [kid_of(k) for k in keys]}
    audit.record(store, audit.entry(actor, ROTATE_KEY, now, subject=listed.name, details=details))
    return KeyChange(kid=kid_of(key), keys=keys, concurrent=_write(ssm, listed, keys))


def retire_signing_key(
    kms: Any,
    ssm: Any,
    store: Store,
    *,
    settings: Settings,
    actor: str,
    now: datetime,
    kid: str,
    delete_key: bool = False,
) -> KeyChange:
    """Stop publishing a key that no longer signs; with delete_key, schedule its deletion."""
    listed = read_key_list(ssm, settings)
    key = _listed(listed, kid)
    if len(listed.keys) == 1:
        raise Refused(f"{kid_of(key)} is the only signing key: rotate first")
    if listed.keys[0] == key:
        raise Refused(
            f"{kid_of(key)} signs: make another key sign first (rotate signing-key, or "
            "--promote KID)"
        )
    if delete_key:
        _check_deletable(kms, settings, key)
    keys = [k for k in listed.keys if k != key]
    details = {"kid": kid_of(key), "keys": [kid_of(k) for k in keys], "deleteKey": delete_key}
    audit.record(store, audit.entry(actor, RETIRE_KEY, now, subject=listed.name, details=details))
    concurrent = _write(ssm, listed, keys)
    deletion_date = None
    if delete_key:
        answer = kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=DELETION_WINDOW_DAYS)
        deletion_date = answer.get("DeletionDate")
    return KeyChange(kid=kid_of(key), keys=keys, concurrent=concurrent, deletion_date=deletion_date)


def _check_deletable(kms: Any, settings: Settings, key: str) -> None:
    """Only a key this tool made for this stage, and never the template's own."""
    if kid_of(key) in {kid_of(k) for k in settings.signing_key_ids}:
        raise Refused(
            f"{kid_of(key)} is the template's key (LICENSE_SIGNING_KEY_IDS, the list while the "
            "parameter is absent): retire it without --delete-key"
        )
    tags = kms.list_resource_tags(KeyId=key).get("Tags", [])
    if {"TagKey": SIGNING_TAG, "TagValue": settings.stage} not in tags:
        raise Refused(
            f"{kid_of(key)} is not tagged {SIGNING_TAG}={settings.stage}: not a key this tool "
            "made for this stage; retire it without --delete-key"
        )


def describe_keys(kms: Any, ssm: Any, settings: Settings) -> tuple[KeyList, list[dict[str, Any]]]:
    """The list and one row per key: kid, created, signs, KMS state, where the list comes from."""
    listed = read_key_list(ssm, settings)
    rows = []
    for index, key in enumerate(listed.keys):
        try:
            meta = kms.describe_key(KeyId=key)["KeyMetadata"]
            created, state = utc_text(meta["CreationDate"]), str(meta["KeyState"])
        except Exception as exc:  # noqa: BLE001 - shown to the operator, the list still prints
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)
            created, state = None, f"unreadable ({code})"
        rows.append(
            {
                "kid": kid_of(key),
                "created": created,
                "signs": "yes" if index == 0 else "-",
                "state": state,
                "source": listed.source,
            }
        )
    return listed, rows
