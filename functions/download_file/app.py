"""GET /api/licenses/{id}/file and /api/supports/{id}/file - signed .lic downloads."""

from portal import dependencies
from portal.edge import entry, request, responses, session
from portal.edge.contract.licenses import LICENSE_ID, SUPPORT_ID
from portal.edge.resolver import Resolver
from portal.licensing import licenses, supports
from portal.observability import count
from portal.powertools import Response

app = Resolver()


@app.operation(
    "GET",
    "/api/licenses/<license_id>/file",
    parameters=(LICENSE_ID,),
    description="The signed file",
    media_type=responses.DOWNLOAD,
    errors=(401, 404),
)
def license_file(license_id: str) -> Response:
    customer_id = session.signed_in_customer(app)
    name, content = licenses.license_file(
        customer_id,
        request.path_value(LICENSE_ID, license_id),
        store=dependencies.store(),
        settings=dependencies.settings(),
        clock=dependencies.clock(),
    )
    count("LicenseFileDownloaded")
    return responses.attachment(name, content)


@app.operation(
    "GET",
    "/api/supports/<support_id>/file",
    parameters=(SUPPORT_ID,),
    description="The signed file",
    media_type=responses.DOWNLOAD,
    errors=(401, 404),
)
def support_file(support_id: str) -> Response:
    customer_id = session.signed_in_customer(app)
    name, content = supports.support_file(
        customer_id,
        request.path_value(SUPPORT_ID, support_id),
        store=dependencies.store(),
        settings=dependencies.settings(),
        clock=dependencies.clock(),
    )
    count("SupportFileDownloaded")
    return responses.attachment(name, content)


lambda_handler = entry.http_handler(app)
