"""portal.powertools: Powertools without its package __init__s, and nothing lost by it. Each check
runs in a fresh `python -I` (which package inits ran is a property of the process)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from typing import Any

import pytest

from portal.powertools import LAZY_PACKAGES
from tests.support import ROOT

LAYER = ROOT / "layers" / "shared"
# What only the skipped __init__s load: the other resolvers (AppSync brings asyncio), the Tracer,
# the event classes the HTTP resolver does not name, OpenAPI's merge tool.
NOT_LOADED = (
    "asyncio",
    "aws_lambda_powertools.event_handler.appsync",
    "aws_lambda_powertools.event_handler.bedrock_agent",
    "aws_lambda_powertools.event_handler.vpc_lattice",
    "aws_lambda_powertools.tracing",
    "aws_lambda_powertools.utilities.data_classes.sqs_event",
    "aws_lambda_powertools.utilities.data_classes.s3_event",
    "aws_lambda_powertools.event_handler.openapi.merge",
)
# Every name a package has once the submodules portal.powertools imports are imported, and what
# kind of object it is.
_NAMES = """
import importlib, json, sys
import aws_lambda_powertools.event_handler.api_gateway, aws_lambda_powertools.shared.cookies
import aws_lambda_powertools.utilities.typing.lambda_context, aws_lambda_powertools.metrics.metrics
packages = [importlib.import_module(package) for package in %r]
for module in packages:
    getattr(module, "__all__", None)  # a lazy package runs its __init__ here
names = {
    module.__name__: {k: type(v).__name__ for k, v in vars(module).items() if k != "__getattr__"}
    for module in packages
}
print(json.dumps(names))
"""
# The User-Agent of a botocore request (answered in-process): Powertools adds "PT/no-op/<v>".
_USER_AGENT = """
import botocore.session
from botocore.awsrequest import AWSResponse
client = botocore.session.get_session().create_client(
    "dynamodb", region_name="eu-west-1", aws_access_key_id="a", aws_secret_access_key="b")
seen = []
def answer(request, **_):
    seen.append(str(request.headers["User-Agent"]))
    return AWSResponse(request.url, 200, {}, None)
client.meta.events.register("before-send", answer)
try:
    client.list_tables()
except Exception:  # the empty answer does not parse; the request was made
    pass
print(json.dumps(seen))
"""


def _run(code: str) -> Any:
    prelude = f"import json, sys\nsys.path.insert(0, {str(LAYER)!r})\n"
    done = subprocess.run(
        [sys.executable, "-I", "-c", prelude + code],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={
            "PATH": "",
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        },
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_portal_loads_what_it_uses_and_not_what_the_package_inits_would() -> None:
    # when a process imports portal.powertools (as every HTTP function does first)
    loaded = _run(
        "import portal.powertools as p\n"
        "from aws_lambda_powertools.event_handler.api_gateway import Response\n"
        "assert p.Response is Response\n"
        "lazy = [n for n in p.LAZY_PACKAGES if '__getattr__' in vars(sys.modules[n])]\n"
        "print(json.dumps([lazy, sorted(sys.modules)]))"
    )
    lazy, modules = loaded
    # then the packages stand without their __init__, and what only those load is not there
    assert lazy == list(LAZY_PACKAGES)
    assert [m for m in NOT_LOADED if m in modules] == []
    # while what the portal uses is (the probe can fail: a plain import loads them all)
    plain = _run(
        "import aws_lambda_powertools.event_handler\nprint(json.dumps(sorted(sys.modules)))"
    )
    assert [m for m in NOT_LOADED if m not in plain] == []


def test_a_package_asked_for_anything_else_is_the_package_a_plain_import_gives() -> None:
    # given the names (and kinds) of each package after a plain import
    plain = _run(_NAMES % (LAZY_PACKAGES,))
    # when portal.powertools came first and then something asks each package for its names
    lazy = _run("import portal.powertools\n" + _NAMES % (LAZY_PACKAGES,))
    # then they are the same names, of the same kinds
    assert lazy == plain
    assert "Tracer" in lazy["aws_lambda_powertools"]
    assert "AppSyncResolver" in lazy["aws_lambda_powertools.event_handler"]


def test_names_a_plain_import_gives_are_the_same_objects() -> None:
    same = _run(
        "import portal.powertools as p\n"
        "from aws_lambda_powertools import Logger, Metrics, Tracer, __version__\n"
        "from aws_lambda_powertools.event_handler import AppSyncResolver, Response\n"
        "from aws_lambda_powertools.utilities.data_classes import ALBEvent, SQSEvent\n"
        "from aws_lambda_powertools.utilities.data_classes.alb_event import ALBEvent as A\n"
        "print(json.dumps([p.Logger is Logger, p.Metrics is Metrics, p.Response is Response,\n"
        "                  ALBEvent is A, bool(__version__), bool(Tracer), bool(SQSEvent)]))"
    )
    assert same == [True] * 7


def test_a_submodule_that_imports_from_its_lazy_package_gets_what_the_init_would_give() -> None:
    """sqs_event does `from aws_lambda_powertools.utilities.data_classes import S3Event` at import
    (the mailer's batch utilities load it): the name comes from the submodule the __init__ takes
    it from, without running the __init__ halfway through its own import of sqs_event."""
    same = _run(
        "import portal.powertools\n"
        "from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType\n"
        "from aws_lambda_powertools.utilities.data_classes import sqs_event, s3_event\n"
        "from aws_lambda_powertools.utilities.data_classes import event_source\n"
        "print(json.dumps([sqs_event.S3Event is s3_event.S3Event, callable(event_source),\n"
        "                  type(event_source).__name__]))"
    )
    assert same == [True, True, "function"]


@pytest.mark.parametrize(
    "prelude",
    [
        pytest.param("import portal.powertools\n", id="portal.powertools first"),
        pytest.param("import aws_lambda_powertools\nimport portal.powertools\n", id="plain first"),
        pytest.param(
            "import portal.powertools\nfrom aws_lambda_powertools import Tracer\n",
            id="then the root __init__",
        ),
    ],
)
def test_what_the_root_init_does_is_done_once(prelude: str) -> None:
    # given Powertools loaded one way or another
    agents, hooks, handlers, propagates = _run(
        prelude
        + _USER_AGENT.replace("print(json.dumps(seen))", "")
        + "import logging\n"
        + "log = logging.getLogger('aws_lambda_powertools')\n"
        + "import botocore\n"
        + "from aws_lambda_powertools.shared.user_agent import _initializer_botocore_session as i\n"
        + "hooks = botocore._INITIALIZERS.count(i)\n"
        + "kinds = [type(h).__name__ for h in log.handlers]\n"
        + "print(json.dumps([seen, hooks, kinds, log.propagate]))"
    )
    # then botocore requests carry Powertools' user-agent feature exactly once
    assert hooks == 1
    assert len(agents) == 1
    assert agents[0].count("PT/no-op/") == 1
    # and Powertools' own logger is silent (a NullHandler, not propagated), as after a plain import
    assert "NullHandler" in handlers
    assert propagates is False


def test_already_imported_packages_are_left_as_they_are() -> None:
    lazy = _run(
        "import aws_lambda_powertools.event_handler, aws_lambda_powertools.utilities.data_classes\n"
        "import portal.powertools as p\n"
        "print(json.dumps([n for n in p.LAZY_PACKAGES if '__getattr__' in vars(sys.modules[n])]))"
    )
    assert lazy == []


# Who may import Powertools other than through portal.powertools: the parser (FastSpring's events:
# the webhook and reconciliation, which load the full package anyway) and the mailer's batch
# utilities (a stream function, no person waits).
ALLOWED = {
    "layers/shared/portal/powertools.py",
    "layers/shared/portal/fastspring/events.py",
    "functions/mailer/app.py",
}


def test_the_portal_imports_powertools_only_through_portal_powertools() -> None:
    files = [*(ROOT / "layers" / "shared" / "portal").rglob("*.py"), *ROOT.glob("functions/*/*.py")]
    importing = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            if any(n.split(".")[0] == "aws_lambda_powertools" for n in names):
                importing.add(str(path.relative_to(ROOT)))
    assert "layers/shared/portal/powertools.py" in importing  # the check sees imports
    assert importing - ALLOWED == set()
