"""The cut-down service models of portal/aws/models/ (portal.aws.clients): what botocore has,
limited to the operations the portal calls, and read by the portal's clients."""

from __future__ import annotations

import ast
import re

from botocore import xform_name
from botocore.loaders import Loader

from local import aws_models
from portal.aws import clients
from tests.support import ROOT

LAYER = ROOT / "layers" / "shared" / "portal"


def test_the_models_are_what_botocore_has_for_those_operations() -> None:
    # given what local/aws_models.py makes from the installed botocore
    expected = aws_models.expected()
    # then the layer holds exactly that (run `python -m local.aws_models` after a botocore upgrade)
    written = {
        str(path.relative_to(clients.MODELS)): path.read_text(encoding="utf-8")
        for path in clients.MODELS.rglob("*")
        if path.is_file()
    }
    assert sorted(written) == sorted(expected)
    assert written == expected


def test_a_cut_model_keeps_the_operations_shapes_whole() -> None:
    full = Loader().load_service_model("kms", "service-2")
    _, cut = aws_models.subset("kms", ("Sign",))
    assert list(cut["operations"]) == ["Sign"]
    assert cut["metadata"] == {k: v for k, v in full["metadata"].items()}
    sign_request = full["shapes"]["SignRequest"]
    assert set(cut["shapes"]["SignRequest"]["members"]) == set(sign_request["members"])
    assert "documentation" not in str(cut)  # docstrings only: dropped
    assert len(cut["shapes"]) < len(full["shapes"]) / 5


def test_the_portal_clients_read_them_and_other_services_read_botocore(aws: None) -> None:
    clients.reset()
    for service, operations in clients.SUBSET_OPERATIONS.items():
        client = getattr(clients, service)()
        assert sorted(client.meta.service_model.operation_names) == sorted(operations)
    # the check can fail: botocore's own models have more, and DynamoDB's is botocore's
    assert "ListKeys" in Loader().load_service_model("kms", "service-2")["operations"]
    assert "DescribeTable" in clients.dynamodb().meta.service_model.operation_names


def test_every_operation_the_layer_calls_on_those_clients_is_in_its_model() -> None:
    """A call like `clients.kms().sign(` of any operation of the three services, anywhere in the
    layer except portal/admin (portal-admin calls AWS through its own session, admin/target.py)."""
    loader = Loader()
    called: dict[str, set[str]] = {service: set() for service in clients.SUBSET_OPERATIONS}
    sources = [p for p in LAYER.rglob("*.py") if "admin" not in p.relative_to(LAYER).parts]
    for service in clients.SUBSET_OPERATIONS:
        operations = loader.load_service_model(service, "service-2")["operations"]
        for path in sources:
            text = path.read_text(encoding="utf-8")
            called[service] |= {
                name for name in operations if re.search(rf"\.{xform_name(name)}\(", text)
            }
    assert called["ssm"] == {"GetParameter"}  # the scan sees calls
    assert {s: sorted(ops) for s, ops in called.items()} == {
        s: sorted(ops) for s, ops in clients.SUBSET_OPERATIONS.items()
    }


def test_portal_admin_never_uses_the_portals_clients() -> None:
    for path in (LAYER / "admin").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "portal.aws":
                assert "clients" not in {alias.name for alias in node.names}, path
            if isinstance(node, ast.ImportFrom | ast.Import):
                names = [node.module] if isinstance(node, ast.ImportFrom) else []
                names += [a.name for a in node.names] if isinstance(node, ast.Import) else []
                assert "portal.aws.clients" not in names, path
