"""Load run (docs/performance.md, "Load run"; issue 12): the local stack under simulated customers,
FastSpring order batches and the product at once, for a bounded time; then what every customer
saw and what the table holds are checked.

    python bench/load_run.py [--customers 50] [--seconds 60] [--batch-size 100] [--batch-every 20]
    make load [LOAD_ARGS="--seconds 30"]

1. The stack: local/stack.py's LocalStack (no demo data) in a child process of its own (this file
   with --serve), on free loopback ports, so the clients' Python does not share the stack's
   interpreter. The child stops when its stdin closes (the parent ends, however it ends); its
   output goes to test-results/load-run-stack.log.
2. Before the clock starts: seeding the real way, signed FastSpring order.completed batches
   through POST /api/webhooks/fastspring (local/fastspring.py), two orders per customer, each
   customer a distinct email (a TSplus license with a year of support; a Remote Work license);
   what each owns (license, support and order records) is then read from the table. Then one
   more customer of the same kind takes every route once (warm_up): each function's first call
   imports its module, a cold start the figures should not average in.
3. For --seconds, in parallel, each request with a timeout (--timeout, --webhook-timeout):
   - every customer, in a thread of its own, signs in like a person (tests.support.HttpClient:
     login, the code from the stack's mailbox, verify), then browses one whole round at least
     (so that each is served and its isolation checked) and on until the clock runs out: the
     home page's calls (me, preferences, licenses, supports), orders, each order's detail, a
     file (a bound license's, else the support's); every RESIGN_EVERY rounds it signs out and
     in again (a trusted browser now: no code). The customers' mailbox reads are shared
     (SharedMailbox);
   - the product (--products threads) activates each signed-in customer's activation key on a
     computer of its own, then refreshes it; now and then it asks for a second computer, which
     must be answered 409 no_license_available (each customer has one TSplus license);
   - FastSpring delivers a batch of --batch-size new orders (new buyers, two orders each) every
     --batch-every seconds; every second batch (the first, the third...) is delivered again as
     is (same event ids: an automatic retry), every third (the first, the fourth...) re-sent
     with new event ids (a manual re-send).
   After the clock, no new request starts (but a customer's first round); the ones under way
   finish (or time out).
4. Checks: zero errors (an error is an answer outside 2xx that is not the expected one, or an
   exception: timeout, refused connection, a missing sign-in code), zero 5xx; every customer
   served (signed in and browsed); isolation (every record a customer or the product was shown
   belongs to that customer, as seeded; each customer saw all of theirs); exactly once (every
   order sent is in the table once, with exactly the licenses and supports it grants; one
   FSORDER / ORDERREF marker per order, one FSEVENT marker per distinct event id, so the
   re-deliveries added nothing).
5. Report: requests per second, p50 / p95 / p99 per route (method + path template), statuses,
   errors; written to test-results/load-run.json (--results), and its summary printed last as
   one JSON line.
   Exit 0 when every check holds, 1 when one fails, 2 when the watchdog stopped a run that did
   not end by itself (--seconds + WATCHDOG_SLACK seconds after the start).

The local stack runs one handler invocation at a time (local/runner.py), and moto shares its
process: the figures measure one serialised "Lambda" in front of moto, and bound nothing about
AWS.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "layers" / "shared"), str(ROOT)]

import requests  # noqa: E402

from bench.bars import Bar  # noqa: E402
from local import fastspring as fs  # noqa: E402
from local import product  # noqa: E402
from tests.support import HttpClient, table_items  # noqa: E402

RESULTS = ROOT / "test-results" / "load-run.json"  # and the stack's output: load-run-stack.log
STACK_START_SECONDS = 90.0  # the child prints where it listens within this
WATCHDOG_SLACK = 240.0  # start, seeding, warm-up, the last answers, the checks: at most this
RESIGN_EVERY = 2  # rounds between a customer's sign-out and sign-in again
SECOND_COMPUTER_EVERY = 7  # product calls between asking for a second computer
ERROR_SAMPLES = 40
PRODUCT = "TSplus"
MAILBOX_ROUTE = "GET /_mailbox/messages"

# What each SKU of the orders sent grants: (licenses, supports).
GRANTS = {"T-ENT-5": (1, 0), "S1Y-T-ENT-5": (0, 1), "RW-3": (1, 0), "T-ENT-10": (1, 0)}
CUSTOMER_ORDERS = (["T-ENT-5", "S1Y-T-ENT-5"], ["RW-3"])  # each customer's two orders
BUYER_BASKETS = (["T-ENT-5", "S1Y-T-ENT-5"], ["RW-3"], ["T-ENT-10", "T-ENT-5"], ["T-ENT-5"])

_PATH_TEMPLATES = (
    (re.compile(r"^/api/orders/[^/]+$"), "/api/orders/{reference}"),
    (re.compile(r"^/api/licenses/[^/]+/file$"), "/api/licenses/{license_id}/file"),
    (re.compile(r"^/api/supports/[^/]+/file$"), "/api/supports/{support_id}/file"),
)


def route_of(method: str, path: str) -> str:
    """`METHOD /path/{template}`: the path's ids replaced by the template's parameter names."""
    path = path.split("?", 1)[0]
    for pattern, template in _PATH_TEMPLATES:
        if pattern.match(path):
            return f"{method} {template}"
    return f"{method} {path}"


def percentile(ordered: Sequence[float], p: float) -> float:
    """The nearest-rank p-th percentile of ascending `ordered` (not empty)."""
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


# ---------------------------------------------------------------- what happened
@dataclass
class Recorder:
    """Every request's route, status (0: no answer) and time; the errors among them."""

    samples: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    errors: int = 0
    server_errors: int = 0
    error_samples: list[dict[str, Any]] = field(default_factory=list)
    error_kinds: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(
        self,
        route: str,
        status: int,
        seconds: float,
        *,
        expected: Iterable[int] = (),
        detail: str = "",
    ) -> bool:
        """One answer; whether it was a good one (2xx, or one of `expected`)."""
        good = 200 <= status < 300 or status in set(expected)
        with self.lock:
            self.samples[route].append(seconds)
            self.statuses[route][status] += 1
            if status >= 500:
                self.server_errors += 1
            if not good:
                self._error(route, f"{status}", detail)
        return good

    def failed(self, route: str, exc: BaseException, seconds: float) -> None:
        """A request that got no answer (timeout, refused...)."""
        with self.lock:
            self.samples[route].append(seconds)
            self.statuses[route][0] += 1
            self._error(route, type(exc).__name__, str(exc))

    def wrong(self, who: str, what: str) -> None:
        """An error outside a single request (no sign-in code mailed, an unreadable answer)."""
        with self.lock:
            self._error(who, "failed", what)

    def _error(self, route: str, kind: str, detail: str) -> None:
        self.errors += 1
        self.error_kinds[f"{route} {kind}"] += 1
        if len(self.error_samples) < ERROR_SAMPLES:
            at = round(time.monotonic() - self.started, 2)
            self.error_samples.append(
                {"at": at, "route": route, "kind": kind, "detail": detail[:300]}
            )

    def routes(self) -> dict[str, dict[str, Any]]:
        table = {}
        for route in sorted(self.samples):
            ordered = sorted(self.samples[route])
            table[route] = {
                "count": len(ordered),
                "p50_ms": round(percentile(ordered, 50) * 1000, 1),
                "p95_ms": round(percentile(ordered, 95) * 1000, 1),
                "p99_ms": round(percentile(ordered, 99) * 1000, 1),
                "max_ms": round(ordered[-1] * 1000, 1),
                "statuses": {str(s): n for s, n in sorted(self.statuses[route].items())},
            }
        return table


class ClockOut(Exception):
    """The load's time is up: no new request."""


class TimedClient(HttpClient):
    """tests.support.HttpClient (the browser: cookies, Origin, the sign-in with the code mailed to
    the stack's mailbox) with every request timed into a Recorder; its mailbox reads go through
    `mail` when given (one reader for every customer)."""

    def __init__(
        self, base: str, recorder: Recorder, timeout: float, mail: SharedMailbox | None = None
    ) -> None:
        super().__init__(base, timeout=timeout)
        self.recorder = recorder
        self.mail = mail
        self.deadline: float | None = None  # no request starts after it (ClockOut)

    def call(self, method: str, path: str, **kw: Any) -> requests.Response:
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise ClockOut()
        route = route_of(method, path)
        started = time.monotonic()
        try:
            response = super().call(method, path, **kw)
        except requests.RequestException as exc:
            self.recorder.failed(route, exc, time.monotonic() - started)
            raise
        self.recorder.record(
            route, response.status_code, time.monotonic() - started, detail=response.text[:300]
        )
        return response

    def mailbox(self) -> list[dict[str, Any]]:
        return self.mail.messages() if self.mail is not None else super().mailbox()


class SharedMailbox:
    """The stack's mailbox as every simulated customer reads it: at most one read every `every`
    seconds, shared. (Each HttpClient polls the mailbox every 0.2 s while it waits for its code;
    fifty at once would spend the stack's CPU, which they share with the portal, on parsing every
    message ever sent, five times a second each: a cost of the test bench, not of the portal.)"""

    def __init__(self, base: str, recorder: Recorder, timeout: float, every: float = 0.3) -> None:
        self.reader = TimedClient(base, recorder, timeout)
        self.every = every
        self._read_at = -math.inf
        self._messages: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def messages(self) -> list[dict[str, Any]]:
        with self._lock:
            if time.monotonic() - self._read_at >= self.every:
                self._messages = self.reader.mailbox()
                self._read_at = time.monotonic()
            return self._messages


# ---------------------------------------------------------------- the customers
@dataclass
class Customer:
    number: int
    email: str
    references: list[str]  # the orders sent for them; the first one signs in
    customer_id: str = ""
    license_ids: set[str] = field(default_factory=set)  # as the table holds them after seeding
    support_ids: set[str] = field(default_factory=set)
    activation_key: str = ""
    rounds: int = 0
    sign_ins: int = 0
    seen_licenses: set[str] = field(default_factory=set)
    seen_supports: set[str] = field(default_factory=set)
    seen_orders: set[str] = field(default_factory=set)
    violations: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def violation(self, what: str) -> None:
        with self.lock:
            self.violations.append(what)

    def saw_licenses(self, records: list[dict[str, Any]], where: str) -> None:
        for record in records:
            if record.get("id") not in self.license_ids:
                self.violation(f"{where}: license {record.get('id')} is not theirs")
            elif record.get("orderNumber") not in self.references:
                self.violation(f"{where}: license {record['id']} of order {record['orderNumber']}")
            with self.lock:
                self.seen_licenses.add(str(record.get("id")))

    def saw_supports(self, records: list[dict[str, Any]]) -> None:
        for record in records:
            if record.get("id") not in self.support_ids:
                self.violation(f"supports: support {record.get('id')} is not theirs")
            elif record.get("orderNumber") not in self.references:
                self.violation(f"supports: support {record['id']} of order {record['orderNumber']}")
            self.seen_supports.add(str(record.get("id")))

    def saw_order(self, reference: str) -> None:
        if reference not in self.references:
            self.violation(f"orders: order {reference} is not theirs")
        self.seen_orders.add(reference)


def json_of(response: requests.Response) -> Any:
    """The JSON of a 200 answer; None otherwise (the recorder counted it)."""
    return response.json() if response.status_code == 200 else None


def sign_in(client: TimedClient, customer: Customer, recorder: Recorder) -> bool:
    try:
        answer = client.sign_in(customer.email, customer.references[0])
    except AssertionError as exc:  # HttpClient.mailed: no code mailed in time
        recorder.wrong("sign-in", f"{customer.email}: {exc}")
        return False
    if answer.status_code != 200:
        return False  # counted by the recorder
    customer.sign_ins += 1
    return True


def browse(
    client: TimedClient, customer: Customer, keys: KeyBoard | None = None
) -> dict[str, Any] | None:
    """One round: the home page's calls, the orders and each one's detail, a file; what
    GET /api/me answered. The activation key the home page shows goes to `keys` (the product's)
    the first time."""
    me = json_of(client.call("GET", "/api/me"))
    if me is not None and me.get("email") != customer.email:
        customer.violation(f"me: {me.get('email')}")
    if me is not None and keys is not None and not customer.activation_key:
        customer.activation_key = str(me["activationKey"])
        keys.publish(customer)
    client.call("GET", "/api/me/preferences")
    licenses = (json_of(client.call("GET", "/api/licenses")) or {}).get("items", [])
    customer.saw_licenses(licenses, "licenses")
    supports = (json_of(client.call("GET", "/api/supports")) or {}).get("items", [])
    customer.saw_supports(supports)
    orders = json_of(client.call("GET", "/api/orders")) or {}
    for contact in orders.get("contacts", []):
        if contact.get("email") not in (None, customer.email):
            customer.violation(f"orders: contact {contact.get('email')}")
    for order in orders.get("items", []):
        customer.saw_order(str(order.get("reference")))
        detail = json_of(client.call("GET", f"/api/orders/{order.get('reference')}"))
        if detail is not None and detail.get("reference") != order.get("reference"):
            customer.violation(f"order detail: {detail.get('reference')}")
    bound = [lic["id"] for lic in licenses if lic.get("computerId")]
    if bound:
        client.call("GET", f"/api/licenses/{bound[0]}/file")
    elif supports:
        client.call("GET", f"/api/supports/{supports[0]['id']}/file")
    return dict(me) if me is not None else None


def run_customer(
    customer: Customer,
    base: str,
    recorder: Recorder,
    deadline: float,
    timeout: float,
    keys: KeyBoard,
    mail: SharedMailbox,
) -> None:
    client = TimedClient(base, recorder, timeout, mail)
    try:
        if not sign_in(client, customer, recorder):
            return
    except requests.RequestException:
        return  # counted
    while True:  # one whole round at least, then requests until the deadline
        try:
            browse(client, customer, keys)
            customer.rounds += 1
            client.deadline = deadline
            if customer.rounds % RESIGN_EVERY == 0:
                client.call("POST", "/api/auth/logout")
                if not sign_in(client, customer, recorder):
                    return
        except ClockOut:
            return
        except requests.RequestException:
            pass  # counted; the person tries again
        except (ValueError, KeyError, TypeError) as exc:
            recorder.wrong("customer", f"{customer.email}: {exc!r}")
        if time.monotonic() >= deadline:
            return


# ---------------------------------------------------------------- the product
class KeyBoard:
    """The customers whose activation key the product may use (published once signed in)."""

    def __init__(self) -> None:
        self._customers: list[Customer] = []
        self._lock = threading.Lock()

    def publish(self, customer: Customer) -> None:
        with self._lock:
            self._customers.append(customer)

    def snapshot(self) -> list[Customer]:
        with self._lock:
            return list(self._customers)


def product_call(
    api: str,
    path: str,
    body: dict[str, Any],
    customer: Customer,
    recorder: Recorder,
    timeout: float,
    *,
    expected: tuple[int, str] | None = None,
) -> bool:
    """One call of the activation API as the product makes it (local.product.post); whether it
    was answered 200 (or `expected`: (status, error code))."""
    route = f"POST /api{path}"
    started = time.monotonic()
    try:
        answer = product.post(api, path, body, timeout=timeout)
    except product.ActivationFailed as failure:
        seconds = time.monotonic() - started
        if failure.status == 0:
            recorder.failed(route, ConnectionError(failure.portal_message), seconds)
            return False
        wanted = expected is not None and (failure.status, failure.code) == expected
        recorder.record(
            route,
            failure.status,
            seconds,
            expected=(failure.status,) if wanted else (),
            detail=f"{failure.code}: {failure.portal_message}",
        )
        return False
    recorder.record(route, 200, time.monotonic() - started)
    if expected is not None:
        recorder.wrong(route, f"200 where {expected} was due ({customer.email})")
    customer.saw_licenses(answer.licenses, "product")
    return True


def run_product(
    index: int,
    count: int,
    api: str,
    keys: KeyBoard,
    recorder: Recorder,
    deadline: float,
    timeout: float,
) -> None:
    activated: set[int] = set()
    turn = 0
    while time.monotonic() < deadline:
        mine = keys.snapshot()[index::count]
        if not mine:
            time.sleep(0.1)
            continue
        customer = mine[turn % len(mine)]
        turn += 1
        computer = f"LOAD-{customer.number:03d}"
        key = customer.activation_key
        if customer.number not in activated:
            body = product.activate_body(key, computer, computer, PRODUCT)
            if product_call(api, product.ACTIVATE, body, customer, recorder, timeout):
                activated.add(customer.number)
        elif turn % SECOND_COMPUTER_EVERY == 0:
            other = f"{computer}-B"
            body = product.activate_body(key, other, other, PRODUCT)
            product_call(
                api,
                product.ACTIVATE,
                body,
                customer,
                recorder,
                timeout,
                expected=(409, "no_license_available"),
            )
        else:
            body = product.refresh_body(key, computer)
            product_call(api, product.REFRESH, body, customer, recorder, timeout)


# ---------------------------------------------------------------- FastSpring
@dataclass
class Ledger:
    """Every order and event sent through the webhook (the seeding's and the batches')."""

    run: int = field(default_factory=lambda: int.from_bytes(os.urandom(2)) % 10_000)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)  # reference -> order
    events: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)
    batches: int = 0
    redeliveries: int = 0  # the same delivery again (same event ids)
    resends: int = 0  # the same orders with new event ids
    _next: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reference(self) -> str:
        """A distinct order reference in FastSpring's shape (JWTyymmdd-nnnn-nnnnn)."""
        with self.lock:
            self._next += 1
            return f"JWT{datetime.now(UTC):%y%m%d}-{self.run:04d}-{self._next:05d}"

    def order(self, email: str, skus: list[str]) -> dict[str, Any]:
        event = fs.order_completed(email=email, skus=skus, reference=self.reference())
        with self.lock:
            self.orders[event["data"]["reference"]] = event
            self.events.add(event["id"])
            self.emails.add(email)
        return event

    def resent(self, event: dict[str, Any]) -> dict[str, Any]:
        again = {**event, "id": fs.new_id()}
        with self.lock:
            self.events.add(again["id"])
        return again


def deliver(
    url: str, events: list[dict[str, Any]], recorder: Recorder | None, timeout: float
) -> fs.SignedBatch:
    """One signed delivery of `events`; every one must be acknowledged (200 naming each id).
    `recorder` None: seeding, where any other answer stops the run."""
    delivery = fs.signed_batch(*events)
    redeliver(url, delivery, events, recorder, timeout)
    return delivery


def redeliver(
    url: str,
    delivery: fs.SignedBatch,
    events: list[dict[str, Any]],
    recorder: Recorder | None,
    timeout: float,
) -> None:
    route = "POST /api/webhooks/fastspring"
    started = time.monotonic()
    try:
        status, text = fs.post(url, delivery, timeout=timeout)
    except OSError as exc:
        if recorder is None:
            raise
        recorder.failed(route, exc, time.monotonic() - started)
        return
    acknowledged = set(text.split())
    wanted = {event["id"] for event in events}
    if recorder is None:
        if status != 200 or acknowledged != wanted:
            raise RuntimeError(f"seeding: the webhook answered {status} {text[:300]}")
        return
    if recorder.record(route, status, time.monotonic() - started, detail=text[:300]) and (
        acknowledged != wanted
    ):
        recorder.wrong(route, f"{len(wanted - acknowledged)} events not acknowledged")


def run_fastspring(
    url: str,
    ledger: Ledger,
    recorder: Recorder,
    deadline: float,
    *,
    size: int,
    every: float,
    limit: int,
    timeout: float,
) -> None:
    due = time.monotonic() + min(2.0, every)
    while ledger.batches < limit:
        while time.monotonic() < min(due, deadline):
            time.sleep(min(0.1, max(0.0, due - time.monotonic())))
        if time.monotonic() >= deadline:
            return
        due += every
        number = ledger.batches
        events = [
            ledger.order(
                f"load.buyer.{ledger.run:04d}.{number:03d}.{n // 2:03d}@example.com",
                BUYER_BASKETS[n % len(BUYER_BASKETS)],
            )
            for n in range(size)
        ]
        # A batch is sent with its re-delivery and re-send, even past the deadline (two more
        # requests, each bounded by `timeout`): on a busy machine a short run's only batch
        # otherwise ends after the deadline without the re-sends it exists to check.
        delivery = deliver(url, events, recorder, timeout)
        ledger.batches += 1
        if number % 2 == 0:
            redeliver(url, delivery, events, recorder, timeout)
            ledger.redeliveries += 1
        if number % 3 == 0:
            deliver(url, [ledger.resent(event) for event in events], recorder, timeout)
            ledger.resends += 1


# ---------------------------------------------------------------- the stack
class Stack:
    """The local stack in a child process (`--serve`): its portal, moto and table."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.portal = self.moto = self.table = ""

    def start(self) -> Stack:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="load-run-") as folder:
            where = Path(folder) / "stack.json"
            with self.log.open("wb") as log:
                self.process = subprocess.Popen(
                    [sys.executable, __file__, "--serve", str(where)],
                    stdin=subprocess.PIPE,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=ROOT,
                    env={**os.environ, "PYTHONPATH": f"{ROOT / 'layers' / 'shared'}:{ROOT}"},
                )
            deadline = time.monotonic() + STACK_START_SECONDS
            while not where.exists():
                if self.process.poll() is not None:
                    raise RuntimeError(f"the stack did not start: see {self.log}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the stack did not start in {STACK_START_SECONDS} s")
                time.sleep(0.1)
            described = json.loads(where.read_text(encoding="utf-8"))
        self.portal, self.moto, self.table = (
            described["portal"],
            described["aws"],
            described["table"],
        )
        from local import aws  # boto3 here reads the stack's moto (the checks)

        aws.apply_environment(aws.aws_environment(self.moto))
        return self

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()  # the child's cue to stop
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def serve(where: Path) -> int:
    """The child: start the stack, say where it listens (`where`), serve until stdin closes."""
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    from local.stack import LocalStack

    with LocalStack(seed=False) as stack:
        described = {"portal": stack.base_url, "aws": stack.moto_url, "table": stack.table_name}
        partial = where.with_suffix(".partial")
        partial.write_text(json.dumps(described), encoding="utf-8")
        partial.replace(where)
        sys.stdin.buffer.read()  # until the parent closes it, or ends
    return 0


# ---------------------------------------------------------------- seeding and the table
def seed(stack: Stack, ledger: Ledger, count: int, timeout: float) -> list[Customer]:
    """`count` customers, each with its two orders, through signed webhook deliveries; what each
    owns, read back from the table."""
    customers = []
    events = []
    for number in range(count):
        email = f"load.customer.{ledger.run:04d}.{number:03d}@example.com"
        orders = [ledger.order(email, list(skus)) for skus in CUSTOMER_ORDERS]
        events += orders
        references = [order["data"]["reference"] for order in orders]
        customers.append(Customer(number, email, references))
    url = stack.portal + "/api/webhooks/fastspring"
    for start in range(0, len(events), 25):
        deliver(url, events[start : start + 25], None, timeout)
    owner_of: dict[str, str] = {}  # order reference -> customer id
    owned: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for item in table_items(store_of(stack)):
        pk, sk = str(item["pk"]), str(item["sk"])
        if not pk.startswith("CUST#"):
            continue
        customer_id = pk.removeprefix("CUST#")
        kind, _, rest = sk.partition("#")
        owned[customer_id][kind].add(rest)
        if kind == "ORDER":
            owner_of[rest] = customer_id
    for customer in customers:
        ids = {owner_of.get(reference, "") for reference in customer.references}
        if len(ids) != 1 or "" in ids:
            raise RuntimeError(f"seeding: {customer.email}'s orders belong to {ids}")
        customer.customer_id = ids.pop()
        customer.license_ids = set(owned[customer.customer_id]["LIC"])
        customer.support_ids = set(owned[customer.customer_id]["SUP"])
    return customers


def warm_up(stack: Stack, customer: Customer, timeout: float) -> None:
    """One customer of its own through every route once, before the clock starts: each function's
    first invocation imports its module (a cold start), which the figures should not average in.
    Any error here stops the run."""
    recorder = Recorder()
    client = TimedClient(stack.portal, recorder, timeout)
    api = stack.portal + "/api"
    computer = "LOAD-WARM-UP"
    if sign_in(client, customer, recorder):
        me = browse(client, customer) or {}
        key = str(me.get("activationKey"))
        body = product.activate_body(key, computer, computer, PRODUCT)
        product_call(api, product.ACTIVATE, body, customer, recorder, timeout)
        again = product.refresh_body(key, computer)
        product_call(api, product.REFRESH, again, customer, recorder, timeout)
        other = product.activate_body(key, f"{computer}-B", computer, PRODUCT)
        expected = (409, "no_license_available")
        product_call(api, product.ACTIVATE, other, customer, recorder, timeout, expected=expected)
        browse(client, customer)  # a bound license's file now
        client.call("POST", "/api/auth/logout")
        sign_in(client, customer, recorder)
    if recorder.errors or customer.violations:
        raise RuntimeError(f"warm-up failed: {recorder.error_samples} {customer.violations}")


def store_of(stack: Stack) -> Any:
    """The portal's Store on the stack's table, through a client of the checks' own: a Scan of a
    big table in moto takes longer than the portal's read timeout."""
    import boto3
    from botocore.config import Config

    from portal.data.store import Store

    config = Config(read_timeout=120, retries={"mode": "standard", "max_attempts": 2})
    client = boto3.client("dynamodb", config=config)
    return Store(stack.table, client=lambda: client)


def isolation(customers: list[Customer]) -> dict[str, Any]:
    """Every record shown was the customer's own, and each customer who browsed saw all of
    theirs (a customer never served makes the claim empty for them: `served` counts them)."""
    violations = [f"{c.email}: {v}" for c in customers for v in c.violations]
    incomplete = [
        c.email
        for c in customers
        if c.rounds
        and (
            c.seen_licenses != c.license_ids
            or c.seen_supports != c.support_ids
            or c.seen_orders != set(c.references)
        )
    ]
    owners = Counter(c.customer_id for c in customers)
    shared = [owner for owner, n in owners.items() if n > 1]
    browsed = sum(1 for c in customers if c.rounds)
    return {
        "holds": not violations and not incomplete and not shared,
        "every_customer_served": browsed == len(customers),
        "customers": len(customers),
        "customers_who_browsed": browsed,
        "rounds": sum(c.rounds for c in customers),
        "sign_ins": sum(c.sign_ins for c in customers),
        "records_seen": sum(
            len(c.seen_licenses) + len(c.seen_supports) + len(c.seen_orders) for c in customers
        ),
        "violations": violations[:ERROR_SAMPLES],
        "violation_count": len(violations),
        "incomplete": incomplete[:ERROR_SAMPLES],
        "shared_customer_ids": shared,
    }


def grants(order: dict[str, Any]) -> tuple[int, int]:
    skus = [item["sku"] for item in order["data"]["items"]]
    return sum(GRANTS[s][0] for s in skus), sum(GRANTS[s][1] for s in skus)


def exactly_once(items: list[dict[str, Any]], ledger: Ledger) -> dict[str, Any]:
    """Every order sent is in the table (`items`: every item of it) once, with what it grants;
    one marker per order and per distinct event id; nothing else."""
    kinds = Counter(str(item["pk"]).split("#", 1)[0] for item in items)
    orders = Counter(
        str(item["sk"]).removeprefix("ORDER#")
        for item in items
        if str(item["sk"]).startswith("ORDER#")
    )
    granted = Counter(
        (str(item.get("orderNumber")), str(item["sk"])[:4])
        for item in items
        if str(item["sk"]).startswith(("LIC#", "SUP#"))
    )
    fastspring_ids = {
        str(item["pk"]).removeprefix("FSORDER#")
        for item in items
        if str(item["pk"]).startswith("FSORDER#")
    }
    faults = []
    for reference, order in ledger.orders.items():
        licenses, supports = grants(order)
        if orders[reference] != 1:
            faults.append(f"{reference}: {orders[reference]} order items")
        if granted[(reference, "LIC#")] != licenses or granted[(reference, "SUP#")] != supports:
            found = (granted[(reference, "LIC#")], granted[(reference, "SUP#")])
            faults.append(f"{reference}: {found} licenses/supports, {licenses, supports} due")
    unknown = set(orders) - set(ledger.orders)
    sent_ids = {order["data"]["id"] for order in ledger.orders.values()}
    counts = {
        "orders_sent": len(ledger.orders),
        "order_items": sum(orders.values()),
        "fsorder_markers": kinds["FSORDER"],
        "orderref_markers": kinds["ORDERREF"],
        "event_ids_sent": len(ledger.events),
        "fsevent_markers": kinds["FSEVENT"],
        "emails_sent": len(ledger.emails),
        "email_items": kinds["EMAIL"],
        "licenses_due": sum(grants(o)[0] for o in ledger.orders.values()),
        "supports_due": sum(grants(o)[1] for o in ledger.orders.values()),
        "licenses_found": sum(n for (_, kind), n in granted.items() if kind == "LIC#"),
        "supports_found": sum(n for (_, kind), n in granted.items() if kind == "SUP#"),
    }
    holds = (
        not faults
        and not unknown
        and fastspring_ids == sent_ids
        and counts["order_items"] == counts["orders_sent"] == counts["orderref_markers"]
        and counts["fsevent_markers"] == counts["event_ids_sent"]
        and counts["email_items"] == counts["emails_sent"]
        and counts["licenses_found"] == counts["licenses_due"]
        and counts["supports_found"] == counts["supports_due"]
    )
    return {
        "holds": holds,
        **counts,
        "batches": ledger.batches,
        "redeliveries": ledger.redeliveries,
        "resends_with_new_event_ids": ledger.resends,
        "faults": faults[:ERROR_SAMPLES] + [f"unknown order {r}" for r in sorted(unknown)][:10],
    }


# ---------------------------------------------------------------- the run
def load(args: argparse.Namespace, stack: Stack) -> dict[str, Any]:
    ledger = Ledger()
    seeding = time.monotonic()
    *customers, warm = seed(stack, ledger, args.customers + 1, args.webhook_timeout)
    seeded_in = time.monotonic() - seeding
    seeded_orders = len(ledger.orders)
    warming = time.monotonic()
    warm_up(stack, warm, args.timeout)
    warmed_in = time.monotonic() - warming
    recorder = Recorder()
    keys = KeyBoard()
    deadline = recorder.started + args.seconds
    api = stack.portal + "/api"
    webhook = stack.portal + "/api/webhooks/fastspring"
    timeout = args.timeout
    mail = SharedMailbox(stack.portal, recorder, timeout)
    threads = [
        threading.Thread(
            target=run_customer,
            args=(c, stack.portal, recorder, deadline, timeout, keys, mail),
            name=f"customer-{c.number}",
            daemon=True,
        )
        for c in customers
    ]
    threads += [
        threading.Thread(
            target=run_product,
            args=(i, args.products, api, keys, recorder, deadline, timeout),
            name=f"product-{i}",
            daemon=True,
        )
        for i in range(args.products)
    ]
    batches = {
        "size": args.batch_size,
        "every": args.batch_every,
        "limit": args.batches,
        "timeout": args.webhook_timeout,
    }
    threads.append(
        threading.Thread(
            target=run_fastspring,
            args=(webhook, ledger, recorder, deadline),
            kwargs=batches,
            name="fastspring",
            daemon=True,
        )
    )
    for thread in threads:
        thread.start()
    drained = deadline + max(args.timeout, args.webhook_timeout) + 5  # the last answers
    for thread in threads:
        thread.join(timeout=max(0.0, drained - time.monotonic()))
    elapsed = time.monotonic() - recorder.started
    hung = [thread.name for thread in threads if thread.is_alive()]
    if hung:
        recorder.wrong("run", f"still busy after the deadline: {', '.join(hung[:10])}")
    routes = recorder.routes()
    portal_requests = sum(r["count"] for name, r in routes.items() if name != MAILBOX_ROUTE)
    every_request = sum(r["count"] for r in routes.values())
    checking = time.monotonic()
    isolated = isolation(customers)
    once = exactly_once(table_items(store_of(stack)), ledger)
    checked_in = time.monotonic() - checking
    checks = {
        "zero_errors": recorder.errors == 0,
        "zero_5xx": recorder.server_errors == 0,
        "every_customer_served": isolated["every_customer_served"],
        "isolation": isolated,
        "exactly_once": once,
    }
    ok = bool(
        recorder.errors == 0 and recorder.server_errors == 0 and isolated["holds"] and once["holds"]
    )
    return {
        "bench": "load_run",
        "ok": ok,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "config": {
            "customers": args.customers,
            "seconds": args.seconds,
            "products": args.products,
            "batch_size": args.batch_size,
            "batch_every_s": args.batch_every,
            "batches_limit": args.batches,
            "timeout_s": args.timeout,
            "webhook_timeout_s": args.webhook_timeout,
        },
        "seeding_s": round(seeded_in, 2),
        "warm_up_s": round(warmed_in, 2),
        "load_s": round(elapsed, 2),
        "checks_s": round(checked_in, 2),
        "requests": every_request,
        "portal_requests": portal_requests,
        "requests_per_s": round(portal_requests / elapsed, 1),
        "orders_sent_during_load": len(ledger.orders) - seeded_orders,
        "errors": recorder.errors,
        "server_errors_5xx": recorder.server_errors,
        "error_kinds": dict(recorder.error_kinds.most_common(20)),
        "error_samples": recorder.error_samples,
        "checks": checks,
        "routes": routes,
    }


def machine() -> str:
    cores = os.cpu_count() or 0
    try:
        load1 = f", load {os.getloadavg()[0]:.1f} at the end"
    except OSError:
        load1 = ""
    return (
        f"{platform.machine()} {cores} cores, Python {platform.python_version()},"
        f" {platform.system()}{load1}"
    )


def summary(report: dict[str, Any], results: Path) -> dict[str, Any]:
    """The one-line result: the figures a table of bars needs."""
    checks = report.get("checks", {})
    return {
        "bench": "load_run",
        "ok": report["ok"],
        "requests_per_s": report.get("requests_per_s"),
        "requests": report.get("portal_requests"),
        "load_s": report.get("load_s"),
        "total_s": report.get("total_s"),
        "errors": report.get("errors"),
        "server_errors_5xx": report.get("server_errors_5xx"),
        "isolation": checks.get("isolation", {}).get("holds"),
        "every_customer_served": checks.get("every_customer_served"),
        "exactly_once": checks.get("exactly_once", {}).get("holds"),
        "p50_p95_p99_ms": {
            route: [r["p50_ms"], r["p95_ms"], r["p99_ms"]]
            for route, r in report.get("routes", {}).items()
        },
        "results": str(results),
        **({"reason": report["reason"]} if "reason" in report else {}),
    }


def print_report(report: dict[str, Any]) -> None:
    checks = report["checks"]
    print(
        f"load run, {report['date']}, {report['machine']}: {report['config']['customers']}"
        f" customers, {report['config']['products']} product threads, FastSpring batches of"
        f" {report['config']['batch_size']} every {report['config']['batch_every_s']} s;"
        f" stack started in {report['stack_start_s']} s, seeded in {report['seeding_s']} s,"
        f" warmed up in {report['warm_up_s']} s; checks {report['checks_s']} s, the whole run"
        f" {report['total_s']} s"
    )
    print(
        f"  {report['portal_requests']} portal requests in {report['load_s']} s ="
        f" {report['requests_per_s']} requests/s (+ the local mailbox's reads);"
        f" {report['orders_sent_during_load']} orders sent during the load"
    )
    print(f"  {'route':44s} {'count':>6s} {'p50 ms':>8s} {'p95 ms':>8s} {'p99 ms':>8s}  statuses")
    for route, r in report["routes"].items():
        statuses = " ".join(f"{s}:{n}" for s, n in r["statuses"].items())
        print(
            f"  {route:44s} {r['count']:6d} {r['p50_ms']:8.1f} {r['p95_ms']:8.1f}"
            f" {r['p99_ms']:8.1f}  {statuses}"
        )
    verdict = {True: "PASS", False: "FAIL"}
    print(f"  errors {report['errors']} {verdict[checks['zero_errors']]}", end="; ")
    print(f"5xx {report['server_errors_5xx']} {verdict[checks['zero_5xx']]}")
    for sample in report["error_samples"][:10]:
        print(f"    {sample}")
    iso, once = checks["isolation"], checks["exactly_once"]
    print(
        f"  every customer served {verdict[iso['every_customer_served']]}:"
        f" {iso['customers_who_browsed']}/{iso['customers']} signed in and browsed;"
        f" {iso['rounds']} rounds, {iso['sign_ins']} sign-ins"
    )
    print(
        f"  isolation {verdict[iso['holds']]}: {iso['records_seen']} distinct records seen,"
        f" {iso['violation_count']} not the customer's, {len(iso['incomplete'])} customers"
        " missing one of theirs"
    )
    for violation in iso["violations"][:10]:
        print(f"    {violation}")
    print(
        f"  exactly once {verdict[once['holds']]}: {once['orders_sent']} orders sent"
        f" ({once['batches']} batches, {once['redeliveries']} re-delivered, "
        f"{once['resends_with_new_event_ids']} re-sent with new ids) -> {once['order_items']}"
        f" orders, {once['fsorder_markers']} FSORDER, {once['orderref_markers']} ORDERREF,"
        f" {once['fsevent_markers']}/{once['event_ids_sent']} FSEVENT, licenses"
        f" {once['licenses_found']}/{once['licenses_due']}, supports"
        f" {once['supports_found']}/{once['supports_due']}"
    )
    for fault in once["faults"][:10]:
        print(f"    {fault}")


def _ms(value: float) -> str:
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def bars(report: dict[str, Any]) -> list[Bar]:
    """The rows of `python -m bench`'s table from a report (what main writes to --results):
    requests per second and each route's p50 / p95 / p99 recorded; zero errors, zero 5xx, every
    customer served, isolation and exactly once checked. A run that did not finish is one miss."""
    if "checks" not in report:
        reason = str(report.get("reason", "no report"))
        return [Bar("load run", "ends by itself, every check holding", reason, "miss")]
    checks, config = report["checks"], report["config"]
    iso, once = checks["isolation"], checks["exactly_once"]
    rows = [
        Bar(
            "load: portal requests per second",
            "recorded",
            f"{report['requests_per_s']} /s ({report['portal_requests']} in {report['load_s']} s;"
            f" {config['customers']} customers, {config['products']} product threads)",
            "recorded",
        )
    ]
    rows += [
        Bar(
            f"load: {route}",
            "p50 / p95 / p99, recorded",
            f"{_ms(r['p50_ms'])} / {_ms(r['p95_ms'])} / {_ms(r['p99_ms'])} ms ({r['count']} calls)",
            "recorded",
        )
        for route, r in report["routes"].items()
    ]
    rows += [
        Bar.check("load: errors", "0", str(report["errors"]), checks["zero_errors"]),
        Bar.check("load: 5xx answers", "0", str(report["server_errors_5xx"]), checks["zero_5xx"]),
        Bar.check(
            "load: every customer served",
            "every one signed in and browsed",
            f"{iso['customers_who_browsed']}/{iso['customers']}",
            checks["every_customer_served"],
        ),
        Bar.check(
            "load: isolation",
            "each sees only and all of their own records",
            f"{iso['records_seen']} records seen, {iso['violation_count']} not theirs,"
            f" {len(iso['incomplete'])} customers missing one",
            iso["holds"],
        ),
        Bar.check(
            "load: exactly once",
            "every order ingested once",
            f"{once['orders_sent']} orders sent -> {once['order_items']} orders,"
            f" FSEVENT {once['fsevent_markers']}/{once['event_ids_sent']}",
            once["holds"],
        ),
    ]
    return rows


def write(report: dict[str, Any], results: Path) -> None:
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(summary(report, results), separators=(",", ":")), flush=True)


def arm_watchdog(seconds: float, stack: Stack, results: Path) -> None:
    """Ends the whole run after `seconds`, whatever hangs."""

    def fire() -> None:
        report = {"ok": False, "reason": f"watchdog: the run did not end within {seconds:.0f} s"}
        try:
            if stack.process is not None:
                stack.process.kill()
            write(report, results)
        finally:
            os._exit(2)

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0, help="of load (at most 60)")
    parser.add_argument("--products", type=int, default=4, help="product threads")
    parser.add_argument("--batch-size", type=int, default=100, help="orders per FastSpring batch")
    parser.add_argument("--batch-every", type=float, default=20.0, help="seconds between batches")
    parser.add_argument("--batches", type=int, default=1000, help="at most this many batches")
    parser.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        help="seconds, every portal request (API Gateway's own limit: beyond, AWS answers 504)",
    )
    parser.add_argument(
        "--webhook-timeout",
        type=float,
        default=60.0,
        help="seconds, every FastSpring delivery (a batch is one invocation of its whole length)",
    )
    parser.add_argument(
        "--results", type=Path, default=RESULTS, help=f"default {RESULTS.relative_to(ROOT)}"
    )
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)  # the child
    args = parser.parse_args(argv)
    if args.serve:
        return serve(args.serve)
    if not 0 < args.seconds <= 60 or args.customers < 1 or args.batch_size < 1:
        parser.error("--seconds must be in (0, 60], --customers and --batch-size at least 1")
    results = args.results.resolve()
    stack = Stack(results.with_name(f"{results.stem}-stack.log"))
    arm_watchdog(args.seconds + WATCHDOG_SLACK, stack, results)
    began = time.monotonic()
    try:
        stack.start()
        started_in = time.monotonic() - began
        report = load(args, stack)
    except Exception as exc:  # noqa: BLE001 - reported as a failed run, with its cause
        traceback.print_exc()
        write({"ok": False, "reason": f"{type(exc).__name__}: {exc}"[:500]}, results)
        return 1
    finally:
        stack.stop()
    report["stack_start_s"] = round(started_in, 2)
    report["total_s"] = round(time.monotonic() - began, 2)
    print_report(report)
    write(report, results)
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
