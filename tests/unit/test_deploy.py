"""admin/deploy.py, what `make deploy` runs after `sam deploy`: web/ uploaded to the stack's bucket
with its content types, CloudFront invalidated, the portal's and the webhook's URL printed - all
found through the stack's outputs (moto in-process: a stack named as samconfig.toml's dev)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from admin import deploy
from admin.target import TargetUnavailable, stage_parameters

PORTAL = "https://portal.example.com"


def _distribution(session: boto3.Session) -> str:
    answer = session.client("cloudfront").create_distribution(
        DistributionConfig={
            "CallerReference": "test",
            "Comment": "",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "web",
                        "DomainName": "web.s3.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "web",
                "ViewerProtocolPolicy": "redirect-to-https",
            },
        }
    )
    return str(answer["Distribution"]["Id"])


def _stack(session: boto3.Session, stack_name: str, outputs: dict[str, Any]) -> None:
    """A stack holding the web bucket, with the given outputs (literal values or a Ref)."""
    template = {
        "Resources": {"WebBucket": {"Type": "AWS::S3::Bucket"}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    session.client("cloudformation").create_stack(
        StackName=stack_name, TemplateBody=json.dumps(template)
    )


@pytest.fixture
def dev(aws: None) -> tuple[boto3.Session, str]:
    parameters = stage_parameters("dev")
    return boto3.Session(region_name=parameters["region"]), str(parameters["stack_name"])


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "js").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>Portal</title>")
    (tmp_path / "js" / "app.js").write_text("export const a = 1;")
    (tmp_path / "logo.svg").write_text("<svg/>")
    (tmp_path / ".DS_Store").write_text("not published")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "secret.txt").write_text("not published")
    return tmp_path


def test_publish_uploads_the_site_invalidates_and_names_the_urls(
    dev: tuple[boto3.Session, str], site: Path
) -> None:
    # given a deployed stack with its bucket, distribution and URLs
    session, stack_name = dev
    distribution = _distribution(session)
    _stack(
        session,
        stack_name,
        {
            "WebBucketName": {"Ref": "WebBucket"},
            "WebDistributionId": distribution,
            "PortalUrl": PORTAL,
            "WebhookUrl": f"{PORTAL}/api/webhooks/fastspring",
            "AlarmTopicArn": "arn:aws:sns:eu-west-1:123456789012:alarms",
        },
    )
    # when web/ is published
    lines = deploy.publish("dev", web_dir=site)
    # then every visible file is in the bucket, with its type
    bucket = deploy.stack_outputs(session, stack_name)["WebBucketName"]
    s3 = session.client("s3")
    objects = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert objects == {"index.html", "js/app.js", "logo.svg"}
    assert (
        s3.head_object(Bucket=bucket, Key="index.html")["ContentType"] == "text/html; charset=utf-8"
    )
    assert (
        s3.head_object(Bucket=bucket, Key="js/app.js")["ContentType"]
        == "text/javascript; charset=utf-8"
    )
    assert s3.head_object(Bucket=bucket, Key="logo.svg")["ContentType"] == "image/svg+xml"
    # and the distribution is invalidated
    invalidations = session.client("cloudfront").list_invalidations(DistributionId=distribution)
    assert invalidations["InvalidationList"]["Quantity"] == 1
    # and it ends with the URLs an operator copies, the portal's first
    assert lines[:2] == [
        f"Portal: {PORTAL}",
        f"FastSpring webhook URL: {PORTAL}/api/webhooks/fastspring",
    ]
    assert "Alarm topic: arn:aws:sns:eu-west-1:123456789012:alarms" in lines


def test_the_command_prints_the_urls_last(
    dev: tuple[boto3.Session, str], site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session, stack_name = dev
    _stack(
        session,
        stack_name,
        {
            "WebBucketName": {"Ref": "WebBucket"},
            "WebDistributionId": _distribution(session),
            "PortalUrl": PORTAL,
            "WebhookUrl": f"{PORTAL}/api/webhooks/fastspring",
        },
    )
    assert deploy.main(["publish", "dev"], web_dir=site) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[-2:] == [
        f"Portal: {PORTAL}",
        f"FastSpring webhook URL: {PORTAL}/api/webhooks/fastspring",
    ]
    assert any(line.startswith("uploaded s3://") for line in printed)


def test_a_stack_without_the_outputs_is_refused_before_anything_is_uploaded(
    dev: tuple[boto3.Session, str], site: Path
) -> None:
    # given a stack deployed from an older template (no WebDistributionId output)
    session, stack_name = dev
    _stack(session, stack_name, {"WebBucketName": {"Ref": "WebBucket"}, "PortalUrl": PORTAL})
    # then publishing refuses, naming the missing output, and uploads nothing
    with pytest.raises(TargetUnavailable, match="WebDistributionId"):
        deploy.publish("dev", web_dir=site)
    bucket = deploy.stack_outputs(session, stack_name)["WebBucketName"]
    assert session.client("s3").list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_a_stage_not_deployed_or_not_configured_is_an_error_not_a_traceback(
    aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert deploy.main(["show", "prod"]) == 1
    assert "cannot read stack customer-portal-prod" in capsys.readouterr().err
    assert deploy.main(["show", "staging"]) == 1
    assert "samconfig.toml has no [staging.deploy.parameters]" in capsys.readouterr().err


def test_show_prints_every_output_of_the_web_acl_stack(
    aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    parameters = stage_parameters("prod-waf")
    session = boto3.Session(region_name=parameters["region"])
    arn = (
        "arn:aws:wafv2:us-east-1:123456789012:global/webacl/customer-portal-prod/"
        "0a1b2c3d-4e5f-6789-abcd-ef0123456789"
    )
    _stack(session, parameters["stack_name"], {"WebAclArn": arn})
    assert deploy.main(["show", "prod-waf"]) == 0
    assert capsys.readouterr().out.splitlines() == [f"WebAclArn: {arn}"]


def test_the_addresses_need_the_portal_and_webhook_urls() -> None:
    with pytest.raises(TargetUnavailable, match="PortalUrl, WebhookUrl"):
        deploy.addresses({"WebBucketName": "b"})
