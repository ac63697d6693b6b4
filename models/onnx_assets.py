"""The ONNX networks shipped in models/assets (and rembg's downloaded ones): one way to open
them, and one message for each way that can fail."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from models.errors import ModelUnavailable


def cpu_session(label: str, model_file: Path):
    """An onnxruntime session of ``model_file`` (a file shipped in models/assets, or one
    downloaded and checked already) on the CPU."""
    try:
        import onnxruntime
    except ImportError:
        raise ModelUnavailable(
            f"{label} needs the onnxruntime package, which is not installed. "
            "Run `uv sync` in the project folder."
        ) from None
    if not model_file.is_file():
        raise ModelUnavailable(
            f"{label}: its model file {model_file.name} is missing from {model_file.parent}. "
            f"Restore it with `git checkout -- {model_file.parent}`."
        )
    options = onnxruntime.SessionOptions()
    # Idle pool threads sleep instead of spinning: the server, its other sessions and the
    # browser share these cores, and a spinning pool slows both sides down.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(
        str(model_file), options, providers=["CPUExecutionProvider"]
    )


def alpha_at(session, tensor: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The graph's "alpha" output for its "image" input ``tensor``, resized bilinearly to
    ``size`` (w, h) and clipped to [0, 1] (the shipped graphs' own names, as the tools in
    tools/ write them)."""
    (mask,) = session.run(["alpha"], {"image": tensor})
    alpha = cv2.resize(mask, size, interpolation=cv2.INTER_LINEAR)
    return np.clip(alpha, 0.0, 1.0, out=alpha)
