"""Reconciliation: events FastSpring never delivered are fetched, ingested through the same code
as webhooks, and marked processed only once committed; running it again changes nothing.

FastSpring's events API is tests.support's FakeFastSpring (in memory, pages of 25)."""

from __future__ import annotations

import pytest

from local import fastspring as fs
from portal.fastspring import ingest, reconciliation
from tests.support import FakeFastSpring, buyer, handler, invoke, sample_event, sign_in


def context(store, settings) -> ingest.Context:
    return ingest.Context(store=store, settings=settings)


def test_missed_orders_are_ingested_and_marked_processed(store, settings):
    # given 30 orders FastSpring never delivered (more than its page of 25)
    missed = [fs.order_completed(email=f"late{i}@example.com", skus=["T-ENT-5"]) for i in range(30)]
    api = FakeFastSpring(missed)

    # when reconciliation runs
    summary = reconciliation.reconcile(api, context(store, settings))  # type: ignore[arg-type]

    # then every one is committed and marked processed, and its buyer can sign in
    assert summary.fetched == 30 and summary.committed == 30 and summary.failed == 0
    assert api.processed == {e["id"] for e in missed}
    assert sign_in(buyer(missed[7]))

    # when it runs again over the same events (none marked); then each is a duplicate
    again = reconciliation.reconcile(FakeFastSpring(missed), context(store, settings))  # type: ignore[arg-type]
    assert again.statuses == {"duplicate": 30}


def test_an_event_that_cannot_be_ingested_is_not_marked_and_fails_the_run(store, settings):
    # given a refund whose order never came, and an order
    refund_first = fs.return_created(reference="JWT000101-0000-00000")
    api = FakeFastSpring(
        [refund_first, fs.order_completed(email="ok@example.com", skus=["T-ENT-1"])]
    )

    # when reconciliation runs
    summary = reconciliation.reconcile(api, context(store, settings))  # type: ignore[arg-type]

    # then the order is committed, the refund failed and is left unmarked for a later run
    assert summary.failed == 1 and summary.committed == 1
    assert refund_first["id"] not in api.processed


def test_the_scheduled_handler_raises_when_something_is_left(aws, monkeypatch):
    # given FastSpring holding only a refund whose order never came
    left = FakeFastSpring([fs.return_created(reference="JWT000101-0000-00000")])
    module = handler("reconcile_fastspring")
    monkeypatch.setattr(module.FastSpringApi, "from_settings", classmethod(lambda cls, s: left))

    # when the schedule invokes the function; then it raises, so the run shows as failed
    with pytest.raises(RuntimeError, match="could not be ingested"):
        invoke("reconcile_fastspring", sample_event("reconcile_fastspring"))

    # given FastSpring holding an order instead; when invoked; then it is committed
    done = FakeFastSpring([fs.order_completed(email="sched@example.com", skus=["T-ENT-1"])])
    monkeypatch.setattr(module.FastSpringApi, "from_settings", classmethod(lambda cls, s: done))
    assert invoke("reconcile_fastspring", sample_event("reconcile_fastspring"))["committed"] == 1


def test_one_bad_event_from_the_api_spoils_only_itself(store, settings):
    # given FastSpring's API listing a good order, an event with a broken envelope, another order
    good = [fs.order_completed(email=f"api{i}@example.com", skus=["T-ENT-1"]) for i in range(2)]
    broken = {"id": "broken-1", "type": "order.completed", "live": "yes", "data": {}}
    api = FakeFastSpring([good[0], broken, good[1]])

    # when reconciliation runs
    summary = reconciliation.reconcile(api, context(store, settings))  # type: ignore[arg-type]

    # then both orders are ingested and marked, the broken one is left for FastSpring to keep
    assert summary.committed == 2 and summary.failed == 1
    assert api.processed == {good[0]["id"], good[1]["id"]}


def test_ingestion_matches_lines_with_the_validated_catalog(store, settings):
    from portal.orders.catalog_document import validated_default_catalog

    # given the context reconciliation and the webhook build; then its catalog is the shipped
    # one as validated by the catalog's pydantic model (not the unvalidated browser-side read)
    assert context(store, settings).catalog is validated_default_catalog()
