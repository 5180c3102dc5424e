"""Helpers for the Lambda handler tests: the moto resources of the stack, the handler's
environment, inference/app.py loaded as a cold start, S3 events from events/*.json,
Rekognition answers that depend on the image content, and EMF metric parsing."""

from __future__ import annotations

import copy
import importlib.util
import io
import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote_plus, unquote_plus

import boto3
import numpy as np
from botocore.awsrequest import AWSResponse

from sounddetect.spectrum import SpectrogramConfig, decode_png

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
APP_PATH = ROOT / "inference" / "app.py"
APP_MODULE = "sounddetect_lambda_app"
REGION = "us-east-1"
#: The bucket events/*.json name.
BUCKET = json.loads((EVENTS / "s3-put-wav.json").read_text())["Records"][0]["s3"]["bucket"]["name"]
MODEL_ARN = (
    "arn:aws:rekognition:us-east-1:123456789012:project/smoke-alarms/version/"
    "smoke-alarms.2026-11-20T10.00.00/1763632800000"
)
#: Row contrast (0..1) above which the content-dependent stub says "alarm": noise and
#: silence give about 0.01, a window holding part of a temporal-three alarm 0.2 to 0.3, a
#: steady tone about 0.6 (the tiny ONNX model of tests/helpers says alarm from 0.35).
ALARM_CONTRAST = 0.1


@dataclass
class LambdaContext:
    """The attributes of the Lambda context that Powertools reads."""

    function_name: str = "sounddetect-DetectFunction-test"
    memory_limit_in_mb: int = 2048
    invoked_function_arn: str = (
        "arn:aws:lambda:us-east-1:123456789012:function:sounddetect-DetectFunction-test"
    )
    aws_request_id: str = "52fdfc07-2182-154f-163f-5f0f9a621d72"
    remaining_ms: int = 900_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@dataclass
class Aws:
    """The moto resources a deployed stack would have."""

    s3: object
    sns: object
    sqs: object
    bucket: str
    topic_arn: str
    inbox_url: str

    def alerts(self) -> list[dict]:
        """Every SNS notification delivered to the subscribed queue so far (drained)."""
        messages = []
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.inbox_url, MaxNumberOfMessages=10)
            if not batch.get("Messages"):
                return messages
            for message in batch["Messages"]:
                messages.append(json.loads(message["Body"]))
                self.sqs.delete_message(
                    QueueUrl=self.inbox_url, ReceiptHandle=message["ReceiptHandle"]
                )

    def stored_result(self, key: str) -> dict:
        body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return json.loads(body)

    def result_keys(self) -> list[str]:
        listing = self.s3.list_objects_v2(Bucket=self.bucket, Prefix="results/")
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def upload(self, key: str, data: bytes | Path) -> dict:
        """Put an object; returns its head (ETag, VersionId, ContentLength)."""
        body = data.read_bytes() if isinstance(data, Path) else data
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body)
        return self.s3.head_object(Bucket=self.bucket, Key=key)


def create_stack_resources(**client_options) -> Aws:
    """Bucket (versioned, as template.yaml makes it), alert topic, and a queue subscribed
    to the topic so the tests can read what was published."""
    s3 = boto3.client("s3", region_name=REGION, **client_options)
    sns = boto3.client("sns", region_name=REGION, **client_options)
    sqs = boto3.client("sqs", region_name=REGION, **client_options)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    topic_arn = sns.create_topic(Name="sounddetect-alerts")["TopicArn"]
    inbox_url = sqs.create_queue(QueueName="alert-inbox")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=inbox_arn)
    return Aws(s3, sns, sqs, BUCKET, topic_arn, inbox_url)


def whole_config(**changes) -> str:
    """SPECTROGRAM_CONFIG as a Rekognition deployment gives it: every field (the library's
    defaults with ``changes``; a change to None leaves that field out)."""
    fields = {**SpectrogramConfig().to_dict(), **changes}
    return json.dumps({name: value for name, value in fields.items() if value is not None})


def handler_environment(aws: Aws, **overrides) -> dict[str, str]:
    """The environment template.yaml gives the function (defaults), with overrides; for
    Rekognition the spectrogram config is whole, its window left to SAMPLE_DURATION when
    that is set."""
    rekognition = overrides.get("CLASSIFIER", "rekognition") == "rekognition"
    duration_set = overrides.get("SAMPLE_DURATION", "auto") != "auto"
    env = {
        "CLASSIFIER": "rekognition",
        "MODEL_ARN": MODEL_ARN,
        "MIN_CONFIDENCE": "50",
        "SAMPLE_DURATION": "auto",
        "WINDOW_HOP": "auto",
        "MIN_EVENT_DURATION": "0",
        "MIN_EVENT_WINDOWS": "1",
        "EVENT_MERGE_GAP": "2",
        "BEEP_PATTERN_GROUPS": "3",
        "SPECTROGRAM_CONFIG": (
            "{}"
            if not rekognition
            else whole_config(duration=None)
            if duration_set
            else whole_config()
        ),
        "ONNX_MODEL_DIR": "model",
        "UPLOAD_PREFIX": "uploads/",
        "RESULTS_PREFIX": "results/",
        "MAX_UPLOAD_MB": "1024",
        "ALERT_TOPIC_ARN": aws.topic_arn,
        "REKOGNITION_MAX_WORKERS": "4",
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }
    env.update(overrides)
    return env


class LoadedApp:
    """inference/app.py executed with the current environment, its log lines captured."""

    def __init__(self, module, log_stream: io.StringIO) -> None:
        self.module = module
        self._log_stream = log_stream

    def __getattr__(self, name):
        return getattr(self.module, name)

    def logs(self) -> list[dict]:
        """Every JSON log line so far."""
        return [json.loads(line) for line in self._log_stream.getvalue().splitlines() if line]


def import_app() -> LoadedApp:
    """Execute inference/app.py afresh (a cold start). The caller sets the environment
    and registers the module in sys.modules if it wants."""
    spec = importlib.util.spec_from_file_location(APP_MODULE, APP_PATH)
    module = importlib.util.module_from_spec(spec)
    log_stream = io.StringIO()
    try:
        spec.loader.exec_module(module)
    finally:
        # Powertools keeps one handler per service name across imports: point it at this
        # load's buffer.
        logging.getLogger("sounddetect").handlers[0].setStream(log_stream)
    return LoadedApp(module, log_stream)


def load_event(name: str) -> dict:
    """An event from events/ (what S3 sends, keys URL-encoded)."""
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


def event_for(aws: Aws, template: str, *keys: str) -> dict:
    """The records of ``events/<template>`` for objects just uploaded: the keys (given
    decoded, encoded here as S3 encodes them), sizes, ETags and version ids of the real
    objects. Without ``keys`` the template's own keys are used."""
    event = copy.deepcopy(load_event(template))
    records = event["Records"]
    if keys:
        records = [copy.deepcopy(records[i % len(records)]) for i in range(len(keys))]
        for record, key in zip(records, keys, strict=True):
            record["s3"]["object"]["key"] = quote_plus(key, safe="/")
    for record in records:
        obj = record["s3"]["object"]
        head = aws.s3.head_object(Bucket=aws.bucket, Key=unquote_plus(obj["key"]))
        obj.update(
            size=head["ContentLength"], eTag=head["ETag"].strip('"'), versionId=head["VersionId"]
        )
        record["s3"]["bucket"]["name"] = aws.bucket
    event["Records"] = records
    return event


def row_contrast(image: np.ndarray) -> float:
    """Brightest row's mean minus the image mean, in 0..1: high for a steady tone."""
    rows = image.astype(np.float64).reshape(image.shape[0], -1).mean(axis=1) / 255.0
    return float(rows.max() - rows.mean())


class ContentRekognition:
    """Answers DetectCustomLabels from the PNG's content, never from the call order.

    Installed on a real botocore client through the same hooks botocore's Stubber uses, so
    botocore still validates every request against the Rekognition API model; the answer
    is what a trained model would say: "alarm" for a tone's bright band, else "no_alarm".
    """

    def __init__(self, client) -> None:
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        client.meta.events.register_first(
            "before-parameter-build.rekognition.DetectCustomLabels", self._remember
        )
        client.meta.events.register_first(
            "before-call.rekognition.DetectCustomLabels", self._answer
        )

    def _remember(self, params, context, **kwargs):
        context["sounddetect_request"] = copy.deepcopy(params)

    def _answer(self, context, **kwargs):
        request = context["sounddetect_request"]
        with self._lock:
            self.requests.append(request)
        contrast = row_contrast(decode_png(request["Image"]["Bytes"]))
        label = "alarm" if contrast > ALARM_CONTRAST else "no_alarm"
        labels = [{"Name": label, "Confidence": 97.25}]
        parsed = {"CustomLabels": labels, "ResponseMetadata": {"HTTPStatusCode": 200}}
        return AWSResponse("https://rekognition.us-east-1.amazonaws.com/", 200, {}, None), parsed


def emitted_metrics(stdout: str) -> dict[str, float]:
    """Sum of each EMF metric Powertools printed to stdout."""
    totals: dict[str, float] = {}
    for line in stdout.splitlines():
        if not line.startswith("{") or '"_aws"' not in line:
            continue
        blob = json.loads(line)
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                values = blob[metric["Name"]]
                values = values if isinstance(values, list) else [values]
                totals[metric["Name"]] = totals.get(metric["Name"], 0) + sum(values)
    return totals
