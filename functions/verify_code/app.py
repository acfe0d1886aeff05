"""POST /api/auth/verify - complete a pending sign-in with the code mailed to the customer: the
session cookie and the trusted-browser cookie (this browser is not asked again)."""

from portal import dependencies
from portal.accounts import verification
from portal.edge import entry, request, responses, session
from portal.edge.contract.sign_in import CustomerSummary, LoginResponse, VerifyRequest
from portal.edge.resolver import Resolver
from portal.powertools import Response

app = Resolver()


@app.operation(
    "POST",
    "/api/auth/verify",
    returns=LoginResponse,
    body=VerifyRequest,
    errors=(400, 401, 403, 413, 415, 429),
)
def verify() -> Response:
    settings = dependencies.settings()
    session.require_same_origin(app, settings)
    code = request.json_body(app, VerifyRequest).code
    verified = verification.verify(
        session.pending_token(app),
        code,
        request.client_ip(app, settings),
        store=dependencies.store(),
        settings=settings,
        clock=dependencies.clock(),
    )
    return responses.ok(
        LoginResponse(customer=CustomerSummary.of(verified.who)),
        cookies=session.signed_in_cookies(verified.token, verified.trust_token, settings),
    )


lambda_handler = entry.http_handler(app)
