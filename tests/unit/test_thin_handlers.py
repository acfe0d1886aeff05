"""The thin-handler rule (STYLE.md 2, ARCHITECTURE.md "Request path"), checked on the syntax tree
of every functions/*/app.py: no AWS SDK, no data store, no AWS client of the portal — a handler
parses, calls one domain function and responds, through portal.edge — and no file past a screen."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support import ROOT

MAX_LINES = 80
FORBIDDEN_MODULES = ("boto3", "botocore", "portal.data.store", "portal.aws")
FORBIDDEN_NAMES = {"Store"}
HANDLERS = sorted((ROOT / "functions").glob("*/app.py"))


def _forbidden(module: str) -> bool:
    return any(module == m or module.startswith(m + ".") for m in FORBIDDEN_MODULES)


def problems(source: str) -> list[str]:
    """What breaks the rule in one handler's source, line by line."""
    found = []
    lines = source.count("\n") + (0 if source.endswith("\n") else 1)
    if lines > MAX_LINES:
        found.append(f"{lines} lines (a handler fits in {MAX_LINES})")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [
                f"line {node.lineno}: import {a.name}" for a in node.names if _forbidden(a.name)
            ]
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if _forbidden(node.module) or _forbidden(full) or alias.name in FORBIDDEN_NAMES:
                    found.append(f"line {node.lineno}: from {node.module} import {alias.name}")
        elif isinstance(node, ast.Call):  # __import__("boto3"), importlib.import_module(...)
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in {"__import__", "import_module"}:
                for arg in node.args:
                    if isinstance(arg, ast.Constant) and _forbidden(str(arg.value)):
                        found.append(f"line {node.lineno}: {name}({arg.value!r})")
    return found


def test_there_are_handlers_to_check():
    assert len(HANDLERS) >= 11


@pytest.mark.parametrize("app", HANDLERS, ids=lambda p: p.parent.name)
def test_every_handler_is_thin(app: Path):
    # given a handler file; when its syntax tree is read; then nothing breaks the rule
    assert problems(app.read_text()) == []


@pytest.mark.parametrize(
    "source,expected",
    [
        ("import boto3\n", "import boto3"),
        ("import botocore.exceptions\n", "import botocore.exceptions"),
        ("from botocore.exceptions import ClientError\n", "from botocore.exceptions"),
        ("from portal.data.store import Store\n", "from portal.data.store import Store"),
        ("from portal.data import store\n", "from portal.data import store"),
        ("from portal.dependencies import Store\n", "import Store"),
        ("from portal.aws import clients\n", "from portal.aws import clients"),
        ("from portal.aws.clients import dynamodb\n", "from portal.aws.clients"),
        ("from portal import aws\n", "from portal import aws"),
        ("import portal.aws.signing as signing\n", "import portal.aws.signing"),
        ("x = __import__('boto3')\n", "__import__('boto3')"),
        ("import importlib\nc = importlib.import_module('portal.aws.clients')\n", "import_module"),
        ("x = 1\n" * (MAX_LINES + 1), "lines"),
    ],
)
def test_the_check_sees_each_kind_of_breach(source: str, expected: str):
    # given a handler source that breaks the rule one way; when checked; then it is reported
    assert any(expected in problem for problem in problems(source)), problems(source)


def test_the_check_lets_a_thin_handler_through():
    # given what a handler should import (the edge, dependencies, a domain module)
    source = (
        "from portal import dependencies\n"
        "from portal.edge import entry, responses\n"
        "from portal.data.cursors import PageQuery\n"
        "from portal.licensing import licenses\n"
    )
    # then nothing is reported
    assert problems(source) == []
