"""POST /api/upgrades/quotes - a price for adding workstations to one of the customer's licenses."""

from portal import dependencies
from portal.edge import entry, request, responses, session
from portal.edge.contract.upgrades import QuoteOut, QuoteRequest
from portal.edge.resolver import Resolver
from portal.licensing import upgrades
from portal.orders.catalog import default_catalog
from portal.powertools import Response

app = Resolver()


@app.operation(
    "POST",
    "/api/upgrades/quotes",
    returns=QuoteOut,
    status=201,
    description="Created: the quote, valid 24 hours",
    body=QuoteRequest,
    errors=(400, 401, 403, 404, 409, 413, 415),
)
def create_quote() -> Response:
    settings = dependencies.settings()
    session.require_same_origin(app, settings)
    customer_id = session.signed_in_customer(app)
    asked = request.json_body(app, QuoteRequest)
    made = upgrades.quote(
        customer_id,
        asked.license_id,
        asked.additional_workstations,
        store=dependencies.store(),
        catalog=default_catalog(),
        clock=dependencies.clock(),
    )
    return responses.ok(QuoteOut.of(made), status=201)


lambda_handler = entry.http_handler(app)
