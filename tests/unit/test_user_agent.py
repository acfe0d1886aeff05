"""The User-Agent header of AWS requests (portal.aws.user_agent): the portal's clients send exactly
the header botocore would build, request after request, but build it once per set of feature ids
instead of twice per request. The requests go the whole way through botocore (serialised, signed,
the header rebuilt before sending); only the HTTP exchange is replaced, by a `before-send` hook
that records the request and answers `{}`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.context import start_as_current_context
from botocore.useragent import UserAgentString, register_feature_id

from portal.aws import clients
from portal.aws.user_agent import MEMO_LIMIT, MemoizedUserAgent, memoized

CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, parameter_validation=False)


class _Body:
    def stream(self, **_: Any) -> Iterator[bytes]:
        yield b"{}"


def sent_user_agents(client: Any) -> list[str]:
    """The User-Agent header of every DynamoDB request `client` sends from now on."""
    sent: list[str] = []

    def answer(request: Any, **_: Any) -> AWSResponse:
        sent.append(request.headers["User-Agent"].decode())
        return AWSResponse(request.url, 200, {}, _Body())

    client.meta.events.register("before-send.dynamodb", answer)
    return sent


def plain_and_kept() -> tuple[Any, Any]:
    """Two clients built alike, the second kept per feature set. (The first client of a process
    also reports how its credentials were found, `m/g`: a throwaway one takes that.)"""
    boto3.client("dynamodb", config=CONFIG)
    plain, kept = (boto3.client("dynamodb", config=CONFIG) for _ in range(2))
    return plain, memoized(kept)


def get(client: Any) -> None:
    client.get_item(TableName="PortalTable", Key={"pk": {"S": "CUST#A"}, "sk": {"S": "PROFILE"}})


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every User-Agent string botocore itself assembles from now on."""
    built: list[str] = []
    assemble = UserAgentString.to_string

    def counted(self: UserAgentString) -> str:
        text = assemble(self)
        built.append(text)
        return text

    monkeypatch.setattr(UserAgentString, "to_string", counted)
    return built


def test_the_header_sent_is_the_one_botocore_sends(env: dict[str, str], no_network: None) -> None:
    # given a plain boto3 client and the same client kept per feature set
    plain, kept = plain_and_kept()
    plain_sent, kept_sent = sent_user_agents(plain), sent_user_agents(kept)
    # when each sends three GetItems
    for _ in range(3):
        get(plain)
        get(kept)
    # then every request carries the very header botocore built for the plain one
    assert len(kept_sent) == 3
    assert kept_sent == plain_sent
    assert kept_sent[0].startswith("Boto3/") and " cfg/retry-mode#standard" in kept_sent[0]


def test_it_is_assembled_once_per_feature_set(
    env: dict[str, str], no_network: None, builds: list[str]
) -> None:
    # given a kept client that has sent one request
    client = memoized(boto3.client("dynamodb", config=CONFIG))
    sent = sent_user_agents(client)
    get(client)
    first = len(builds)
    # when it sends ten more; then botocore assembled none of their headers
    for _ in range(10):
        get(client)
    assert len(builds) == first
    assert len(set(sent)) == 1
    # a plain client assembles it twice for every request (built, then rebuilt before sending)
    plain = boto3.client("dynamodb", config=CONFIG)
    sent_user_agents(plain)
    before = len(builds)
    for _ in range(10):
        get(plain)
    assert len(builds) - before == 20


def test_a_feature_registered_for_one_request_shows_in_its_header_only(
    env: dict[str, str], no_network: None
) -> None:
    # given a kept client and a plain one
    plain, kept = plain_and_kept()
    plain_sent, kept_sent = sent_user_agents(plain), sent_user_agents(kept)
    # when one request is made in a context that registered another feature, and one without
    for client in (plain, kept):
        get(client)
        with start_as_current_context():
            register_feature_id("PAGINATOR")
            get(client)
        get(client)
    # then its header names the feature as botocore's does, and the next one no longer does
    assert kept_sent == plain_sent
    assert kept_sent[0] == kept_sent[2] != kept_sent[1]


def test_a_copy_with_another_config_gets_its_own_header(env: dict[str, str]) -> None:
    # given a kept client's user-agent creator, its header already built
    creator = memoized(boto3.client("dynamodb", config=CONFIG))._user_agent_creator
    assert isinstance(creator, MemoizedUserAgent)
    creator.to_string()
    # when copied with a config that adds an app id; then the copy's header has it, the original not
    other = Config(retries={"mode": "standard"}, user_agent_appid="portal-test")
    copied = creator.with_client_config(other)
    assert "app/portal-test" in copied.to_string()
    assert "app/portal-test" not in creator.to_string()


def test_the_memo_stays_bounded(env: dict[str, str], builds: list[str]) -> None:
    # given a kept client's creator; when it meets more feature sets than it keeps
    creator = memoized(boto3.client("dynamodb", config=CONFIG))._user_agent_creator
    for n in range(MEMO_LIMIT + 5):
        with start_as_current_context():
            register_feature_id("PAGINATOR" if n % 2 else "WAITER")
            creator._client_features = {f"x{n}"}
            creator.to_string()
    # then it keeps at most MEMO_LIMIT strings and still answers the right one for each
    assert len(creator._memo) == MEMO_LIMIT
    with start_as_current_context():
        creator._client_features = {"late"}
        assert "late" in creator.to_string()


def test_every_portal_client_is_kept(env: dict[str, str]) -> None:
    clients.reset()
    for make in (clients.dynamodb, clients.secretsmanager, clients.kms, clients.ssm, clients.sesv2):
        assert type(make()._user_agent_creator) is MemoizedUserAgent
    clients.reset()


def test_an_unknown_creator_is_left_as_botocore_made_it() -> None:
    class Other(UserAgentString):
        pass

    client: Any = type("Client", (), {})()
    client._user_agent_creator = Other.from_environment()
    assert type(memoized(client)._user_agent_creator) is Other
