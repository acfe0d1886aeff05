"""GET /api/supports - the customer's support contracts, newest first, cursor-paginated."""

from portal import dependencies
from portal.data.cursors import PageQuery
from portal.edge import entry, request, responses, session
from portal.edge.contract.licenses import SupportPage
from portal.edge.resolver import Resolver
from portal.licensing import supports
from portal.powertools import Response

app = Resolver()


@app.operation("GET", "/api/supports", returns=SupportPage, query=PageQuery)
def list_supports() -> Response:
    customer_id = session.signed_in_customer(app)
    page = supports.list_supports(
        customer_id,
        request.page_query(app),
        store=dependencies.store(),
        cursors=dependencies.cursors(),
    )
    return responses.ok(SupportPage.of(page))


lambda_handler = entry.http_handler(app)
