"""Device choice, with CUDA and MPS availability mocked where the hardware is absent."""

from __future__ import annotations

import pytest

from models import devices


@pytest.fixture
def machine(monkeypatch):
    def set_machine(cuda: bool, mps: bool) -> None:
        monkeypatch.setattr(devices, "cuda_available", lambda: cuda)
        monkeypatch.setattr(devices, "mps_available", lambda: mps)

    return set_machine


def test_cpu_only_machine(machine):
    machine(cuda=False, mps=False)
    assert devices.device_options() == ["Auto", "CPU", "CPU, exact fp32"]
    assert devices.resolve_device("Auto") == "cpu"
    with pytest.raises(ValueError, match="CUDA is not available"):
        devices.resolve_device("CUDA")


def test_auto_prefers_cuda(machine):
    machine(cuda=True, mps=False)
    assert devices.device_options() == ["Auto", "CUDA", "CPU", "CPU, exact fp32"]
    assert devices.resolve_device("Auto") == "cuda"
    assert devices.resolve_device("CPU") == "cpu"


def test_auto_takes_mps_on_apple_silicon(machine):
    machine(cuda=False, mps=True)
    assert devices.device_options() == ["Auto", "MPS", "CPU", "CPU, exact fp32"]
    assert devices.resolve_device("Auto") == "mps"


def test_cpu_only_model_falls_back_to_cpu():
    assert devices.device_for(("cpu",), "cuda") == "cpu"
    assert devices.device_for(("cuda", "cpu"), "cuda") == "cuda"


def test_real_machine_reports_what_torch_sees():
    import torch

    assert ("cuda" in devices.available_devices()) == torch.cuda.is_available()
    assert devices.available_devices()[-1] == "cpu"


class FakeNvml:
    """pynvml at its boundary: one driver, GPUs by index or UUID, each with free memory."""

    def __init__(self, free_mb: dict, fails: bool = False) -> None:
        self.free_mb, self.fails, self.shut = free_mb, fails, False

    def nvmlInit(self):
        if self.fails:
            raise OSError("NVML Shared Library Not Found")

    def nvmlDeviceGetHandleByIndex(self, index):
        return index

    def nvmlDeviceGetHandleByUUID(self, uuid):
        return uuid

    def nvmlDeviceGetMemoryInfo(self, handle):
        from types import SimpleNamespace

        return SimpleNamespace(free=self.free_mb[handle] * 2**20)

    def nvmlShutdown(self):
        self.shut = True


def test_gpu_free_memory_of_the_gpu_the_models_use(monkeypatch):
    import sys

    nvml = FakeNvml({0: 9000, 2: 3000, "GPU-abc": 1500})
    monkeypatch.setitem(sys.modules, "pynvml", nvml)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert devices.gpu_free_mb() == 9000
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,3")
    assert devices.gpu_free_mb() == 3000
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "GPU-abc")
    assert devices.gpu_free_mb() == 1500
    assert nvml.shut
    monkeypatch.setitem(sys.modules, "pynvml", FakeNvml({}, fails=True))
    assert devices.gpu_free_mb() is None  # no driver: unknown, never a refusal
