"""A tiny real ONNX model whose output depends on the image, built without torch.

The graph follows the model contract (input ``image`` float32 [N, C, H, W], output
``alarm_probability`` float32 [N]) and computes

    contrast = max over rows of the row's mean brightness - mean brightness of the image
    alarm_probability = sigmoid(gain * (contrast - CONTRAST_AT_HALF))

A steady tone is one bright band of rows on a dark image (high contrast: an "alarm");
noise lights every row about equally and silence none (low contrast: "no alarm").
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


def build_tiny_onnx(config: SpectrogramConfig) -> onnx.ModelProto:
    """The contrast model as an ONNX graph for images rendered with ``config``."""
    image = helper.make_tensor_value_info(
        "image", TensorProto.FLOAT, ["N", config.channels, config.height, config.width]
    )
    probability = helper.make_tensor_value_info("alarm_probability", TensorProto.FLOAT, ["N"])
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
    graph = helper.make_graph(nodes, "tiny_contrast", [image], [probability], constants)
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
) -> Path:
    """Write ``model_dir/model.onnx`` and ``model_dir/model.json`` (CONTRACTS.md format)."""
    config = config or SpectrogramConfig()
    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    onnx.save(build_tiny_onnx(config), model_dir / "model.onnx")
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
    }
    (model_dir / "model.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return model_dir
