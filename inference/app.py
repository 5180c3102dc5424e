"""AWS Lambda entry point: a recording put under uploads/ -> smoke alarm detection.

A thin Powertools handler. The work is in the library: ``sounddetect.lambda_config`` reads
the settings template.yaml puts in the environment and builds the classifier (at cold
start, so a configuration error fails early and clearly); ``sounddetect.s3_detect``
downloads, detects, alerts and stores each upload. Here: one log line per file carrying
its result object, one WARNING line per alarm event, EMF metrics, and the retry decision.
"""

from __future__ import annotations

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import S3Event, event_source
from aws_lambda_powertools.utilities.data_classes.s3_event import S3EventRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from sounddetect.exceptions import AlertNotSentError, FailedRecordsError, SoundDetectError
from sounddetect.lambda_config import make_classifier, read_settings
from sounddetect.result import error_result
from sounddetect.s3_detect import (
    RecordOutcome,
    S3Upload,
    process_upload,
    result_for_log,
)

logger = Logger()
metrics = Metrics()

try:
    SETTINGS = read_settings()
    CLASSIFIER = make_classifier(SETTINGS)
except SoundDetectError as exc:
    logger.exception(f"configuration error: {exc}")
    raise
S3 = boto3.client("s3")
SNS = boto3.client("sns") if SETTINGS.topic_arn else None


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(capture_cold_start_metric=True)
@event_source(data_class=S3Event)
def lambda_handler(event: S3Event, context: LambdaContext) -> dict:
    """Handle every record of an S3 event on its own, then fail if any must be retried.

    Raises
    ------
    FailedRecordsError
        After all records: some failed for a reason a retry or a configuration fix may cure
        (the model not running, throttling, permissions). Lambda retries the event; stored
        results make the retry skip the records that succeeded.
    """
    records = event.raw_event.get("Records") if isinstance(event.raw_event, dict) else None
    if not isinstance(records, list):
        # An EventBridge or console test event: no retry can make it one of S3's.
        keys = ", ".join(sorted(event.raw_event)) if isinstance(event.raw_event, dict) else ""
        logger.error(
            f"not an S3 event notification (no Records; keys: {keys or 'none'}): nothing "
            "processed; the function takes the ObjectCreated events of its bucket"
        )
        metrics.add_metric(name="EventsRejected", unit=MetricUnit.Count, value=1)
        return {"results": []}
    # What a retry of the event has for each record: the whole of an invocation's time.
    invocation_s = context.get_remaining_time_in_millis() / 1000
    outcomes = [
        handle_record(record, context, invocation_s=invocation_s) for record in event.records
    ]
    failed = [outcome.result["error"]["message"] for outcome in outcomes if outcome.retry]
    if failed:
        raise FailedRecordsError(
            f"{len(failed)} of {len(outcomes)} uploads failed and will be retried: "
            + "; ".join(failed)
        )
    return {
        "results": [
            {"file": o.result["file"], "status": o.status, "location": o.result_uri}
            for o in outcomes
        ]
    }


def handle_record(
    record: S3EventRecord, context: LambdaContext, *, invocation_s: float
) -> RecordOutcome:
    """Process one record; failures are logged and returned, never raised, so the other
    records of the event still run. A recording that would outlast the invocation is
    refused: a failure, for the retry's fresh invocation, unless even a whole invocation of
    ``invocation_s`` would not do (then an error result)."""
    try:
        upload = S3Upload.from_record(record.raw_event)
    except SoundDetectError as exc:  # not retried: no retry gives the record a key
        outcome = RecordOutcome(error_result("event record", exc), "rejected")
        report(outcome)
        return outcome
    logger.append_keys(bucket=upload.bucket, key=upload.key)
    try:
        outcome = process_upload(
            upload,
            classifier=CLASSIFIER,
            settings=SETTINGS,
            s3=S3,
            sns=SNS,
            time_left_s=context.get_remaining_time_in_millis() / 1000,
            invocation_s=invocation_s,
        )
    except AlertNotSentError as exc:  # the alarm reaches the log even so
        log_alarm_events(exc.result, note=" (its alert was not sent)")
        result = error_result(upload.uri, exc, classifier=CLASSIFIER.describe())
        outcome = RecordOutcome(result, "failed")
    except Exception as exc:  # an S3/SNS fault: this record is retried, the others go on
        logger.exception("upload not processed; the event will be retried")
        result = error_result(upload.uri, exc, classifier=CLASSIFIER.describe())
        outcome = RecordOutcome(result, "failed")
    report(outcome)
    logger.remove_keys(["bucket", "key"])
    return outcome


def report(outcome: RecordOutcome) -> None:
    """The file's log lines and metrics."""
    result = outcome.result
    summary, parts = result_for_log(result)
    # The result last: a query finds only a line's first 1,000 fields (result_for_log).
    details = {
        "status": outcome.status,
        "result_location": outcome.result_uri,
        "alert_id": outcome.alert_id,
        "seconds": round(outcome.seconds, 3),
        "result": summary,
    }
    for message in outcome.warnings:
        logger.warning(message, extra={"status": outcome.status})
    if outcome.retry:
        logger.error(f"failed, will be retried: {result['error']['message']}", extra=details)
        metrics.add_metric(name="FilesFailed", unit=MetricUnit.Count, value=1)
        return
    if outcome.status == "duplicate":
        logger.info("repeated delivery: result already stored, no new alert", extra=details)
        log_parts(parts, result)
        metrics.add_metric(name="DuplicateDeliveries", unit=MetricUnit.Count, value=1)
        return
    if result["error"] is not None:
        logger.info(f"rejected: {result['error']['message']}", extra=details)
        metrics.add_metric(name="FilesRejected", unit=MetricUnit.Count, value=1)
        return
    verdict = f"{'ALARM' if result['alarm'] else 'no alarm'}: {result['file']}"
    if outcome.status == "superseded":
        verdict += " (an older version: the newer upload's result stays stored)"
    logger.info(verdict, extra=details)
    log_parts(parts, result)
    log_alarm_events(result)
    count = MetricUnit.Count
    metrics.add_metric(name="FilesProcessed", unit=count, value=1)
    metrics.add_metric(name="WindowsClassified", unit=count, value=len(result["windows"]))
    metrics.add_metric(name="AlarmsDetected", unit=count, value=len(result["events"]))
    metrics.add_metric(name="ProcessingSeconds", unit=MetricUnit.Seconds, value=outcome.seconds)


def log_parts(parts: list[dict], result: dict) -> None:
    """One INFO line per run of windows or events that did not fit the file's line
    (result_for_log)."""
    for part in parts:
        key = "windows" if "windows" in part else "events"
        first = part[f"first_{key[:-1]}"]
        logger.info(
            f"{key} {first + 1}-{first + len(part[key])} of {len(result[key])}: {part['file']}",
            extra={f"{key}_part": part},
        )


def log_alarm_events(result: dict, *, note: str = "") -> None:
    """One WARNING line per alarm event of ``result``."""
    for alarm_event in result["events"]:
        logger.warning(
            f"smoke alarm {alarm_event['start']:g}-{alarm_event['end']:g} s in "
            f"{result['file']}{note}",
            extra={"alarm_event": alarm_event},
        )
