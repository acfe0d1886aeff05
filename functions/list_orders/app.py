"""GET /api/orders - billing details, contacts and the customer's orders, newest first."""

from portal import dependencies
from portal.data.cursors import PageQuery
from portal.edge import entry, request, responses, session
from portal.edge.contract.orders import OrdersPageOut
from portal.edge.resolver import Resolver
from portal.orders import orders
from portal.powertools import Response

app = Resolver()


@app.operation("GET", "/api/orders", returns=OrdersPageOut, query=PageQuery)
def list_orders() -> Response:
    customer_id = session.signed_in_customer(app)
    page = orders.list_orders(
        customer_id,
        request.page_query(app),
        store=dependencies.store(),
        cursors=dependencies.cursors(),
    )
    return responses.ok(OrdersPageOut.of(page))


lambda_handler = entry.http_handler(app)
