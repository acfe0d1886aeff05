"""The HTTP contract (docs/API.md) as dataclasses, one module per area so each handler loads only
its own: camelCase on the wire (portal.wire), explicit mapping from domain models, and nothing
that is not in the contract (no keys, hashes or internal ids). Requests are parsed by `parse`
classmethods that answer BadRequest. No validation library here, so handlers stay light at cold
start; local/openapi.py documents these same classes (pydantic reads stdlib dataclasses and the
`__pydantic_config__` of `Wire`)."""
