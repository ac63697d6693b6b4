"""Shared torch plumbing for the adapters: input sizes, tensors, precision per device."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from models.registry import ModelSpec

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def working_size(spec: ModelSpec, size: tuple[int, int]) -> tuple[int, int]:
    """The (w, h) a photo of ``size`` is resized to before it enters the model."""
    if spec.input_size:
        return spec.input_size
    w, h = size
    if spec.max_side and max(w, h) > spec.max_side:
        scale = spec.max_side / max(w, h)
        w, h = max(1, round(w * scale)), max(1, round(h * scale))
    if spec.size_multiple:
        m = spec.size_multiple
        w, h = math.ceil(w / m) * m, math.ceil(h / m) * m
    return w, h


def use_half(spec: ModelSpec, device: str) -> bool:
    return device == "cuda" and spec.half_on_cuda


def model_dtype(spec: ModelSpec, device: str) -> torch.dtype:
    return torch.float16 if use_half(spec, device) else torch.float32


def prepare(model: torch.nn.Module, spec: ModelSpec, device: str) -> torch.nn.Module:
    """Move a model to its device and precision, in eval mode."""
    model = model.to(device=device, dtype=model_dtype(spec, device)).eval()
    if device == "cuda":
        model = model.to(memory_format=torch.channels_last)
    return model


def normalised_tensor(
    image: Image.Image, size: tuple[int, int], device: str, dtype: torch.dtype
) -> torch.Tensor:
    """RGB photo -> 1x3xHxW tensor at ``size`` (w, h), ImageNet-normalised."""
    resized = image.convert("RGB").resize(size, Image.Resampling.BILINEAR)
    array = np.asarray(resized, dtype=np.float32) / 255.0
    array = (array - IMAGENET_MEAN) / IMAGENET_STD
    tensor = torch.from_numpy(array.astype(np.float32)).permute(2, 0, 1).unsqueeze(0)
    return tensor.to(device=device, dtype=dtype)


def to_photo_alpha(probabilities: torch.Tensor, size: tuple[int, int]) -> np.ndarray:
    """A 1x1xhxw (or hxw) probability map -> float32 HxW numpy at the photo's (w, h)."""
    probs = probabilities.float()
    while probs.dim() < 4:
        probs = probs.unsqueeze(0)
    w, h = size
    if probs.shape[-2:] != (h, w):
        probs = F.interpolate(probs, size=(h, w), mode="bilinear", align_corners=False)
    return probs[0, 0].clamp_(0, 1).cpu().numpy().astype(np.float32)


def free_device_memory(device: str) -> None:
    if device == "cuda" and torch.cuda.is_available():
        torch.cuda.empty_cache()
    elif device == "mps" and hasattr(torch, "mps") and torch.backends.mps.is_available():
        torch.mps.empty_cache()
