"""Segmentation models: a registry of specs and one adapter per family."""

from models.devices import device_label, device_options, resolve_device
from models.errors import ModelUnavailable
from models.registry import REGISTRY, ModelSpec, get_spec
from models.runtime import NO_SUBJECT, ModelResult, run_model, runs_on, unload

__all__ = [
    "NO_SUBJECT",
    "REGISTRY",
    "ModelResult",
    "ModelSpec",
    "ModelUnavailable",
    "device_label",
    "device_options",
    "get_spec",
    "resolve_device",
    "run_model",
    "runs_on",
    "unload",
]
