"""Shared test helpers: analytic signals and a tiny real ONNX model (no torch)."""
