"""Reconciliation: events FastSpring never delivered are fetched, ingested through the same code
as webhooks, and marked processed only once committed; running it again changes nothing."""

from __future__ import annotations

import pytest

from local import fastspring as fs
from portal.fastspring import ingest, reconciliation
from tests.support import event, invoke


class FakeFastSpring:
    """FastSpring's events API in memory: pages of 25, `more`, processed flags."""

    def __init__(self, events: list[dict]) -> None:
        self.events = events
        self.processed: set[str] = set()

    def unprocessed_events(self, days: int = 3) -> tuple[list[dict], bool]:
        waiting = [e for e in self.events if e["id"] not in self.processed]
        return waiting[:25], len(waiting) > 25

    def mark_processed(self, event_id: str) -> None:
        self.processed.add(event_id)


def context(store, settings) -> ingest.Context:
    return ingest.Context(store=store, settings=settings)


def test_missed_orders_are_ingested_and_marked_processed(seeded, store, settings):
    missed = [fs.order_completed(email=f"late{i}@example.com", skus=["T-ENT-5"]) for i in range(30)]
    api = FakeFastSpring(missed)
    summary = reconciliation.reconcile(api, context(store, settings))  # type: ignore[arg-type]
    assert summary.fetched == 30 and summary.committed == 30 and summary.failed == 0
    assert api.processed == {e["id"] for e in missed}
    login = invoke(
        "login",
        event(
            "login",
            body={"email": "late7@example.com", "orderNumber": missed[7]["data"]["reference"]},
        ),
    )
    assert login["statusCode"] == 200
    again = reconciliation.reconcile(FakeFastSpring(missed), context(store, settings))  # type: ignore[arg-type]
    assert again.statuses == {"duplicate": 30}


def test_an_event_that_cannot_be_ingested_is_not_marked_and_fails_the_run(seeded, store, settings):
    refund_first = fs.return_created(reference="JWT000101-0000-00000")  # its order never came
    api = FakeFastSpring(
        [refund_first, fs.order_completed(email="ok@example.com", skus=["T-ENT-1"])]
    )
    summary = reconciliation.reconcile(api, context(store, settings))  # type: ignore[arg-type]
    assert summary.failed == 1 and summary.committed == 1
    assert refund_first["id"] not in api.processed


def test_the_scheduled_handler_raises_when_something_is_left(seeded, monkeypatch):
    from tests.support import handler, sample_event

    left = FakeFastSpring([fs.return_created(reference="JWT000101-0000-00000")])
    module = handler("reconcile_fastspring")
    monkeypatch.setattr(module.FastSpringApi, "from_settings", classmethod(lambda cls, s: left))
    with pytest.raises(RuntimeError, match="could not be ingested"):
        invoke("reconcile_fastspring", sample_event("reconcile_fastspring"))
    done = FakeFastSpring([fs.order_completed(email="sched@example.com", skus=["T-ENT-1"])])
    monkeypatch.setattr(module.FastSpringApi, "from_settings", classmethod(lambda cls, s: done))
    assert invoke("reconcile_fastspring", sample_event("reconcile_fastspring"))["committed"] == 1


def test_one_bad_event_from_the_api_spoils_only_itself(seeded, store, settings):
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
    # given the context reconciliation and the webhook build; then its catalog is the shipped
    # one as validated by the catalog's pydantic model (not the unvalidated browser-side read)
    from portal.orders.catalog_document import validated_default_catalog

    assert context(store, settings).catalog is validated_default_catalog()
