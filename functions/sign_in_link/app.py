"""Sign-in by a mailed link, for customers without their order numbers:
- POST /api/auth/link - 202 for every address; a known customer is mailed a one-time link;
- POST /api/auth/link/redeem - the link's token (web/link.html POSTs it: a GET of the link changes
  nothing); the session cookie and the trusted-browser cookie."""

from portal import dependencies
from portal.accounts import verification
from portal.edge import entry, request, responses, session
from portal.edge.contract.sign_in import (
    Accepted,
    CustomerSummary,
    LinkRequest,
    LoginResponse,
    RedeemRequest,
)
from portal.edge.resolver import Resolver
from portal.powertools import Response

app = Resolver()


@app.operation(
    "POST",
    "/api/auth/link",
    returns=Accepted,
    status=202,
    description="Accepted: a sign-in link is mailed if a customer has this address",
    body=LinkRequest,
    errors=(400, 403, 413, 415, 429),
)
def request_link() -> Response:
    settings = dependencies.settings()
    session.require_same_origin(app, settings)
    verification.request_link(
        request.json_body(app, LinkRequest).email,
        request.client_ip(app, settings),
        store=dependencies.store(),
        settings=settings,
        clock=dependencies.clock(),
    )
    return responses.ok(Accepted(), status=202)


@app.operation(
    "POST",
    "/api/auth/link/redeem",
    returns=LoginResponse,
    body=RedeemRequest,
    errors=(400, 401, 403, 413, 415),
)
def redeem_link() -> Response:
    settings = dependencies.settings()
    session.require_same_origin(app, settings)
    verified = verification.redeem_link(
        request.json_body(app, RedeemRequest).token,
        store=dependencies.store(),
        settings=settings,
        clock=dependencies.clock(),
    )
    return responses.ok(
        LoginResponse(customer=CustomerSummary.of(verified.who)),
        cookies=session.signed_in_cookies(verified.token, verified.trust_token, settings),
    )


lambda_handler = entry.http_handler(app)
