"""The CPU fast path: a torch model exported once to ONNX and run by ONNX Runtime.

On a CPU, ONNX Runtime runs BiRefNet's graph in about half the time of eager PyTorch with
the same answer to float rounding (``uv run python -m bench models --cpu-paths`` measures
each choice per family; README, "Heavy models on a CPU"). The export is made on the first
load and kept beside the weights, named by the commit the weights come from and the input
size, so a moved pin or another size never reuses a stale graph. It is written under a
temporary name and renamed, so an export that is killed leaves nothing half-written.

torch is imported only when an export or a run needs it: a worker sets the export listener
at its start, and workers of models without torch start sooner without it.

Users who want PyTorch's own fp32 arithmetic pick "CPU, exact fp32" (models.devices'
``EXACT_CPU``), on which the adapters run the eager model.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

OPSET = 19  # the first with DeformConv, which BiRefNet's decoder needs
EXPORT_PREFIX = "cpu-fast"

ExportListener = Callable[[], None]
_export_listener: ExportListener | None = None


def set_export_listener(listener: ExportListener | None) -> None:
    """Called when an export starts (a worker reports it: it takes a minute or more)."""
    global _export_listener
    _export_listener = listener


def wanted(onnx_on_cpu: bool, device: str) -> bool:
    """Whether a model that has the fast path runs it on ``device`` (not on EXACT_CPU)."""
    return onnx_on_cpu and device == "cpu"


def export_path(weights_dir: Path, revision: str, size: tuple[int, int]) -> Path:
    """Where the export of the weights at ``revision`` for (w, h) ``size`` is kept."""
    w, h = size
    return weights_dir / f"{EXPORT_PREFIX}-{revision[:12]}-{w}x{h}.onnx"


def _deform_conv_symbolic(g, data, weight, offset, mask, bias, stride_h, stride_w, pad_h, pad_w,
                          dilation_h, dilation_w, groups, offset_groups, use_mask):  # fmt: skip
    """torchvision's deform_conv2d as ONNX DeformConv (same offset layout: (y, x) pairs)."""
    from torch.onnx import symbolic_helper

    def const(value, kind="i"):
        return symbolic_helper._get_const(value, kind, "deform_conv2d")

    inputs = [data, weight, offset, bias]
    if const(use_mask, "b"):
        inputs.append(mask)
    return g.op(
        "DeformConv",
        *inputs,
        dilations_i=[const(dilation_h), const(dilation_w)],
        group_i=const(groups),
        kernel_shape_i=symbolic_helper._get_tensor_sizes(weight)[2:],
        offset_group_i=const(offset_groups),
        pads_i=[const(pad_h), const(pad_w), const(pad_h), const(pad_w)],
        strides_i=[const(stride_h), const(stride_w)],
    )


_registered = threading.Lock()
_symbolics_done = False


def _register_symbolics() -> None:
    import torch

    global _symbolics_done
    with _registered:
        if not _symbolics_done:
            torch.onnx.register_custom_op_symbolic(
                "torchvision::deform_conv2d", _deform_conv_symbolic, OPSET
            )
            _symbolics_done = True


def last_output(outputs):
    """The answer among a model's outputs: the last of a list, tuple or dict (BiRefNet's
    list of maps, transformers' output objects), however nested."""
    while isinstance(outputs, list | tuple | dict):
        outputs = list(outputs.values())[-1] if isinstance(outputs, dict) else outputs[-1]
    return outputs


def _last_output(model):
    """``model`` answering with its last output only, so the export holds no other head."""
    import torch

    class LastOutput(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, batch):
            return last_output(self.model(batch))

    return LastOutput().eval()


def export(model, size: tuple[int, int], path: Path, channels: int = 3) -> Path:
    """Export ``model`` (an eval fp32 torch module on the CPU) for a 1 x ``channels`` x H x W
    input at (w, h) ``size`` to ``path``."""
    import torch

    _register_symbolics()
    if _export_listener is not None:
        _export_listener()
    w, h = size
    example = torch.zeros(1, channels, h, w)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    try:
        with torch.inference_mode(False), torch.no_grad():
            torch.onnx.export(
                _last_output(model),
                (example,),
                str(partial),
                opset_version=OPSET,
                dynamo=False,  # the TorchScript tracer: it knows deform_conv2d's symbolic
                input_names=["image"],
                output_names=["logits"],
            )
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def session(path: Path):
    """An ONNX Runtime session on the CPU, all its graph optimisations on."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class OnnxForward:
    """Calls like the model's last output: a 1x3xHxW float32 tensor in, logits out."""

    def __init__(self, model_session) -> None:
        self.session = model_session
        self.input_name = model_session.get_inputs()[0].name
        shape = model_session.get_inputs()[0].shape
        self.input_hw = (shape[2], shape[3])

    def __call__(self, batch):
        import torch

        array = np.ascontiguousarray(batch.detach().cpu().numpy(), dtype=np.float32)
        (logits,) = self.session.run(None, {self.input_name: array})
        return torch.from_numpy(logits)


def onnx_forward(
    model, weights_dir: Path, revision: str, size: tuple[int, int]
) -> OnnxForward:
    """The model's fast CPU forward at ``size``: the cached export, made first if missing."""
    path = export_path(weights_dir, revision, size)
    if not path.is_file():
        export(model, size, path)
    return OnnxForward(session(path))
