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
    assert devices.device_options() == ["Auto", "CPU"]
    assert devices.resolve_device("Auto") == "cpu"
    with pytest.raises(ValueError, match="CUDA is not available"):
        devices.resolve_device("CUDA")


def test_auto_prefers_cuda(machine):
    machine(cuda=True, mps=False)
    assert devices.device_options() == ["Auto", "CUDA", "CPU"]
    assert devices.resolve_device("Auto") == "cuda"
    assert devices.resolve_device("CPU") == "cpu"


def test_auto_takes_mps_on_apple_silicon(machine):
    machine(cuda=False, mps=True)
    assert devices.device_options() == ["Auto", "MPS", "CPU"]
    assert devices.resolve_device("Auto") == "mps"


def test_cpu_only_model_falls_back_to_cpu():
    assert devices.device_for(("cpu",), "cuda") == "cpu"
    assert devices.device_for(("cuda", "cpu"), "cuda") == "cuda"


def test_real_machine_reports_what_torch_sees():
    import torch

    assert ("cuda" in devices.available_devices()) == torch.cuda.is_available()
    assert devices.available_devices()[-1] == "cpu"
