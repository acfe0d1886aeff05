"""POST /api/auth/logout - deletes the session server-side and clears the cookie."""

from aws_lambda_powertools.event_handler import Response

from portal import dependencies
from portal.accounts import sessions
from portal.edge import entry, responses, session
from portal.edge.resolver import Resolver

app = Resolver()


@app.operation("POST", "/api/auth/logout", status=204, description="Signed out", errors=(403,))
def logout() -> Response:
    session.require_same_origin(app, dependencies.settings())
    sessions.sign_out(session.session_token(app), store=dependencies.store())
    return responses.ok(None, status=204, cookies=[session.expired_session_cookie()])


lambda_handler = entry.http_handler(app)
