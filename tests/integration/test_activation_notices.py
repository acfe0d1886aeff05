"""Activation notices on a locally started stack (issue 9's acceptance): `python -m local.product
activate --computer SRV-NEW-02` with the demo key binds a license to a new computer, and an
activation notice for the demo customer, naming that license and computer and linking to its
history, arrives in the mailbox `.local/stack.json` names - through the table's stream, the
mailer and the local SES, as AWS would deliver it. The same computer again mails nothing; the
portal's release mails a release notice."""

from __future__ import annotations

import http.client
import io
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from local import demo_data, product
from local.stack import LocalStack, read_stack_file
from product_sdk.verify_license import load_keys, verify
from tests.support import HttpClient, eventually, local_mail

pytestmark = pytest.mark.integration

DEADLINE_SECONDS = 10.0
COMPUTER = "SRV-NEW-02"


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalStack, Path]]:
    directory = tmp_path_factory.mktemp("stack")
    with LocalStack() as stack:
        stack.write_stack_file(directory)
        yield stack, directory


def request(url: str, method: str = "GET", body: Any = None, headers: Any = None) -> Any:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        data = json.dumps(body).encode() if body is not None else None
        connection.request(method, parts.path or "/", body=data, headers=headers or {})
        answer = connection.getresponse()
        return answer.status, answer.headers, answer.read()
    finally:
        connection.close()


def mailbox_messages(described: dict[str, Any], to: str) -> list[dict[str, Any]]:
    # the activation notices only (the customer is also mailed sign-in codes)
    return [m for m in local_mail(described["portal"], to) if "/home.html?history=" in m["text"]]


def wait_for(found: Callable[[], Any]) -> Any:
    return eventually(found, DEADLINE_SECONDS)


def make_activate(directory: Path, computer: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stderr", err)
        code = product.main(
            ["--stack-dir", str(directory), "activate", "--computer", computer], out
        )
    return code, out.getvalue() + err.getvalue()


def test_activating_a_demo_license_on_a_new_computer_mails_the_customer(running) -> None:
    stack, directory = running
    # given the running stack's file: it names the mailbox, and the demo customer's key
    described = read_stack_file(directory)
    assert described["mailbox"] == f"{stack.base_url}/_mailbox/"
    customer = described["demoCustomers"][0]
    assert customer["email"] == demo_data.DEMO_EMAIL
    assert mailbox_messages(described, customer["email"]) == []

    # when the product activates the demo key on a new computer (make activate COMPUTER=...)
    code, said = make_activate(directory, COMPUTER)
    assert code == 0, said
    assert described["mailbox"] in said
    bound = verify(
        (directory / "licenses" / f"{COMPUTER}.lic").read_bytes(),
        load_keys(described["publicKeyFile"]),
        computer_id=COMPUTER,
    )["license"]

    # then an activation notice reaches the customer's mailbox, in her language (French), naming
    # the license and the computer
    (mail,) = wait_for(lambda: mailbox_messages(described, customer["email"]))
    assert mail["to"] == [customer["email"]]
    assert mail["subject"] == f"Licence TSplus {bound['serialNumber']} activée sur {COMPUTER}"
    assert "Camille Martin" in mail["text"] and COMPUTER in mail["text"]
    history = f"{stack.base_url}/home.html?history={bound['id']}"
    assert history in mail["text"] and f'href="{history}"' in mail["html"]

    # when the same computer activates again (the command also refreshes), then no more mail
    assert make_activate(directory, COMPUTER)[0] == 0
    time.sleep(2.0)  # the local stream feeder delivers within a second
    assert len(mailbox_messages(described, customer["email"])) == 1


def test_the_portals_release_mails_a_release_notice(running) -> None:
    stack, directory = running
    described = read_stack_file(directory)
    # given the second demo customer, signed in (the mailed code verified), whose Remote Work
    # license is on SRV-TEST-RWORK
    second = described["demoCustomers"][1]
    client = HttpClient(stack.base_url)
    assert client.sign_in(second["email"], second["orderNumber"]).status_code == 200
    (lic,) = [item for item in client.get_json("/api/licenses")["items"] if item["computerId"]]
    # when they release it from the portal
    assert client.call("POST", f"/api/licenses/{lic['id']}/release").status_code == 200
    # then a release notice naming that computer reaches their mailbox
    (mail,) = wait_for(lambda: mailbox_messages(described, second["email"]))
    assert lic["computerId"] in mail["subject"]
    assert f"/home.html?history={lic['id']}" in mail["text"]
