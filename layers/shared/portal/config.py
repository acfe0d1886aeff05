"""Settings: environment variables read once into a validated model.

Nothing is read at import time; `get_settings()` reads on first use and caches, and tests call
`get_settings.cache_clear()` (or build `Settings` directly) when they change the environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SESSION_COOKIE = "__Host-portal_session"


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)

    table_name: str = Field(min_length=3, max_length=255)
    stage: Literal["local", "dev", "prod", "test"] = "dev"
    # The portal's own origin (scheme://host[:port]); state-changing calls must come from it.
    portal_origin: str = Field(pattern=r"^https?://[A-Za-z0-9.\-]+(:\d{1,5})?$")
    secrets_prefix: str = "customer-portal/dev/"
    # Header carrying the viewer's address when behind CloudFront; empty = the TCP peer (sourceIp).
    client_ip_header: str = ""
    allow_test_orders: bool = False
    fastspring_store_host: str = "example.onfastspring.com"
    fastspring_api_base: str = "https://api.fastspring.com"
    # KMS: the symmetric key sealing activation keys; the RSA keys signing license files
    # (comma-separated, the first signs, all are published).
    activation_key_sealing_key_id: str = ""
    license_signing_key_ids: str = ""

    session_idle_seconds: int = Field(default=30 * 60, ge=60)
    session_absolute_seconds: int = Field(default=12 * 60 * 60, ge=300)
    login_window_seconds: int = Field(default=15 * 60, ge=60)
    login_failures_per_account: int = Field(default=10, ge=1, le=100)
    login_failures_per_ip: int = Field(default=100, ge=1, le=1000)

    @property
    def signing_key_ids(self) -> list[str]:
        return [key.strip() for key in self.license_signing_key_ids.split(",") if key.strip()]

    @field_validator("allow_test_orders", mode="before")
    @classmethod
    def _boolish(cls, value: object) -> object:
        if isinstance(value, str):
            return value.strip().lower() in {"1", "true", "yes"}
        return value


_ENV = {
    "table_name": "TABLE_NAME",
    "stage": "STAGE",
    "portal_origin": "PORTAL_ORIGIN",
    "secrets_prefix": "SECRETS_PREFIX",
    "client_ip_header": "CLIENT_IP_HEADER",
    "allow_test_orders": "ALLOW_TEST_ORDERS",
    "fastspring_store_host": "FASTSPRING_STORE_HOST",
    "fastspring_api_base": "FASTSPRING_API_BASE",
    "activation_key_sealing_key_id": "ACTIVATION_KEY_SEALING_KEY_ID",
    "license_signing_key_ids": "LICENSE_SIGNING_KEY_IDS",
}


def settings_from(env: Mapping[str, str]) -> Settings:
    values = {field: env[name] for field, name in _ENV.items() if name in env}
    return Settings.model_validate(values)


@cache
def get_settings() -> Settings:
    return settings_from(os.environ)
