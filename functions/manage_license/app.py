"""POST /api/licenses/{id}/release (rehosting), /activate (offline), GET .../history."""

from portal import dependencies
from portal.data.cursors import PageQuery
from portal.edge import entry, request, responses, session
from portal.edge.contract import activation as contract
from portal.edge.contract.licenses import LICENSE_ID, LicenseOut
from portal.edge.resolver import Resolver
from portal.licensing import activation
from portal.powertools import Response

app = Resolver()


@app.operation(
    "POST",
    "/api/licenses/<license_id>/release",
    returns=LicenseOut,
    parameters=(LICENSE_ID,),
    errors=(401, 403, 404, 409),
    error_bodies=contract.RELEASE_ERRORS,
)
def release(license_id: str) -> Response:
    session.require_same_origin(app, dependencies.settings())
    released = activation.release(
        session.signed_in_customer(app),
        request.path_value(LICENSE_ID, license_id),
        store=dependencies.store(),
        settings=dependencies.settings(),
        clock=dependencies.clock(),
    )
    return responses.ok(LicenseOut.of(released))


@app.operation(
    "POST",
    "/api/licenses/<license_id>/activate",
    returns=contract.OfflineActivationOut,
    body=contract.ComputerRequest,
    parameters=(LICENSE_ID,),
    errors=(400, 401, 403, 404, 409, 413, 415),
)
def activate_offline(license_id: str) -> Response:
    settings = dependencies.settings()
    session.require_same_origin(app, settings)
    customer_id = session.signed_in_customer(app)
    asked = request.json_body(app, contract.ComputerRequest)
    done = activation.activate_offline(
        customer_id,
        request.path_value(LICENSE_ID, license_id),
        asked.computer_id,
        asked.computer_name,
        store=dependencies.store(),
        settings=settings,
        clock=dependencies.clock(),
    )
    return responses.ok(contract.OfflineActivationOut.of(done))


@app.operation(
    "GET",
    "/api/licenses/<license_id>/history",
    returns=contract.HistoryPage,
    query=PageQuery,
    parameters=(LICENSE_ID,),
    errors=(400, 401, 404),
)
def history(license_id: str) -> Response:
    page = activation.history(
        session.signed_in_customer(app),
        request.path_value(LICENSE_ID, license_id),
        request.page_query(app),
        store=dependencies.store(),
        cursors=dependencies.cursors(),
    )
    return responses.ok(contract.HistoryPage.of(page))


lambda_handler = entry.http_handler(app)
