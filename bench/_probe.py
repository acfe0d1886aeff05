"""One cold start, in the fresh `python -I` process bench/cold_init.py starts for it.

    python -I bench/_probe.py SPEC.json

SPEC names the mode, the handler (none: the baseline) and the files. Two modes:

- record: import the handler and serve the event against the local stack (AWS_ENDPOINT_URL points
  at its moto server); every AWS answer the handler gets is written, in order, to the answers file.
- replay: the measured cold start. The clock starts before anything AWS is imported; the handler
  is imported, builds its clients and serves the same event while botocore's `Stubber`, attached
  to each client as botocore creates it, answers every call with the recorded answer. The clock
  stops when the handler returns. The baseline does the same with `import boto3`, a DynamoDB client
  and one GetItem. Then it checks that the handler took the recorded path (same status, every
  recorded answer used, no call left unanswered) and prints one JSON line.

The portal's clock reads the recording's time during a replay, so a code, quote or link that was
fresh when recorded is still fresh however long the rounds run. Only the standard library is
imported before the clock starts (json, pickle, time: loaded by the interpreter or the probe
itself, the same in every process).
"""

from __future__ import annotations

import json
import pickle
import sys
import time


class Context:
    function_name = "cold-start-probe"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:cold-start-probe"
    aws_request_id = "00000000-0000-0000-0000-000000000001"
    log_group_name = "/aws/lambda/cold-start-probe"
    log_stream_name = "probe"

    @staticmethod
    def get_remaining_time_in_millis():
        return 10_000


def _hook_clients(on_client):
    """Call on_client(client) for every botocore client, however the code builds it."""
    from botocore.client import ClientCreator

    create = ClientCreator.create_client

    def create_client(self, *args, **kwargs):
        client = create(self, *args, **kwargs)
        on_client(client)
        return client

    ClientCreator.create_client = create_client  # type: ignore[method-assign]  # the probe hooks every client


def _recorder(answers):
    def on_client(client):
        service = client.meta.service_model.service_name

        def after_call(http_response, parsed, model, **_):
            answers.append((service, model.name, parsed))

        client.meta.events.register("after-call", after_call)

    return on_client


def _stubber(answers, stubbers, queues):
    from botocore import xform_name
    from botocore.stub import Stubber

    for service, operation, parsed in answers:
        queues.setdefault(service, []).append((operation, parsed))

    def on_client(client):
        service = client.meta.service_model.service_name
        stubber = Stubber(client)
        for operation, parsed in queues.pop(service, []):
            method, error = xform_name(operation), parsed.get("Error")
            if error:  # the service refused: the same ClientError again
                stubber.add_client_error(
                    method,
                    service_error_code=error.get("Code", ""),
                    service_message=error.get("Message", ""),
                    http_status_code=parsed["ResponseMetadata"]["HTTPStatusCode"],
                )
                continue
            answer = {k: v for k, v in parsed.items() if k != "ResponseMetadata"}
            stubber.add_response(method, answer)
        stubber.activate()
        stubbers.append(stubber)

    return on_client


def _freeze_clock(at):
    from datetime import datetime

    from portal import clock

    frozen = datetime.fromisoformat(at)
    clock.SystemClock.now = lambda self: frozen  # type: ignore[method-assign]  # recorded time


def _serve(spec):
    """The handler's import, its clients and its first invocation (or the baseline's)."""
    if not spec["app"]:
        import boto3

        client = boto3.client("dynamodb")
        client.get_item(**spec["baseline_request"])
        return 200
    import importlib.util

    app = spec["app"]
    sys.path[:0] = [app.rsplit("/", 1)[0], spec["layer"]]
    if spec.get("clock"):
        _freeze_clock(spec["clock"])
    module_spec = importlib.util.spec_from_file_location("app", app)
    assert module_spec is not None and module_spec.loader is not None, app
    module = importlib.util.module_from_spec(module_spec)
    sys.modules["app"] = module
    module_spec.loader.exec_module(module)
    with open(spec["event"], encoding="utf-8") as file:
        event = json.load(file)
    answer = getattr(module, spec["attribute"])(event, Context())
    if not isinstance(answer, dict):
        return 200
    if answer.get("statusCode", 200) >= 400:
        print(str(answer.get("body"))[:500], file=sys.stderr)  # why, if the replay strays
    return answer.get("statusCode", 200)


def main():
    with open(sys.argv[1], encoding="utf-8") as file:
        spec = json.load(file)
    if spec["mode"] == "record":
        from datetime import UTC, datetime

        answers: list[tuple[str, str, dict]] = []
        spec["clock"] = None
        at = datetime.now(UTC).isoformat()
        _hook_clients(_recorder(answers))
        status = _serve(spec)
        with open(spec["answers"], "wb") as file:
            pickle.dump({"answers": answers, "status": status, "at": at}, file)
        print(json.dumps({"status": status, "calls": [a[:2] for a in answers]}))
        return

    with open(spec["answers"], "rb") as file:
        recorded = pickle.load(file)  # noqa: S301 - our own file, written by record mode
    spec["clock"] = recorded["at"]
    stubbers: list = []
    unclaimed: dict[str, list] = {}
    cpu, wall = time.process_time(), time.perf_counter()
    _hook_clients(_stubber(recorded["answers"], stubbers, unclaimed))
    status = _serve(spec)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    # The replay took the recorded path: same answer, every recorded AWS answer used.
    if status != recorded["status"]:
        raise SystemExit(f"replay answered {status}, the recording {recorded['status']}")
    if unclaimed:
        raise SystemExit(f"no client asked for the recorded answers of {sorted(unclaimed)}")
    for stubber in stubbers:
        stubber.assert_no_pending_responses()
    print(
        json.dumps(
            {
                "cpu_ms": cpu * 1000,
                "wall_ms": wall * 1000,
                "status": status,
                "clients": len(stubbers),
                "modules": sorted(sys.modules),
            }
        )
    )


main()
