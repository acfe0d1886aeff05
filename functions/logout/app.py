"""POST /api/auth/logout - deletes the session server-side and clears the cookie."""

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from portal import dependencies
from portal.accounts import sessions
from portal.edge import http
from portal.observability import logger, metrics

app = http.resolver()


@app.post(
    "/api/auth/logout",
    responses=http.returns(None, status=204, description="Signed out", errors=(403,)),
)
def logout() -> Response:
    http.require_same_origin(app, dependencies.settings())
    sessions.sign_out(http.session_token(app), store=dependencies.store())
    return http.ok(None, status=204, cookies=[http.expired_session_cookie()])


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return http.handle(app, event, context)
