"""template.yaml and events/: the deployed resources, translated by the SAM translator as
`sam deploy` would, checked for what the function relies on (its environment, the upload
and results prefixes) and for least privilege."""

from __future__ import annotations

import json
import re
import tomllib
from urllib.parse import unquote_plus

import pytest
from aws_lambda_powertools.utilities.data_classes import S3Event
from lambda_helpers import EVENTS, MODEL_ARN, ROOT
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

from sounddetect.classifiers.base import MAX_THREADS, PLACEHOLDER_ARN, check_model_arn
from sounddetect.exceptions import ParameterError
from sounddetect.lambda_config import read_settings
from sounddetect.spectrum import SpectrogramConfig


class _ManagedPolicies:
    def load(self):
        arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
        return {"AWSLambdaBasicExecutionRole": arn}


@pytest.fixture(scope="module")
def template() -> dict:
    return yaml_parse((ROOT / "template.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def deployed(template) -> dict:
    """The CloudFormation the SAM transform makes (CodeUri as after `sam package`)."""
    source = json.loads(json.dumps(template))
    source["Resources"]["DetectFunction"]["Properties"]["CodeUri"] = "s3://artifacts/detect.zip"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        return transform(source, {}, _ManagedPolicies())


def function_environment(template, **parameters) -> dict[str, str]:
    """The function's environment with parameter defaults (or ``parameters``) filled in."""
    values = {name: str(spec.get("Default", "")) for name, spec in template["Parameters"].items()}
    values.update(parameters)
    env = template["Resources"]["DetectFunction"]["Properties"]["Environment"]["Variables"]
    resolved = {}
    for name, value in env.items():
        if isinstance(value, dict):
            (ref,) = value.values()
            value = values.get(ref, f"arn:aws:sns:us-east-1:123456789012:{ref}")
        resolved[name] = str(value)
    return resolved


def role_statements(deployed) -> list[dict]:
    """Every statement of the function's role; a conditional one (Fn::If) as it is."""
    role = deployed["Resources"]["DetectFunctionRole"]["Properties"]
    return [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]


def test_template_defaults_give_valid_settings_once_the_arn_and_config_are_set(template):
    whole = SpectrogramConfig().to_json()
    settings = read_settings(
        function_environment(template, ModelArn=MODEL_ARN, SpectrogramConfig=whole)
    )
    assert settings.classifier == "rekognition"
    # auto: a Rekognition model is rendered with its config's 4 s windows, 2 s apart
    assert (settings.hop_s, settings.spectrogram_config()) == (None, SpectrogramConfig())
    with pytest.raises(ParameterError, match="must give the whole config"):
        read_settings(function_environment(template, ModelArn=MODEL_ARN))
    # The event rule follows the hop unless the deployment sets it (detect_file derives it).
    assert (settings.min_windows, settings.merge_gap_s) == (None, None)
    assert settings.pattern_groups == 3  # the beep-pattern search is on, as in the CLI
    with pytest.raises(ParameterError, match="CHANGE_ME"):
        read_settings(function_environment(template))  # as the template's Rules refuse it
    assert read_settings(function_environment(template, Classifier="onnx")).classifier == "onnx"


@pytest.mark.parametrize(
    ("parameter", "accepted", "refused"),
    [
        ("MinEventWindows", ["auto", "1", "3", "12"], ["0", "2.5", "-1", "three", ""]),
        ("EventMergeGap", ["auto", "0", "2", "4.5"], ["-2", "2.", "soon", ""]),
    ],
)
def test_event_rule_parameters_take_auto_or_a_number(template, parameter, accepted, refused):
    spec = template["Parameters"][parameter]
    assert spec["Default"] == "auto"
    for value in accepted:
        assert re.fullmatch(spec["AllowedPattern"], value), value
        settings = read_settings(
            function_environment(template, Classifier="onnx", **{parameter: value})
        )
        expected = None if value == "auto" else float(value)
        field = "min_windows" if parameter == "MinEventWindows" else "merge_gap_s"
        assert getattr(settings, field) == expected
    for value in refused:
        assert not re.fullmatch(spec["AllowedPattern"], value), value


@pytest.mark.parametrize("parameter", ["SampleDuration", "WindowHop"])
def test_window_parameters_take_auto_or_seconds(template, parameter):
    spec = template["Parameters"][parameter]
    assert spec["Default"] == "auto"
    for value in ["auto", "4", "2.5", "1"]:
        assert re.fullmatch(spec["AllowedPattern"], value), value
    for value in ["-1", "4.", "four", ""]:
        assert not re.fullmatch(spec["AllowedPattern"], value), value


def test_sample_duration_takes_no_zero(template):
    # a window of 0 s passed the deployment and then stopped every cold start
    pattern = template["Parameters"]["SampleDuration"]["AllowedPattern"]
    for value in ["0.5", "0.05", "2", "10", "00.25"]:
        assert re.fullmatch(pattern, value), value
    for value in ["0", "0.0", "00", "0.00"]:
        assert not re.fullmatch(pattern, value), value


def test_window_hop_takes_a_tenth_of_a_second_or_more(template):
    # As the function and detect --hop: a shorter hop only costs time
    pattern = template["Parameters"]["WindowHop"]["AllowedPattern"]
    for value in ["0.1", "0.25", "00.5", "1.05", "10"]:
        assert re.fullmatch(pattern, value), value
    for value in ["0", "0.0", "0.05", "0.09", "00"]:
        assert not re.fullmatch(pattern, value), value


def resolved(template, node, **parameters):
    """``node`` of the template with the parameters' values (or defaults): each Ref to a
    parameter replaced, each Fn::If resolved by the condition it names (an Fn::Equals on a
    parameter, or its Not)."""
    values = {name: spec.get("Default") for name, spec in template["Parameters"].items()}
    values.update(parameters)

    def holds(condition) -> bool:
        if "Fn::Not" in condition:
            return not holds(condition["Fn::Not"][0])
        left, right = condition["Fn::Equals"]
        return str(values[left["Ref"]]) == str(right)

    def resolve(node):
        if isinstance(node, dict) and set(node) == {"Ref"} and node["Ref"] in values:
            return values[node["Ref"]]
        if isinstance(node, dict) and "Fn::If" in node:
            name, then, otherwise = node["Fn::If"]
            return resolve(then if holds(template["Conditions"][name]) else otherwise)
        if isinstance(node, dict):
            return {key: resolve(value) for key, value in node.items()}
        return node

    return resolve(node)


def lifecycle_rules(template, **parameters) -> list[dict]:
    """The audio bucket's lifecycle rules with the parameters' values (or defaults)."""
    bucket = template["Resources"]["AudioBucket"]["Properties"]
    rules = [
        resolved(template, rule, **parameters) for rule in bucket["LifecycleConfiguration"]["Rules"]
    ]
    return [rule for rule in rules if rule != {"Ref": "AWS::NoValue"}]


def test_old_versions_are_kept_unless_an_expiry_is_set(template):
    # Versioning keeps every recording a device uploads to one key; deleting them is the
    # user's choice, never the default.
    assert [rule["Id"] for rule in lifecycle_rules(template)] == ["AbortIncompleteUploads"]
    expiring = lifecycle_rules(template, OldVersionsExpireDays=30)
    assert expiring[1] == {
        "Id": "ExpireOldVersions",
        "Status": "Enabled",
        "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
    }


def test_rules_refuse_rekognition_without_a_model_arn(template):
    rule = template["Rules"]["RekognitionNeedsModelArn"]
    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "Classifier"}, "rekognition"]}
    assert rule["Assertions"][0]["Assert"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "ModelArn"}, "CHANGE_ME"]}]
    }


def test_rekognition_workers_are_a_parameter_within_the_code_s_range(template):
    # GIVEN the template's parameter for concurrent Rekognition requests
    spec = template["Parameters"]["RekognitionMaxWorkers"]
    assert (spec["Default"], spec["MinValue"], spec["MaxValue"]) == (4, 1, MAX_THREADS)
    # THEN the function is given its value
    whole = SpectrogramConfig().to_json()
    env = function_environment(
        template, ModelArn=MODEL_ARN, SpectrogramConfig=whole, RekognitionMaxWorkers="16"
    )
    assert read_settings(env).rekognition_max_workers == 16
    assert read_settings({**env, "REKOGNITION_MAX_WORKERS": "4"}).rekognition_max_workers == 4


def test_concurrency_is_unlimited_unless_a_limit_is_set(template, deployed):
    # GIVEN the parameter that caps how many recordings are processed at once
    spec = template["Parameters"]["MaxConcurrentRecordings"]
    assert (spec["Default"], spec["MinValue"]) == (0, 0)
    # THEN the deployed function reserves that many, and none (no limit) by default
    function = deployed["Resources"]["DetectFunction"]["Properties"]
    reserved = function["ReservedConcurrentExecutions"]
    assert resolved(deployed, reserved) == {"Ref": "AWS::NoValue"}
    assert resolved(deployed, reserved, MaxConcurrentRecordings=5) == 5


def test_continuous_tones_is_a_parameter_the_local_model_alone_may_turn_off(template):
    spec = template["Parameters"]["ContinuousTones"]
    assert (spec["Default"], spec["AllowedValues"]) == ("true", ["true", "false"])
    env = function_environment(template, Classifier="onnx", ContinuousTones="false")
    assert read_settings(env).continuous_tones is False
    rule = template["Rules"]["ContinuousTonesNeedTheLocalModel"]
    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "ContinuousTones"}, "false"]}
    assert rule["Assertions"][0]["Assert"] == {"Fn::Equals": [{"Ref": "Classifier"}, "onnx"]}


def test_pulse_patterns_is_a_parameter_off_by_default(template):
    spec = template["Parameters"]["PulsePatterns"]
    assert (spec["Default"], spec["AllowedValues"]) == ("false", ["true", "false"])
    assert read_settings(function_environment(template, Classifier="onnx")).pulse_patterns is False
    env = function_environment(template, Classifier="onnx", PulsePatterns="true")
    assert read_settings(env).pulse_patterns is True


def test_rules_refuse_rekognition_without_a_spectrogram_config(template):
    # its default, {}, would leave every field to the library's defaults (read_settings
    # refuses any field left out at cold start; the rule catches the default at deployment)
    rule = template["Rules"]["RekognitionNeedsSpectrogramConfig"]
    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "Classifier"}, "rekognition"]}
    assert template["Parameters"]["SpectrogramConfig"]["Default"] == "{}"
    assert rule["Assertions"][0]["Assert"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "SpectrogramConfig"}, "{}"]}]
    }


def test_model_arn_pattern_accepts_version_arns_only(template):
    pattern = re.compile(template["Parameters"]["ModelArn"]["AllowedPattern"])
    assert pattern.match(MODEL_ARN) and pattern.match("CHANGE_ME")
    assert not pattern.match(
        "arn:aws:rekognition:us-east-1:123456789012:project/smoke/1690000000000"
    )


@pytest.mark.parametrize(
    "arn",
    [
        MODEL_ARN,
        PLACEHOLDER_ARN,
        MODEL_ARN.replace("arn:aws:", "arn:aws-cn:").replace("us-east-1", "cn-north-1"),
        MODEL_ARN.replace("arn:aws:", "arn:aws-us-gov:").replace("us-east-1", "us-gov-west-1"),
        MODEL_ARN[:-1],  # a 12-digit version timestamp
        MODEL_ARN + "0",
        MODEL_ARN.replace("us-east-1", "useast1"),
        MODEL_ARN.replace("us-east-1", "us-east-1a"),
        MODEL_ARN.replace("arn:aws:", "arn:amazon:"),
        MODEL_ARN.replace("1763632800000", "\u0661" * 13),  # digits, but not 0-9
        MODEL_ARN + "\n",
        "arn:aws:rekognition:us-east-1:123456789012:project/smoke/1690000000000",
    ],
)
def test_model_arn_pattern_is_the_rule_the_function_applies(template, arn):
    # GIVEN the ARN check of the function's cold start, and the template's pattern
    pattern = re.compile(template["Parameters"]["ModelArn"]["AllowedPattern"])
    try:
        check_model_arn(arn)
    except ParameterError:
        refused = arn != PLACEHOLDER_ARN  # kept for Classifier=onnx; the Rules refuse it
    else:
        refused = False
    # THEN the deploy refuses exactly the ARNs the function would (CloudFormation matches
    # the whole value)
    assert (pattern.fullmatch(arn) is None) is refused


def test_an_ffmpeg_layer_is_attached_only_when_given(template, deployed):
    # GIVEN the optional layer parameter: empty, or a layer version ARN
    spec = template["Parameters"]["FfmpegLayerArn"]
    pattern = re.compile(spec["AllowedPattern"])
    assert spec["Default"] == "" and pattern.match("")
    assert pattern.match("arn:aws:lambda:eu-west-1:123456789012:layer:ffmpeg:3")
    assert not pattern.match("arn:aws:lambda:eu-west-1:123456789012:layer:ffmpeg")  # no version
    assert not pattern.match("arn:aws:lambda:eu-west-1:123456789012:function:ffmpeg:3")
    # THEN the deployed function lists it only under the condition that it is not empty
    condition = deployed["Conditions"]["HasFfmpegLayer"]
    assert condition == {"Fn::Not": [{"Fn::Equals": [{"Ref": "FfmpegLayerArn"}, ""]}]}
    layers = deployed["Resources"]["DetectFunction"]["Properties"]["Layers"]
    assert layers == [
        {"Fn::If": ["HasFfmpegLayer", {"Ref": "FfmpegLayerArn"}, {"Ref": "AWS::NoValue"}]}
    ]


def test_notification_fires_on_uploads_only_and_results_cannot_trigger(template, deployed):
    env = function_environment(template)
    bucket = deployed["Resources"]["AudioBucket"]["Properties"]
    (config,) = bucket["NotificationConfiguration"]["LambdaConfigurations"]
    assert config["Event"] == "s3:ObjectCreated:*"
    (rule,) = config["Filter"]["S3Key"]["Rules"]
    assert rule == {"Name": "prefix", "Value": env["UPLOAD_PREFIX"]}
    assert not env["RESULTS_PREFIX"].startswith(env["UPLOAD_PREFIX"])


def test_bucket_is_private_encrypted_versioned_and_tls_only(deployed):
    bucket = deployed["Resources"]["AudioBucket"]["Properties"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    (encryption,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    (statement,) = deployed["Resources"]["AudioBucketPolicy"]["Properties"]["PolicyDocument"][
        "Statement"
    ]
    assert statement["Effect"] == "Deny" and statement["Action"] == "s3:*"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_function_runtime_build_and_failure_destination(template, deployed):
    function = template["Resources"]["DetectFunction"]
    assert function["Metadata"]["BuildMethod"] == "makefile"
    assert template["Globals"]["Function"]["Runtime"] == "python3.12"
    invoke = deployed["Resources"]["DetectFunctionEventInvokeConfig"]["Properties"]
    assert invoke["MaximumRetryAttempts"] == 2
    assert invoke["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["FailedEventsQueue", "Arn"]
    }
    logs = deployed["Resources"]["DetectFunctionLogGroup"]["Properties"]
    assert logs["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert logs["LogGroupName"] == {"Fn::Sub": "/aws/lambda/${DetectFunction}"}


def test_the_function_runs_numpy_s_blas_on_one_thread(deployed):
    # Beside onnxruntime's threads (one per vCPU) OpenBLAS's own would only contend.
    variables = deployed["Resources"]["DetectFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["OPENBLAS_NUM_THREADS"] == "1"


def test_role_is_least_privilege(deployed):
    statements = [s for s in role_statements(deployed) if "Fn::If" not in s]
    granted = {}
    for statement in statements:
        assert statement["Effect"] == "Allow"
        actions = statement["Action"]
        for action in [actions] if isinstance(actions, str) else actions:
            assert "*" not in action
            granted.setdefault(action, []).append(json.dumps(statement["Resource"]))
    assert set(granted) == {
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:PutObject",
        "s3:ListBucket",
        "s3:ListBucketVersions",
        "sns:Publish",
        "sqs:SendMessage",
    }
    assert all("/uploads/*" in r or "/results/*" in r for r in granted["s3:GetObject"])
    assert sorted("/uploads/*" in r for r in granted["s3:GetObjectVersion"]) == [False, True]
    assert all("/uploads/*" in r or "/results/*" in r for r in granted["s3:GetObjectVersion"])
    assert granted["s3:ListBucketVersions"] == granted["s3:ListBucket"]
    assert ["/results/*" in r for r in granted["s3:PutObject"]] == [True]
    assert granted["sns:Publish"] == [json.dumps({"Ref": "AlertTopic"})]
    assert granted["sqs:SendMessage"] == [json.dumps({"Fn::GetAtt": ["FailedEventsQueue", "Arn"]})]


def test_rekognition_is_allowed_on_exactly_the_model_arn(deployed):
    policy = deployed["Resources"]["DetectFunctionRole"]["Properties"]["Policies"]
    conditional = [s for p in policy for s in p["PolicyDocument"]["Statement"] if "Fn::If" in s]
    (statement,) = conditional
    condition, allowed, otherwise = statement["Fn::If"]
    assert condition == "UseRekognition"
    assert allowed["Action"] == "rekognition:DetectCustomLabels"
    assert allowed["Resource"] == {"Ref": "ModelArn"}
    assert otherwise == {"Ref": "AWS::NoValue"}


def test_outputs_tell_where_to_upload_and_read(template):
    outputs = template["Outputs"]
    assert {"AudioBucketName", "UploadPrefix", "ResultsLocation", "AlertTopicArn"} <= set(outputs)
    assert outputs["UploadCommand"]["Value"] == {
        "Fn::Sub": "aws s3 cp recording.wav s3://${AudioBucket}/uploads/recording.wav"
    }


EXPECTED_KEYS = {
    "s3-put-wav.json": ["uploads/kitchen_alarm.wav"],
    "s3-put-mp3.json": ["uploads/hallway/night.mp3"],
    "s3-put-encoded-key.json": ["uploads/Küche Alarm+Test (1).wav"],
    "s3-put-not-audio.json": ["uploads/notes.txt"],
    "s3-put-folder-marker.json": ["uploads/2026-11-25/"],
    "s3-put-two-records.json": ["uploads/bedroom.flac", "uploads/garage.ogg"],
}


@pytest.mark.parametrize("name", sorted(EXPECTED_KEYS))
def test_sample_events_are_s3_put_events(name):
    event = S3Event(json.loads((EVENTS / name).read_text(encoding="utf-8")))
    keys = [unquote_plus(record.s3.get_object.key) for record in event.records]
    assert keys == EXPECTED_KEYS[name]
    for record in event.records:
        assert record.event_name == "ObjectCreated:Put"
        assert record.s3.get_object.etag and record.s3.get_object.version_id


def test_every_sample_event_is_tested():
    assert {p.name for p in EVENTS.glob("*.json")} == set(EXPECTED_KEYS)


def test_samconfig_overrides_name_template_parameters(template):
    config = tomllib.loads((ROOT / "samconfig.toml").read_text(encoding="utf-8"))
    overrides = config["default"]["deploy"]["parameters"]["parameter_overrides"]
    names = re.findall(r'(\w+)="', overrides)
    assert names and set(names) <= set(template["Parameters"])
    assert config["default"]["deploy"]["parameters"]["capabilities"] == "CAPABILITY_IAM"
