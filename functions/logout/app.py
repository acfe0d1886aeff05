"""POST /api/auth/logout - deletes the session server-side and clears the cookie.

With `{"forgetBrowser": true}` it also forgets this browser (its trust deleted, its cookie
cleared), so the next sign-in from it asks for a mailed code again."""

from portal import dependencies
from portal.accounts import verification
from portal.config import TRUST_COOKIE
from portal.edge import entry, request, responses, session
from portal.edge.contract.sign_in import LogoutRequest
from portal.edge.resolver import Resolver
from portal.powertools import Response

app = Resolver()


@app.operation(
    "POST",
    "/api/auth/logout",
    status=204,
    description="Signed out",
    body=LogoutRequest,
    body_required=False,
    errors=(400, 403, 413, 415),
)
def logout() -> Response:
    session.require_same_origin(app, dependencies.settings())
    asked = request.optional_json_body(app, LogoutRequest)
    forget = asked is not None and asked.forget_browser
    verification.sign_out(
        session.session_token(app),
        session.trust_token(app),
        forget_browser=forget,
        store=dependencies.store(),
    )
    cookies = [session.expired_session_cookie()]
    if forget:
        cookies.append(session.expired_cookie(TRUST_COOKIE))
    return responses.ok(None, status=204, cookies=cookies)


lambda_handler = entry.http_handler(app)
