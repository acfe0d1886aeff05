"""POST /api/webhooks/fastspring - FastSpring's order and refund events, HMAC-checked."""

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from portal import dependencies
from portal.edge import http
from portal.fastspring import ingest, webhook
from portal.fastspring.signatures import SIGNATURE_HEADER
from portal.observability import logger, metrics

app = http.resolver()


@app.post(
    "/api/webhooks/fastspring",
    responses=http.returns(None, description="Every event committed", errors=(400, 401, 413)),
)
def fastspring_webhook() -> Response:
    event = app.current_event
    answer = webhook.receive(
        http.raw_body(app),
        event.headers.get(SIGNATURE_HEADER),
        ingest.Context(
            store=dependencies.store(),
            settings=dependencies.settings(),
            clock=dependencies.clock(),
        ),
    )
    return Response(status_code=answer.status, content_type="text/plain", body=answer.body)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return http.handle(app, event, context)
