"""GET /api/orders - billing details, contacts and the customer's orders, newest first."""

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from portal import dependencies
from portal.data.cursors import PageQuery
from portal.edge import http
from portal.edge.contract.orders import OrdersPageOut
from portal.observability import logger, metrics
from portal.orders import orders

app = http.resolver()


@app.get("/api/orders", responses=http.returns(OrdersPageOut))
@http.documents(query=PageQuery)
def list_orders() -> Response:
    customer_id = http.signed_in_customer(app)
    page = orders.list_orders(customer_id, http.page_query(app), store=dependencies.store())
    return http.ok(OrdersPageOut.of(page))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return http.handle(app, event, context)
