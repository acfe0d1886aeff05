"""GET /api/supports - the customer's support contracts, newest first, cursor-paginated."""

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from portal import dependencies
from portal.data.cursors import PageQuery
from portal.edge import http
from portal.edge.contract.licenses import SupportPage
from portal.licensing import supports
from portal.observability import logger, metrics

app = http.resolver()


@app.get("/api/supports", responses=http.returns(SupportPage))
@http.documents(query=PageQuery)
def list_supports() -> Response:
    customer_id = http.signed_in_customer(app)
    page = supports.list_supports(customer_id, http.page_query(app), store=dependencies.store())
    return http.ok(SupportPage.of(page))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return http.handle(app, event, context)
