"""GET /api/me - the signed-in customer and their activation key."""

from portal import dependencies
from portal.accounts import customers
from portal.edge import entry, responses, session
from portal.edge.contract.me import MeResponse
from portal.edge.resolver import Resolver
from portal.powertools import Response

app = Resolver()


@app.operation("GET", "/api/me", returns=MeResponse)
def me() -> Response:
    customer_id = session.signed_in_customer(app)
    found = customers.me(customer_id, store=dependencies.store(), settings=dependencies.settings())
    return responses.ok(MeResponse.of(found))


lambda_handler = entry.http_handler(app)
