"""GET /api/orders/{reference} - one order of the customer with its items."""

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from portal import dependencies
from portal.edge import http
from portal.edge.contract.orders import OrderDetailOut
from portal.observability import logger, metrics
from portal.orders import orders

app = http.resolver()


@app.get("/api/orders/<reference>", responses=http.returns(OrderDetailOut, errors=(400, 401, 404)))
def order_detail(reference: str) -> Response:
    customer_id = http.signed_in_customer(app)
    found = orders.order_detail(
        customer_id, http.order_reference(reference), store=dependencies.store()
    )
    return http.ok(OrderDetailOut.of(found))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return http.handle(app, event, context)
