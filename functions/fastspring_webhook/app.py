"""POST /api/webhooks/fastspring - FastSpring's order and refund events, HMAC-checked."""

from portal import dependencies
from portal.edge import entry, request, responses
from portal.edge.resolver import Resolver
from portal.fastspring import ingest, webhook
from portal.fastspring.signatures import SIGNATURE_HEADER
from portal.powertools import Response

app = Resolver()


@app.operation(
    "POST",
    "/api/webhooks/fastspring",
    description="Every event committed (their ids, one per line)",
    media_type="text/plain",
    errors=(400, 401, 413),
)
def fastspring_webhook() -> Response:
    answer = webhook.receive(
        request.raw_body(app),
        app.current_event.headers.get(SIGNATURE_HEADER),
        ingest.Context(
            store=dependencies.store(),
            settings=dependencies.settings(),
            clock=dependencies.clock(),
        ),
    )
    return responses.text(answer.body, status=answer.status)


lambda_handler = entry.http_handler(app)
