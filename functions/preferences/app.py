"""GET/PUT /api/me/preferences, POST /api/reminders/unsubscribe - reminders on or off.

The unsubscribe link's token is its own authority (no session, no Origin); the route also takes
the RFC 8058 one-click form: `List-Unsubscribe=One-Click`, the token in the query."""

from portal import dependencies
from portal.accounts import preferences
from portal.edge import entry, request, responses, session
from portal.edge.contract import preferences as contract
from portal.edge.resolver import Resolver
from portal.errors import BadRequest
from portal.powertools import Response

app = Resolver()


@app.operation("GET", "/api/me/preferences", returns=contract.PreferencesOut, errors=(401,))
def read_preferences() -> Response:
    found = preferences.preferences(session.signed_in_customer(app), store=dependencies.store())
    return responses.ok(contract.PreferencesOut.of(found))


@app.operation(
    "PUT",
    "/api/me/preferences",
    returns=contract.PreferencesOut,
    body=contract.PreferencesRequest,
    errors=(400, 401, 403, 413, 415),
)
def choose_preferences() -> Response:
    session.require_same_origin(app, dependencies.settings())
    customer_id = session.signed_in_customer(app)
    asked = request.json_body(app, contract.PreferencesRequest)
    chosen = preferences.choose(
        customer_id, asked.reminders, store=dependencies.store(), clock=dependencies.clock()
    )
    return responses.ok(contract.PreferencesOut.of(chosen))


@app.operation(
    "POST",
    "/api/reminders/unsubscribe",
    returns=contract.PreferencesOut,
    body=contract.UnsubscribeRequest,
    query=contract.UnsubscribeQuery,
    errors=(400, 401, 413, 415),
)
def unsubscribe() -> Response:
    asked = request.query(app, contract.UnsubscribeQuery)
    if request.content_type(app) == request.FORM:  # RFC 8058: a mail client's one click
        request.form_body(app, contract.OneClickForm)
        token = asked.token
    elif asked.token is None:
        token = request.json_body(app, contract.UnsubscribeRequest).token
    else:
        raise BadRequest("The token goes in the body (in the query only with the one-click form).")
    done = preferences.unsubscribe(
        token,
        store=dependencies.store(),
        settings=dependencies.settings(),
        clock=dependencies.clock(),
    )
    return responses.ok(contract.PreferencesOut.of(done))


lambda_handler = entry.http_handler(app)
