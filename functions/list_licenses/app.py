"""GET /api/licenses - the customer's licenses, newest first, cursor-paginated."""

from portal import dependencies
from portal.data.cursors import PageQuery
from portal.edge import entry, request, responses, session
from portal.edge.contract.licenses import LicensePage
from portal.edge.resolver import Resolver
from portal.licensing import licenses
from portal.powertools import Response

app = Resolver()


@app.operation("GET", "/api/licenses", returns=LicensePage, query=PageQuery)
def list_licenses() -> Response:
    customer_id = session.signed_in_customer(app)
    page = licenses.list_licenses(
        customer_id,
        request.page_query(app),
        store=dependencies.store(),
        cursors=dependencies.cursors(),
    )
    return responses.ok(LicensePage.of(page))


lambda_handler = entry.http_handler(app)
