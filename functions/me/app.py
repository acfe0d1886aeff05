"""GET /api/me - the signed-in customer and their activation key."""

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from portal import dependencies
from portal.accounts import customers
from portal.edge import http
from portal.edge.contract.sign_in import MeResponse
from portal.observability import logger, metrics

app = http.resolver()


@app.get("/api/me", responses=http.returns(MeResponse))
def me() -> Response:
    customer_id = http.signed_in_customer(app)
    found = customers.me(customer_id, store=dependencies.store(), settings=dependencies.settings())
    return http.ok(MeResponse.of(found))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return http.handle(app, event, context)
