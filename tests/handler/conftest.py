"""Fixtures for the Lambda handler tests (helpers in lambda_helpers.py)."""

from __future__ import annotations

import logging
import sys

import pytest
from aws_lambda_powertools.metrics.provider import cold_start
from lambda_helpers import APP_MODULE, REGION, LambdaContext, create_stack_resources, import_app
from moto import mock_aws


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch):
    """Fake credentials and region before any client exists; nothing reaches AWS."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "POWERTOOLS_SERVICE_NAME": "sounddetect",
        "POWERTOOLS_METRICS_NAMESPACE": "SoundDetect",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "LAMBDA_TASK_ROOT"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def reset_metrics():
    """Each test starts as a cold start with no metrics pending (Powertools keeps both
    at class level)."""
    cold_start.is_cold_start = True
    yield
    cold_start.is_cold_start = True


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext()


@pytest.fixture
def aws():
    with mock_aws():
        yield create_stack_resources()


@pytest.fixture
def load_app(monkeypatch):
    """``load_app(env) -> LoadedApp``: inference/app.py imported afresh with ``env`` set.

    Powertools configures the "sounddetect" logger (the parent of the library's loggers):
    its state is restored afterwards so later tests see the logging they expect."""
    package_logger = logging.getLogger("sounddetect")
    saved = (list(package_logger.handlers), package_logger.level, package_logger.propagate)

    def load(env: dict[str, str]):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        app = import_app()
        monkeypatch.setitem(sys.modules, APP_MODULE, app.module)
        return app

    yield load
    package_logger.handlers[:] = saved[0]
    package_logger.setLevel(saved[1])
    package_logger.propagate = saved[2]
    for attribute in (
        "init",
        "powertools_handler",
        "powertools_buffer_config",
        "powertools_buffer_cache",
    ):
        if hasattr(package_logger, attribute):
            delattr(package_logger, attribute)
    # Powertools also filters the "sounddetect" loggers out of the root logger's handlers.
    for handler in logging.root.handlers:
        for log_filter in list(handler.filters):
            if type(log_filter).__name__ == "SuppressFilter":
                handler.removeFilter(log_filter)
