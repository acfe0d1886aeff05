"""Floors of the package (STYLE.md 1 and 7), read from the source: only `portal/data/` shapes
DynamoDB requests (update and condition expressions, transaction parts, raw attribute values) and
only `portal/data/keys.py` formats a key (`pk`, `sk`, `gsi1*`, `lsi1sk`, a prefix joined to an id).
"""

from __future__ import annotations

import ast
import re

import pytest

from tests.support import ROOT

PORTAL = ROOT / "layers" / "shared" / "portal"

_EXPRESSION = re.compile(
    r"attribute_(not_)?exists\(|begins_with\(|^(SET|REMOVE|ADD) [#:\w]|[#:]\w+ = :\w+"
)
_RAW_TYPES = {"S", "N", "BOOL", "M", "L", "NULL", "SS", "NS", "B"}
_KEY_ATTRIBUTES = {"pk", "sk", "gsi1pk", "gsi1sk", "lsi1sk"}
_REQUEST_PARTS = {"transact", "update_request", "put_request", "delete_request"}


def offences(source: str, module: str) -> list[str]:
    """What `module` (a path under portal/) does that only the data layer, or keys.py, may do."""
    in_data = module.startswith("data/")
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        line = getattr(node, "lineno", 0)
        if not in_data:
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and _EXPRESSION.search(text):
                found.append(f"{line}: expression {text!r}")
            if isinstance(node, ast.Dict):
                names = {k.value for k in node.keys if isinstance(k, ast.Constant)}
                if len(node.keys) == 1 and names & _RAW_TYPES:
                    found.append(f"{line}: raw attribute value {sorted(names)}")
                if names & _KEY_ATTRIBUTES:
                    found.append(f"{line}: key built {sorted(names & _KEY_ATTRIBUTES)}")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                keywords = {k.arg for k in node.keywords}
                if node.func.attr in _REQUEST_PARTS or (
                    node.func.attr in {"update", "put"} and keywords & {"condition", "update"}
                ):
                    found.append(f"{line}: request shaped with .{node.func.attr}()")
        if module != "data/keys.py":
            if isinstance(node, ast.JoinedStr) and any(
                isinstance(part, ast.Constant) and "#" in str(part.value) for part in node.values
            ):
                found.append(f"{line}: key formatted {ast.unparse(node)}")
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
                for side in (node.left, node.right):
                    name = getattr(side, "attr", getattr(side, "id", ""))
                    if name.endswith(("_PREFIX", "_SK")):
                        found.append(f"{line}: key joined {ast.unparse(node)}")
    return found


def modules() -> list[str]:
    return sorted(path.relative_to(PORTAL).as_posix() for path in PORTAL.rglob("*.py"))


@pytest.mark.parametrize("module", modules())
def test_requests_and_keys_are_shaped_only_where_they_belong(module):
    # given a module of the portal package, when its source is read, then it does nothing that
    # belongs to the data layer (or, inside the data layer, to keys.py)
    assert offences((PORTAL / module).read_text(), module) == []


@pytest.mark.parametrize(
    "snippet",
    [
        'store.update(k, update="SET lastSeenAt = :now", values=v)',
        'store.put(item, condition="attribute_not_exists(pk)")',
        'store.transact([("Put", part)])',
        "parts = [store.update_request(k, update=u)]",
        'value = {"N": "1"}',
        'start = {"pk": pk, "sk": prefix + after}',
        'extra = {"gsi1sk": sort}',
        'sort = f"{customer_id}#{support_id}"',
        "sk = keys.LICENSE_PREFIX + license_id",
    ],
)
def test_the_check_sees_each_kind_of_offence(snippet):
    # given a line that shapes a request or formats a key, when it sits in a domain module,
    # then the check names it
    assert offences(snippet, "licensing/licenses.py")


def test_inside_the_data_layer_only_keys_may_be_formatted():
    # given the data layer shaping requests, then that is its job; but a key formatted outside
    # keys.py is still named
    assert offences('store.put(item, condition="attribute_not_exists(pk)")', "data/x.py") == []
    assert offences('{"gsi1sk": f"{customer_id}#{support_id}"}', "data/items.py")
    assert offences('f"CUST#{customer_id}"', "data/keys.py") == []
