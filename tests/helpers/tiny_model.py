"""A tiny real ONNX model whose output depends on the image, built without torch.

The graph follows the model contract (input ``image`` float32 [N, C, H, W], output
``alarm_probability`` float32 [N]) and computes

    contrast = max over rows of the row's mean brightness - mean brightness of the image
    alarm_probability = sigmoid(gain * (contrast - CONTRAST_AT_HALF))

A steady tone is one bright band of rows on a dark image (high contrast: an "alarm");
noise lights every row about equally and silence none (low contrast: "no alarm").

With ``sounding=True`` it also has the output ``alarm_sounding`` float32 [N, W / 2], as
``sounddetect train``'s models do: per pair of columns, the mean of each column's brightest
pixel minus its mean brightness, through the same kind of sigmoid. A column crossed by a
tone has one bright pixel over a dark rest; a column of noise or silence does not.
"""

from __future__ import annotations

import json
from pathlib import Path

import onnx
from onnx import TensorProto, helper

from sounddetect.spectrum import SpectrogramConfig

#: Row contrast (image units 0..1) at which the probability is 0.5.
CONTRAST_AT_HALF = 0.35
#: Steepness of the sigmoid.
GAIN = 20.0


#: Column contrast at which the sounding probability is 0.5.
COLUMN_CONTRAST_AT_HALF = 0.3


def build_tiny_onnx(
    config: SpectrogramConfig,
    *,
    sounding: bool = False,
    column_contrast_at_half: float = COLUMN_CONTRAST_AT_HALF,
) -> onnx.ModelProto:
    """The contrast model as an ONNX graph for images rendered with ``config``; a
    ``column_contrast_at_half`` above 1 makes a model that never hears the alarm sound."""
    image = helper.make_tensor_value_info(
        "image", TensorProto.FLOAT, ["N", config.channels, config.height, config.width]
    )
    probability = helper.make_tensor_value_info("alarm_probability", TensorProto.FLOAT, ["N"])
    outputs = [probability]
    nodes = [
        helper.make_node("ReduceMean", ["image"], ["rows"], axes=[1, 3], keepdims=0),
        helper.make_node("ReduceMax", ["rows"], ["brightest"], axes=[1], keepdims=0),
        helper.make_node("ReduceMean", ["rows"], ["mean"], axes=[1], keepdims=0),
        helper.make_node("Sub", ["brightest", "mean"], ["contrast"]),
        helper.make_node("Sub", ["contrast", "at_half"], ["centred"]),
        helper.make_node("Mul", ["centred", "gain"], ["logit"]),
        helper.make_node("Sigmoid", ["logit"], ["alarm_probability"]),
    ]
    constants = [
        helper.make_tensor("at_half", TensorProto.FLOAT, [], [CONTRAST_AT_HALF]),
        helper.make_tensor("gain", TensorProto.FLOAT, [], [GAIN]),
    ]
    if sounding:
        outputs.append(
            helper.make_tensor_value_info(
                "alarm_sounding", TensorProto.FLOAT, ["N", config.width // 2]
            )
        )
        nodes += [
            # (N, C, H, W) -> (N, W): each column's brightest pixel minus its mean
            helper.make_node("ReduceMax", ["image"], ["column_max"], axes=[1, 2], keepdims=0),
            helper.make_node("ReduceMean", ["image"], ["column_mean"], axes=[1, 2], keepdims=0),
            helper.make_node("Sub", ["column_max", "column_mean"], ["columns"]),
            helper.make_node("Reshape", ["columns", "pairs_shape"], ["pairs"]),
            helper.make_node("ReduceMean", ["pairs"], ["steps"], axes=[2], keepdims=0),
            helper.make_node("Sub", ["steps", "column_at_half"], ["steps_centred"]),
            helper.make_node("Mul", ["steps_centred", "gain"], ["steps_logit"]),
            helper.make_node("Sigmoid", ["steps_logit"], ["alarm_sounding"]),
        ]
        constants += [
            helper.make_tensor("pairs_shape", TensorProto.INT64, [3], [0, config.width // 2, 2]),
            helper.make_tensor("column_at_half", TensorProto.FLOAT, [], [column_contrast_at_half]),
        ]
    graph = helper.make_graph(nodes, "tiny_contrast", [image], outputs, constants)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def write_tiny_model(
    model_dir,
    *,
    config: SpectrogramConfig | None = None,
    threshold: float = 0.5,
    name: str = "tiny",
    sounding: bool = False,
    column_contrast_at_half: float = COLUMN_CONTRAST_AT_HALF,
) -> Path:
    """Write ``model_dir/model.onnx`` and its sidecar ``model_dir/model.json`` (DESIGN.md; the
    format :func:`sounddetect.classifiers.onnx.read_model_json` reads)."""
    config = config or SpectrogramConfig()
    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    graph = build_tiny_onnx(
        config, sounding=sounding, column_contrast_at_half=column_contrast_at_half
    )
    onnx.save(graph, model_dir / "model.onnx")
    meta = {
        "format": "sounddetect-model/1",
        "labels": ["no_alarm", "alarm"],
        "threshold": threshold,
        "config": config.to_dict(),
        "input": "image",
        "output": "alarm_probability",
        "metrics": {},
        "data_hash": "sha256:test",
        "versions": {"onnx": onnx.__version__},
        "created": "2026-01-01T00:00:00+00:00",
        "name": name,
        **({"sounding_output": "alarm_sounding"} if sounding else {}),
    }
    (model_dir / "model.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return model_dir
