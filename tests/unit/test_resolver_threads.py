"""portal.edge.resolver: two requests served at once by one resolver, from two threads, each see
their own event, path parameters and route context (Powertools keeps them on shared state: the
race tests and a threaded server would otherwise read each other's request)."""

from __future__ import annotations

import copy
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from portal.edge.resolver import Resolver
from portal.powertools import Response
from tests.support import Context, sample_event


def request(reference: str, note: str) -> dict[str, Any]:
    ev = copy.deepcopy(sample_event("order_detail"))
    ev["rawPath"] = ev["requestContext"]["http"]["path"] = f"/api/orders/{reference}"
    ev["pathParameters"] = {"reference": reference}
    ev["rawQueryString"] = f"note={note}"
    ev["queryStringParameters"] = {"note": note}
    ev["body"] = json.dumps({"note": note})
    return ev


def test_two_requests_at_once_each_see_their_own():
    # given one resolver whose route waits inside until both requests are in it
    app = Resolver()
    both_inside = threading.Barrier(2, timeout=10)

    @app.get("/api/orders/<reference>")
    def order(reference: str) -> Response:
        both_inside.wait()  # the other request has been resolved meanwhile
        seen = {
            "argument": reference,
            "path": app.current_event.path,
            "parameters": app.current_event.path_parameters,
            "query": app.current_event.query_string_parameters,
            "body": app.current_event.json_body,
            "route_args": app.context.get("_route_args"),
            "context": app.lambda_context.aws_request_id,
        }
        return Response(200, "application/json", json.dumps(seen))

    class Ctx(Context):
        def __init__(self, request_id: str) -> None:
            self.aws_request_id = request_id

    # when two requests are served at once, from two threads
    def serve(n: int) -> dict[str, Any]:
        answer = app.resolve(request(f"ORDER-{n}", f"note-{n}"), Ctx(f"request-{n}"))
        return json.loads(answer["body"])

    with ThreadPoolExecutor(max_workers=2) as pool:
        seen = list(pool.map(serve, [1, 2]))

    # then each saw its own request, nothing of the other
    for n, got in zip([1, 2], seen, strict=True):
        assert got == {
            "argument": f"ORDER-{n}",
            "path": f"/api/orders/ORDER-{n}",
            "parameters": {"reference": f"ORDER-{n}"},
            "query": {"note": f"note-{n}"},
            "body": {"note": f"note-{n}"},
            "route_args": {"reference": f"ORDER-{n}"},
            "context": f"request-{n}",
        }


def test_a_thread_starts_with_no_request_of_another():
    # given a request being served on this thread
    app = Resolver()
    mine: Any = "this thread's"
    app.current_event = mine
    app.context["key"] = "this thread's"

    # when another thread looks at the resolver
    with ThreadPoolExecutor(max_workers=1) as pool:
        other = pool.submit(lambda: (app.current_event, dict(app.context))).result()

    # then it sees nothing of this thread's request
    assert other == (None, {})
    assert app.current_event == "this thread's"
