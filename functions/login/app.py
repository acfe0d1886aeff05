"""POST /api/auth/login - sign in with email + any order number; sets the session cookie."""

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from portal import dependencies
from portal.accounts import sign_in
from portal.edge import http
from portal.edge.contract.sign_in import CustomerSummary, LoginRequest, LoginResponse
from portal.observability import logger, metrics

app = http.resolver()


@app.post(
    "/api/auth/login", responses=http.returns(LoginResponse, errors=(400, 401, 403, 413, 415, 429))
)
@http.documents(body=LoginRequest)
def login() -> Response:
    settings = dependencies.settings()
    http.require_same_origin(app, settings)
    request = http.json_body(app, LoginRequest)
    signed = sign_in.sign_in(
        request.email,
        request.order_number,
        http.client_ip(app, settings),
        store=dependencies.store(),
        settings=settings,
        clock=dependencies.clock(),
    )
    customer = CustomerSummary(email=signed.email, name=signed.name, language=signed.language)
    return http.ok(
        LoginResponse(customer=customer), cookies=[http.session_cookie(signed.token, settings)]
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return http.handle(app, event, context)
