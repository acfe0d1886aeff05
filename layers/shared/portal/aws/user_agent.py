"""The User-Agent header of every AWS request, worked out once per set of feature ids.

botocore assembles the header anew for each request, twice when it is sent over HTTP (once as the
request is built, once more just before it goes out): 18 components, each sanitised character by
character, ~0.15 ms a time on the development machine, the largest part of a Stubber-answered
DynamoDB call. The only input that changes between requests of one client is the set of feature
ids (`m/...`: retry mode, paginator, waiter...) registered in the request's botocore context; the
rest (SDK, OS, Python, the client's config) is fixed when the client is built. So the same string
is built once per client and feature set, by botocore itself, and kept.

    client = memoized(boto3.client("dynamodb", config=...))
"""

from __future__ import annotations

from typing import Any, TypeVar

from botocore.context import get_context
from botocore.useragent import UserAgentString

C = TypeVar("C")

# Feature sets a client meets are a handful; beyond this many, strings are built, not kept.
MEMO_LIMIT = 32


class MemoizedUserAgent(UserAgentString):
    """botocore's UserAgentString, its `to_string` kept per set of feature ids. Whatever changes
    another input (a copy with another client config, new session or client features) starts
    an empty memo."""

    _memo: dict[frozenset[str], str]

    def to_string(self) -> str:
        context = get_context()
        client_features = getattr(self, "_client_features", None) or set()
        features = frozenset(
            client_features.union(context.features) if context is not None else client_features
        )
        memo = self._memo
        text = memo.get(features)
        if text is None:
            text = str(super().to_string())
            if len(memo) < MEMO_LIMIT:
                memo[features] = text
        return text

    def with_client_config(self, client_config: Any) -> MemoizedUserAgent:
        copied: MemoizedUserAgent = super().with_client_config(client_config)
        copied._memo = {}
        return copied

    def set_session_config(self, *args: Any, **kwargs: Any) -> MemoizedUserAgent:
        self._memo = {}
        result: MemoizedUserAgent = super().set_session_config(*args, **kwargs)
        return result

    def set_client_features(self, features: Any) -> None:
        self._memo = {}
        super().set_client_features(features)


def memoized(client: C) -> C:
    """`client`, its User-Agent header kept per feature set (unchanged when botocore builds it
    with another class than the one this knows: then it is left as botocore made it)."""
    creator = getattr(client, "_user_agent_creator", None)
    if type(creator) is UserAgentString:
        creator._memo = {}  # type: ignore[attr-defined]
        creator.__class__ = MemoizedUserAgent
    return client
