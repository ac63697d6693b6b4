"""BEN2: the Python module and weights its Hugging Face repo ships, loaded like remote code.

BEN2's package is only installable from GitHub, so the adapter downloads ``BEN2.py`` and
``BEN2_Base.pth`` from the Hub (cached, revision-pinnable) and imports the module from the
cache, as ``trust_remote_code`` does for transformers. Inference follows BEN2's own
``inference``: 1024x1024 LANCZOS, ImageNet normalisation, the sigmoid mask resized back and
min-max stretched; the tensor is built here so CPU and MPS runs never get CUDA's fp16 input.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from pathlib import Path
from types import ModuleType

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from models import hub, torch_runtime
from models.registry import ModelSpec

MODULE_FILE = "BEN2.py"


def import_module_file(path: Path) -> ModuleType:
    """Import a repo's module file under a name unique to its snapshot."""
    name = f"ben2_remote_{path.parent.name}"
    if name in sys.modules:
        return sys.modules[name]
    module_spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(module_spec)
    # BEN2.py seeds every RNG and pins matmul precision and cuDNN flags when imported;
    # keep the rest of the process as it was.
    precision = torch.get_float32_matmul_precision()
    cudnn = (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
    try:
        module_spec.loader.exec_module(module)
    finally:
        torch.set_float32_matmul_precision(precision)
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = cudnn
    sys.modules[name] = module
    return module


class Ben2Segmenter:
    def __init__(self, spec: ModelSpec, device: str) -> None:
        self.spec = spec
        self.device = device
        module = import_module_file(hub.fetch_file(spec, MODULE_FILE))
        weights = hub.fetch_file(spec, spec.filename)
        model = module.BEN_Base()
        model.loadcheckpoints(str(weights))
        # BEN2 autocasts to fp16 on CUDA inside its own forward; weights stay float32.
        self.model = model.to(device).eval()
        self._lock = threading.Lock()

    @torch.inference_mode()
    def predict(self, image: Image.Image) -> np.ndarray:
        rgb = image.convert("RGB")
        resized = rgb.resize(self.spec.input_size, Image.Resampling.LANCZOS)
        batch = torch_runtime.normalised_tensor(
            resized, self.spec.input_size, self.device, torch.float32
        )
        with self._lock:
            mask = self.model(batch).float()
        w, h = image.size
        mask = F.interpolate(mask, size=(h, w), mode="bilinear", align_corners=False)[0, 0]
        low, high = mask.min(), mask.max()
        mask = (mask - low) / (high - low) if high > low else torch.zeros_like(mask)
        return mask.cpu().numpy().astype(np.float32)

    def close(self) -> None:
        self.model = None
        torch_runtime.free_device_memory(self.device)


def build(spec: ModelSpec, device: str) -> Ben2Segmenter:
    return Ben2Segmenter(spec, device)
