"""Compute devices: what this machine offers and what "Auto" means."""

from __future__ import annotations

import os

AUTO = "Auto"
# The CPU with PyTorch's own fp32 arithmetic for the models whose CPU path is otherwise an
# ONNX Runtime export (models.cpu_fast); every other model runs as on "cpu".
EXACT_CPU = "cpu_exact"
LABELS = {"cuda": "CUDA", "mps": "MPS", "cpu": "CPU", EXACT_CPU: "CPU, exact fp32"}
CHOICES = (AUTO, *LABELS.values())  # every choice a user can type, available here or not


# torch is imported only when asked: model workers that never touch it start seconds sooner.
def cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def mps_available() -> bool:
    import torch

    mps = getattr(torch.backends, "mps", None)
    return bool(mps and mps.is_available())


def gpu_free_mb() -> float | None:
    """Free memory of the CUDA GPU the models use, in MB, as the driver reports it (NVML:
    no CUDA context is made in this process); None where it cannot be read."""
    try:
        import pynvml

        pynvml.nvmlInit()
    except Exception:  # noqa: BLE001 - no driver, no GPU, no library: unknown
        return None
    try:
        first = os.environ.get("CUDA_VISIBLE_DEVICES", "0").split(",")[0].strip() or "0"
        if first.isdigit():
            handle = pynvml.nvmlDeviceGetHandleByIndex(int(first))
        else:
            handle = pynvml.nvmlDeviceGetHandleByUUID(first)
        return pynvml.nvmlDeviceGetMemoryInfo(handle).free / 2**20
    except Exception:  # noqa: BLE001
        return None
    finally:
        pynvml.nvmlShutdown()


def available_devices() -> list[str]:
    """Torch device names usable here, fastest first."""
    found = []
    if cuda_available():
        found.append("cuda")
    if mps_available():
        found.append("mps")
    return found + ["cpu"]


def device_options() -> list[str]:
    """Choices for the sidebar: Auto, each available device's label, then exact CPU."""
    return [AUTO] + [LABELS[d] for d in (*available_devices(), EXACT_CPU)]


def resolve_device(choice: str) -> str:
    """Turn a sidebar choice ("Auto", "CUDA", "MPS", "CPU", "CPU, exact fp32") into a device
    name: a torch device's, or EXACT_CPU."""
    if choice == AUTO:
        return available_devices()[0]
    by_label = {label.lower(): device for device, label in LABELS.items()}
    device = by_label.get(choice.lower())
    if device is None:
        raise ValueError(f"unknown device {choice!r}; choose one of {device_options()}")
    if device not in (*available_devices(), EXACT_CPU):
        raise ValueError(f"{LABELS[device]} is not available on this machine")
    return device


def device_label(device: str) -> str:
    return LABELS.get(device, device)


def device_for(supported: tuple[str, ...], requested: str) -> str:
    """The device a model actually runs on: the requested one if it supports it, else CPU."""
    return requested if requested in supported else "cpu"


def torch_device(device: str) -> str:
    """The torch device behind a device name (exact CPU is torch's CPU)."""
    return "cpu" if device == EXACT_CPU else device


def on_cpu(device: str) -> bool:
    return torch_device(device) == "cpu"
