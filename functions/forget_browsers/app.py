"""POST /api/me/forget-browsers - sign out everywhere, forgetting every browser.

Every browser trusted for the signed-in customer is forgotten and every session of theirs ended,
this one included (its cookies cleared); each browser then signs in again with a mailed code."""

from portal import dependencies
from portal.accounts import verification
from portal.config import TRUST_COOKIE
from portal.edge import entry, responses, session
from portal.edge.resolver import Resolver
from portal.powertools import Response

app = Resolver()


@app.operation(
    "POST",
    "/api/me/forget-browsers",
    status=204,
    description="Every browser forgotten, every session ended",
    errors=(401, 403),
)
def forget_browsers() -> Response:
    session.require_same_origin(app, dependencies.settings())
    customer_id = session.signed_in_customer(app)
    verification.sign_out_everywhere(
        customer_id, session.session_token(app), store=dependencies.store()
    )
    cookies = [session.expired_session_cookie(), session.expired_cookie(TRUST_COOKIE)]
    return responses.ok(None, status=204, cookies=cookies)


lambda_handler = entry.http_handler(app)
