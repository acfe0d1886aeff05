"""One Logger and one Metrics for every handler. Powertools reads POWERTOOLS_SERVICE_NAME,
POWERTOOLS_METRICS_NAMESPACE and POWERTOOLS_LOG_LEVEL. Never log tokens, keys or order numbers."""

from __future__ import annotations

from portal.powertools import Logger, Metrics, MetricUnit

logger = Logger()
metrics = Metrics()


def count(name: str, value: int = 1) -> None:
    """One metric per business event (SignInSucceeded, SignInFailed, ...)."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
