"""POST /api/upgrades/quotes/{quoteId}/checkout - a FastSpring checkout for exactly that quote."""

from portal import dependencies
from portal.edge import entry, request, responses, session
from portal.edge.contract.upgrades import QUOTE_ID, CheckoutOut
from portal.edge.resolver import Resolver
from portal.fastspring.api import FastSpringApi
from portal.licensing import upgrades
from portal.orders.catalog import default_catalog
from portal.powertools import Response

app = Resolver()


@app.operation(
    "POST",
    "/api/upgrades/quotes/<quote_id>/checkout",
    returns=CheckoutOut,
    parameters=(QUOTE_ID,),
    errors=(401, 403, 404, 409, 410, 503),
)
def checkout(quote_id: str) -> Response:
    settings = dependencies.settings()
    session.require_same_origin(app, settings)
    url = upgrades.checkout(
        session.signed_in_customer(app),
        request.path_value(QUOTE_ID, quote_id),
        store=dependencies.store(),
        settings=settings,
        catalog=default_catalog(),
        clock=dependencies.clock(),
        sessions=FastSpringApi.for_checkout(settings),
    )
    return responses.ok(CheckoutOut(url))


lambda_handler = entry.http_handler(app)
