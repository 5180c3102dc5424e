"""One run over real HTTP: moto's ThreadedMotoServer on 127.0.0.1 stands in for S3, SNS
and SQS, and every client (the tests' and the handler's) reaches it through the
AWS_ENDPOINT_URL that boto3 honours, as a deployed function would reach AWS."""

from __future__ import annotations

import socket

import pytest
from helpers.signals import noise, t3_alarm, write_wav
from lambda_helpers import (
    ContentRekognition,
    create_stack_resources,
    event_for,
    handler_environment,
)
from moto.server import ThreadedMotoServer

SR = 16000


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def moto_endpoint(monkeypatch):
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    yield endpoint
    server.stop()


def test_upload_to_alert_over_http(moto_endpoint, load_app, tmp_path, rng, lambda_context):
    # GIVEN the stack's resources on the server and a recording with an alarm
    aws = create_stack_resources(endpoint_url=moto_endpoint)
    app = load_app(handler_environment(aws))
    assert app.S3.meta.endpoint_url == moto_endpoint
    requests = ContentRekognition(app.CLASSIFIER.client).requests
    y = noise(10.0, sr=SR, rng=rng, amplitude=0.003)
    y[2 * SR : 8 * SR] += t3_alarm(6.0, sr=SR)
    aws.upload("uploads/night shift/büro.wav", write_wav(tmp_path / "a.wav", y, SR))

    # WHEN S3's event is delivered
    event = event_for(aws, "s3-put-encoded-key.json", "uploads/night shift/büro.wav")
    response = app.lambda_handler(event, lambda_context)

    # THEN the result is on the server, the alert went through SNS to the subscribed queue
    assert response["results"][0]["status"] == "processed"
    result = aws.stored_result("results/night shift/büro.wav.json")
    assert result["alarm"] is True and len(requests) == len(result["windows"]) == 4
    (alert,) = aws.alerts()
    assert alert["TopicArn"] == aws.topic_arn
    assert "results/night shift/büro.wav.json" in alert["Message"]
