"""GET /api/orders/{reference} - one order of the customer with its items."""

from portal import dependencies
from portal.edge import entry, request, responses, session
from portal.edge.contract.orders import REFERENCE, OrderDetailOut
from portal.edge.resolver import Resolver
from portal.orders import orders
from portal.powertools import Response

app = Resolver()


@app.operation(
    "GET",
    "/api/orders/<reference>",
    returns=OrderDetailOut,
    parameters=(REFERENCE,),
    errors=(400, 401, 404),
)
def order_detail(reference: str) -> Response:
    customer_id = session.signed_in_customer(app)
    found = orders.order_detail(
        customer_id, request.path_value(REFERENCE, reference), store=dependencies.store()
    )
    return responses.ok(OrderDetailOut.of(found))


lambda_handler = entry.http_handler(app)
