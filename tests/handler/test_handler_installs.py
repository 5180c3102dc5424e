"""The Lambda on what its artifact holds: inference/app.py loaded (a cold start) and run on
one upload by a Python whose import hook refuses all but the standard library, sounddetect,
inference/requirements.txt and boto3 (the runtime's), as DESIGN.md's artifact rule says
(tests/helpers/core_install.py). moto's server stands in for S3 and SNS over HTTP, outside
that process, so moto's own imports do not pass for the handler's."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from helpers.core_install import HEAVY, blocked_environment, lambda_requirements
from helpers.signals import tone, write_wav
from lambda_helpers import create_stack_resources, event_for, handler_environment
from moto.server import ThreadedMotoServer

SR = 16000

#: Loads inference/app.py as a cold start and prints the handler's answer to the event in
#: argv[1] as the last line (Powertools prints its logs and metrics before it).
RUN_HANDLER = """
import json, sys
from lambda_helpers import LambdaContext, import_app

app = import_app()
print(json.dumps(app.lambda_handler(json.loads(sys.argv[1]), LambdaContext())))
"""


@pytest.fixture
def moto_endpoint(monkeypatch):
    """moto's server on a free port, AWS_ENDPOINT_URL pointing at it. Its S3, SNS and SQS
    are moto's of this process, which outlive the server: emptied before and after, so
    that no other test of this worker meets this one's queue or alerts."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    reset = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(reset).close()
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    yield endpoint
    urllib.request.urlopen(reset).close()
    server.stop()


def test_the_onnx_handler_runs_on_what_the_artifact_holds(moto_endpoint, tiny_model_dir, tmp_path):
    # GIVEN the stack's resources, an upload holding a steady tone, and a Python that can
    # import only what the Lambda's artifact and runtime provide
    aws = create_stack_resources(endpoint_url=moto_endpoint)
    aws.upload("uploads/tone.wav", write_wav(tmp_path / "tone.wav", tone(8.0, sr=SR), SR))
    event = event_for(aws, "s3-put-wav.json", "uploads/tone.wav")
    settings = handler_environment(
        aws, CLASSIFIER="onnx", MODEL_ARN="CHANGE_ME", ONNX_MODEL_DIR=str(tiny_model_dir)
    )
    environment = blocked_environment(
        tmp_path / "lambda-install",
        lambda_requirements(),
        why="not in the Lambda's artifact (inference/requirements.txt) or runtime",
        refused=HEAVY,
        test_modules=Path(__file__).parent,  # lambda_helpers
    )
    # WHEN the handler is loaded and given the event
    done = subprocess.run(
        [sys.executable, "-c", RUN_HANDLER, json.dumps(event)],
        env={**environment, **settings},
        capture_output=True,
        text=True,
    )
    # THEN it processed the upload with the ONNX model, stored its result and sent an alert
    assert done.returncode == 0, done.stderr
    [answer] = json.loads(done.stdout.splitlines()[-1])["results"]
    assert answer["status"] == "processed"
    result = aws.stored_result("results/tone.wav.json")
    assert result["alarm"] is True and result["classifier"]["backend"] == "onnx"
    assert len(aws.alerts()) == 1
