"""Fed by the table's DynamoDB stream: each new outbox item (the event source mapping passes only
INSERTs of `OUTBOX#` items) is rendered, sent through SES and recorded once
(portal.mail.delivery). Failures are reported per record (ReportBatchItemFailures), so the
stream retries only from the first one that failed; after its retries the batch goes to the
dead-letter queue, whose alarm pages someone."""

from typing import Any

import portal  # noqa: F401 - first: the cold start without collector pauses (portal/startup.py)

# isort: split
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from portal import dependencies, startup
from portal.mail import delivery
from portal.observability import logger, metrics

# Every failure is reported per record, a whole failed batch included (no exception).
processor = BatchProcessor(
    event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False
)
# Time kept for one send after waiting out another mailer's lease (delivery.LEASE).
SEND_SECONDS = 30


def deliver(record: DynamoDBRecord, lambda_context: LambdaContext) -> str:
    image = record.dynamodb.new_image if record.dynamodb is not None else {}
    left = lambda_context.get_remaining_time_in_millis() / 1000 - SEND_SECONDS
    done = delivery.deliver(
        image,
        store=dependencies.store(),
        settings=dependencies.settings(),
        clock=dependencies.clock(),
        wait_seconds=max(0.0, left),
    )
    return done.outcome


@startup.entry_point
@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(
        process_partial_response(
            event=event, record_handler=deliver, processor=processor, context=context
        )
    )
