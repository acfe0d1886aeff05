"""What `make deploy` does after `sam deploy`, and the one reader of a deployed stack's outputs.

    python -m admin.deploy publish dev    # upload web/ to the stack's bucket, invalidate
                                          # CloudFront, print the portal's and the webhook's URL
    python -m admin.deploy show prod-waf  # print a stack's outputs (any samconfig.toml config
                                          # env: dev, prod, dev-waf, prod-waf)

The stack and its region come from samconfig.toml (admin.target.stage_parameters, as for
portal-admin); the rest from the stack's outputs (template.yaml: WebBucketName,
WebDistributionId, PortalUrl, WebhookUrl, ...). The operator's own AWS credentials are used.
"""

from __future__ import annotations

import argparse
import mimetypes
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import boto3

from admin.target import ROOT, TargetUnavailable, stage_parameters

WEB_DIR = ROOT / "web"
# What `publish` prints last, in this order: what an operator copies after a deploy.
ADDRESSES = (
    ("PortalUrl", "Portal"),
    ("WebhookUrl", "FastSpring webhook URL"),
    ("CloudFrontDomain", "CloudFront domain (DomainName's DNS record points here)"),
    ("AlarmTopicArn", "Alarm topic"),
    ("DashboardName", "Dashboard"),
)


def session_for(config_env: str) -> tuple[boto3.Session, str]:
    """A session in the config env's region and the name of its stack."""
    parameters = stage_parameters(config_env)
    return boto3.Session(region_name=parameters.get("region") or None), str(
        parameters["stack_name"]
    )


def stack_outputs(session: boto3.Session, stack_name: str) -> dict[str, str]:
    """OutputKey -> OutputValue of a deployed stack."""
    try:
        stacks = session.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"]
    except Exception as exc:
        raise TargetUnavailable(f"cannot read stack {stack_name}: {exc}") from exc
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}


def content_type(path: Path) -> str:
    """The Content-Type a web/ file is served with (text with its charset)."""
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind.endswith(("json", "javascript")):
        kind += "; charset=utf-8"
    return kind


def web_files(web_dir: Path = WEB_DIR) -> list[Path]:
    """Every file the site serves (hidden files are not published)."""
    return sorted(
        path
        for path in web_dir.rglob("*")
        if path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(web_dir).parts)
    )


def upload_web(session: boto3.Session, bucket: str, web_dir: Path = WEB_DIR) -> list[str]:
    """Upload web/ to the bucket; answers the keys written."""
    s3 = session.client("s3")
    keys = []
    for path in web_files(web_dir):
        key = path.relative_to(web_dir).as_posix()
        kind = content_type(path)
        s3.upload_file(str(path), bucket, key, ExtraArgs={"ContentType": kind})
        print(f"uploaded s3://{bucket}/{key} ({kind})")
        keys.append(key)
    return keys


def invalidate(session: boto3.Session, distribution_id: str) -> str:
    """Invalidate every path of the distribution; answers the invalidation's id."""
    answer = session.client("cloudfront").create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={
            "Paths": {"Quantity": 1, "Items": ["/*"]},
            "CallerReference": f"make-deploy-{time.time_ns()}",
        },
    )
    print(f"invalidated CloudFront distribution {distribution_id}")
    return str(answer["Invalidation"]["Id"])


def addresses(outputs: dict[str, str]) -> list[str]:
    """The lines `publish` ends with: the portal, the webhook URL for FastSpring, ..."""
    missing = [key for key in ("PortalUrl", "WebhookUrl") if key not in outputs]
    if missing:
        raise TargetUnavailable(f"the stack has no {', '.join(missing)} output: deploy it again")
    return [f"{label}: {outputs[key]}" for key, label in ADDRESSES if key in outputs]


def publish(config_env: str, web_dir: Path = WEB_DIR) -> list[str]:
    session, stack_name = session_for(config_env)
    outputs = stack_outputs(session, stack_name)
    for needed in ("WebBucketName", "WebDistributionId"):
        if needed not in outputs:
            raise TargetUnavailable(f"stack {stack_name} has no {needed} output: deploy it again")
    upload_web(session, outputs["WebBucketName"], web_dir)
    invalidate(session, outputs["WebDistributionId"])
    return addresses(outputs)


def show(config_env: str) -> list[str]:
    session, stack_name = session_for(config_env)
    return [f"{key}: {value}" for key, value in sorted(stack_outputs(session, stack_name).items())]


def main(argv: Sequence[str] | None = None, *, web_dir: Path = WEB_DIR) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m admin.deploy", description=(__doc__ or "").split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    publish_parser = commands.add_parser(
        "publish", help="upload web/, invalidate CloudFront, print the portal and webhook URLs"
    )
    publish_parser.add_argument("stage", help="a samconfig.toml config env: dev or prod")
    show_parser = commands.add_parser("show", help="print a deployed stack's outputs")
    show_parser.add_argument(
        "stage", help="a samconfig.toml config env: dev, prod, dev-waf, prod-waf"
    )
    args = parser.parse_args(argv)
    try:
        lines = publish(args.stage, web_dir) if args.command == "publish" else show(args.stage)
    except TargetUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
