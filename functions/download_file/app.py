"""GET /api/licenses/{id}/file and /api/supports/{id}/file - signed .lic downloads."""

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from portal import dependencies
from portal.edge import http
from portal.licensing import licenses, supports
from portal.observability import count, logger, metrics

app = http.resolver()
FILE = {200: {"description": "The signed file", "content": {"application/json": {}}}}


@app.get("/api/licenses/<license_id>/file", responses=http.returns(None, errors=(401, 404)) | FILE)
def license_file(license_id: str) -> Response:
    customer_id = http.signed_in_customer(app)
    name, content = licenses.license_file(
        customer_id,
        license_id,
        store=dependencies.store(),
        settings=dependencies.settings(),
        clock=dependencies.clock(),
    )
    count("LicenseFileDownloaded")
    return http.attachment(name, content)


@app.get("/api/supports/<support_id>/file", responses=http.returns(None, errors=(401, 404)) | FILE)
def support_file(support_id: str) -> Response:
    customer_id = http.signed_in_customer(app)
    name, content = supports.support_file(
        customer_id,
        support_id,
        store=dependencies.store(),
        settings=dependencies.settings(),
        clock=dependencies.clock(),
    )
    count("SupportFileDownloaded")
    return http.attachment(name, content)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return http.handle(app, event, context)
