"""BiRefNet family (and RMBG 2.0, which is a BiRefNet): remote code and weights from the Hub.

The repos ship their architecture as transformers remote code (``config.json``'s
``auto_map`` names it). Their classes predate transformers 5: the model replaces its
``config`` with a plain object and never calls ``post_init``, so ``from_pretrained`` fails
on transformers 5, and its meta-device initialisation would leave non-persistent buffers
(Swin's relative position index) uninitialised. So the classes are imported exactly as
``trust_remote_code`` does, built on the CPU with real tensors, and ``model.safetensors``
is loaded strictly into them.

On the CPU the fixed-size entries run as an ONNX Runtime export (models.cpu_fast): about
half the time, the same alpha to float rounding. The export is made on the first load; if
it fails, the model runs in PyTorch and the log says why.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from models import cpu_fast, hub, torch_runtime
from models.devices import torch_device
from models.registry import ModelSpec

REPO_FILES = ["*.py", "*.json", "model.safetensors"]
MODEL_AUTO_CLASS = "AutoModelForImageSegmentation"

log = logging.getLogger("portrait_blur.birefnet")


def load_remote_model(model_dir: Path) -> torch.nn.Module:
    """Build the repo's model class from its own code and load its weights strictly."""
    from safetensors.torch import load_model
    from transformers.dynamic_module_utils import get_class_from_dynamic_module

    auto_map = json.loads((model_dir / "config.json").read_text())["auto_map"]
    model_class = get_class_from_dynamic_module(auto_map[MODEL_AUTO_CLASS], str(model_dir))
    config_class = get_class_from_dynamic_module(auto_map["AutoConfig"], str(model_dir))
    config = config_class.from_pretrained(str(model_dir))
    config.bb_pretrained = False  # the backbone's ImageNet weights are in model.safetensors
    model = model_class(config=config)
    load_model(model, str(model_dir / "model.safetensors"), strict=True)
    return model


class BiRefNetSegmenter:
    def __init__(self, spec: ModelSpec, device: str) -> None:
        self.spec = spec
        self.device = torch_device(device)
        model_dir = hub.fetch_snapshot(spec, REPO_FILES, required=spec.files)
        self.model = torch_runtime.prepare(load_remote_model(model_dir), spec, self.device)
        self.dtype = torch_runtime.model_dtype(spec, self.device)
        self.fast = None  # the ONNX Runtime forward, where it runs instead of self.model
        if cpu_fast.wanted(spec.onnx_on_cpu, device):
            self.fast = self._onnx_forward(model_dir)
        self._lock = threading.Lock()

    def _onnx_forward(self, model_dir: Path) -> cpu_fast.OnnxForward | None:
        """The export's forward (the eager model freed), or None where it cannot be made."""
        assert self.spec.input_size, "an export has one input size"
        try:
            fast = cpu_fast.onnx_forward(
                self.model, model_dir, model_dir.name, self.spec.input_size
            )
        except Exception:  # noqa: BLE001 - the eager model still answers, only slower
            log.warning("%s: no ONNX export, running PyTorch", self.spec.label, exc_info=True)
            return None
        self.model = None
        return fast

    @torch.inference_mode()
    def predict(self, image: Image.Image) -> np.ndarray:
        size = torch_runtime.working_size(self.spec, image.size)
        batch = torch_runtime.normalised_tensor(image, size, self.device, self.dtype)
        if self.device == "cuda":
            batch = batch.contiguous(memory_format=torch.channels_last)
        with self._lock:
            logits = self.fast(batch) if self.fast else self.model(batch)[-1]
        return torch_runtime.to_photo_alpha(logits.sigmoid(), image.size)

    def close(self) -> None:
        self.model = self.fast = None
        torch_runtime.free_device_memory(self.device)


def build(spec: ModelSpec, device: str) -> BiRefNetSegmenter:
    return BiRefNetSegmenter(spec, device)
