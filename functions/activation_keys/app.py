"""GET /api/activation/keys - the public keys that verify license files, by key id."""

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from portal import dependencies
from portal.edge import http
from portal.edge.contract.keys import PublicKeysOut
from portal.licensing import license_files
from portal.observability import logger, metrics

app = http.resolver()


@app.get("/api/activation/keys", responses=http.returns(PublicKeysOut, errors=()))
def activation_keys() -> Response:
    keys = license_files.public_keys(dependencies.settings())
    return http.ok(PublicKeysOut.of(keys))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return http.handle(app, event, context)
