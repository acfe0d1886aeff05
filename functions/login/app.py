"""POST /api/auth/login - sign in with email + any order number: from a browser trusted for that
customer, the session cookie; from any other, a pending-sign-in cookie and a mailed code (202,
then POST /api/auth/verify: functions/verify_code)."""

from portal import dependencies
from portal.accounts import sign_in
from portal.edge import entry, request, responses, session
from portal.edge.contract.sign_in import (
    CustomerSummary,
    LoginRequest,
    LoginResponse,
    PendingResponse,
)
from portal.edge.resolver import Resolver
from portal.powertools import Response

app = Resolver()


@app.operation(
    "POST",
    "/api/auth/login",
    returns=LoginResponse,
    body=LoginRequest,
    errors=(400, 401, 403, 413, 415, 429),
    also={202: (PendingResponse, "A code was mailed: send it to /api/auth/verify")},
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
        trust_token=session.trust_token(app),
    )
    if isinstance(signed, sign_in.Pending):
        pending = PendingResponse(verification="email_code", expires_in=signed.expires_in)
        return responses.ok(pending, status=202, cookies=[session.pending_cookie(signed.token)])
    customer = CustomerSummary(email=signed.email, name=signed.name, language=signed.language)
    return responses.ok(
        LoginResponse(customer=customer), cookies=[session.session_cookie(signed.token, settings)]
    )


lambda_handler = entry.http_handler(app)
