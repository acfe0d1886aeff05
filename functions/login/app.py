"""POST /api/auth/login - sign in with email + any order number; sets the session cookie."""

from aws_lambda_powertools.event_handler import Response

from portal import dependencies
from portal.accounts import sign_in
from portal.edge import entry, request, responses, session
from portal.edge.contract.sign_in import CustomerSummary, LoginRequest, LoginResponse
from portal.edge.resolver import Resolver

app = Resolver()


@app.operation(
    "POST",
    "/api/auth/login",
    returns=LoginResponse,
    body=LoginRequest,
    errors=(400, 401, 403, 413, 415, 429),
)
def login() -> Response:
    settings = dependencies.settings()
    session.require_same_origin(app, settings)
    login_request = request.json_body(app, LoginRequest)
    signed = sign_in.sign_in(
        login_request.email,
        login_request.order_number,
        request.client_ip(app, settings),
        store=dependencies.store(),
        settings=settings,
        clock=dependencies.clock(),
    )
    customer = CustomerSummary(email=signed.email, name=signed.name, language=signed.language)
    return responses.ok(
        LoginResponse(customer=customer), cookies=[session.session_cookie(signed.token, settings)]
    )


lambda_handler = entry.http_handler(app)
