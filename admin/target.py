"""Where portal-admin works: the running local stack, or a deployed stage.

`connect(stage)` puts the functions' own environment in os.environ - the handlers' environment
recorded in .local/stack.json (with the local moto endpoint) for `local`; for `dev`/`prod`, the
environment of the stack's FastSpringWebhookFunction (every function shares the Globals), read
with the operator's credentials through CloudFormation and Lambda - resets the portal's caches and
answers a `Target`: the settings, store and clock the domain code takes, and who is acting (the
operator's AWS identity, recorded in every audit entry)."""

from __future__ import annotations

import getpass
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from local import aws
from local.stack import LOCAL_DIR, read_stack_file
from portal import dependencies
from portal.clock import Clock
from portal.config import Settings
from portal.data.store import Store

ROOT = Path(__file__).resolve().parent.parent
SAMCONFIG = ROOT / "samconfig.toml"
ENVIRONMENT_FUNCTION = "FastSpringWebhookFunction"
STAGES = ("local", "dev", "prod")


class TargetUnavailable(RuntimeError):
    """The stage cannot be reached (no local stack running, no stack deployed, no credentials)."""


@dataclass(frozen=True)
class Target:
    stage: str
    actor: str
    environment: dict[str, str]
    session: boto3.Session

    @property
    def settings(self) -> Settings:
        return dependencies.settings()

    @property
    def store(self) -> Store:
        return dependencies.store()

    @property
    def clock(self) -> Clock:
        return dependencies.clock()

    def client(self, service: str) -> Any:
        client: Any = self.session.client(service)  # type: ignore[call-overload]
        return client


def stage_parameters(stage: str, samconfig: Path = SAMCONFIG) -> dict[str, Any]:
    """`sam deploy`'s parameters of a stage in samconfig.toml (stack_name, region, ...)."""
    with samconfig.open("rb") as config:
        parsed = tomllib.load(config)
    try:
        return dict(parsed[stage]["deploy"]["parameters"])
    except KeyError:
        raise TargetUnavailable(f"samconfig.toml has no [{stage}.deploy.parameters]") from None


def deployed_environment(session: boto3.Session, stack_name: str) -> dict[str, str]:
    """The functions' environment on a deployed stack (one function's: they share Globals)."""
    cloudformation = session.client("cloudformation")
    try:
        function = cloudformation.describe_stack_resource(
            StackName=stack_name, LogicalResourceId=ENVIRONMENT_FUNCTION
        )["StackResourceDetail"]["PhysicalResourceId"]
        configuration = session.client("lambda").get_function_configuration(FunctionName=function)
    except Exception as exc:
        raise TargetUnavailable(f"cannot read stack {stack_name}: {exc}") from exc
    return dict(configuration.get("Environment", {}).get("Variables", {}))


def _actor(session: boto3.Session, stage: str) -> str:
    if stage == "local":
        return f"local:{getpass.getuser()}"
    try:
        return str(session.client("sts").get_caller_identity()["Arn"])
    except Exception as exc:
        raise TargetUnavailable(f"no AWS credentials for {stage}: {exc}") from exc


@contextmanager
def connect(stage: str = "local", *, stack_dir: Path = LOCAL_DIR) -> Iterator[Target]:
    """The stage's environment applied for the duration (restored after)."""
    if stage not in STAGES:
        raise TargetUnavailable(f"stage must be one of {', '.join(STAGES)}, not {stage!r}")
    if stage == "local":
        try:
            stack = read_stack_file(stack_dir)
        except OSError as exc:
            raise TargetUnavailable(str(exc)) from exc
        environment = stack.get("environment")
        if not isinstance(environment, dict):
            raise TargetUnavailable("stack.json has no handler environment: restart make run")
        values: dict[str, str | None] = {
            **environment,
            **aws.aws_environment(str(stack["aws"])),
        }
    else:
        parameters = stage_parameters(stage)
        region = str(parameters.get("region") or "")
        session = boto3.Session(region_name=region or None)
        values = {**deployed_environment(session, str(parameters["stack_name"]))}
        if region:
            values |= {"AWS_REGION": region, "AWS_DEFAULT_REGION": region}
    previous = aws.apply_environment(values)
    dependencies.reset()
    try:
        session = boto3.Session()
        yield Target(
            stage=stage,
            actor=_actor(session, stage),
            environment={k: v for k, v in values.items() if v is not None},
            session=session,
        )
    finally:
        aws.restore_environment(previous)
        dependencies.reset()
