"""GET /api/activation/keys - the public keys that verify license files, by key id."""

from portal import dependencies
from portal.edge import entry, responses
from portal.edge.contract.keys import PublicKeysOut
from portal.edge.resolver import Resolver
from portal.licensing import license_files
from portal.powertools import Response

app = Resolver()


@app.operation("GET", "/api/activation/keys", returns=PublicKeysOut, errors=())
def activation_keys() -> Response:
    keys = license_files.public_keys(dependencies.settings())
    return responses.ok(PublicKeysOut.of(keys))


lambda_handler = entry.http_handler(app)
