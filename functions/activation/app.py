"""POST /api/activation/activate and /api/activation/refresh - the product licenses itself with
the customer's activation key (no cookie, no Origin: the product is not a browser)."""

from portal import dependencies
from portal.edge import entry, request, responses
from portal.edge.contract.activation import ActivateRequest, ActivationOut, RefreshRequest
from portal.edge.resolver import Resolver
from portal.licensing import activation
from portal.powertools import Response

app = Resolver()
FAILURES = (400, 401, 409, 410, 413, 415, 429)


@app.operation(
    "POST", "/api/activation/activate", returns=ActivationOut, body=ActivateRequest, errors=FAILURES
)
def activate() -> Response:
    settings = dependencies.settings()
    asked = request.json_body(app, ActivateRequest)
    done = activation.activate(
        asked.activation_key,
        asked.computer_id,
        asked.computer_name,
        asked.product,
        asked.license_id,
        request.client_ip(app, settings),
        store=dependencies.store(),
        settings=settings,
        clock=dependencies.clock(),
    )
    return responses.ok(ActivationOut.of(done))


@app.operation(
    "POST", "/api/activation/refresh", returns=ActivationOut, body=RefreshRequest, errors=FAILURES
)
def refresh() -> Response:
    settings = dependencies.settings()
    asked = request.json_body(app, RefreshRequest)
    done = activation.refresh(
        asked.activation_key,
        asked.computer_id,
        request.client_ip(app, settings),
        store=dependencies.store(),
        settings=settings,
        clock=dependencies.clock(),
    )
    return responses.ok(ActivationOut.of(done))


lambda_handler = entry.http_handler(app)
