"""Customer Portal domain package: the only place business logic lives.

Floors, arrows pointing down: handlers (functions/) -> domain modules (auth, licenses, ...)
-> data access (store) -> models (models, contract, types). config, clock and observability
sit at the bottom and import nothing of ours.
"""
