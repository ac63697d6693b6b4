"""The CPU fast path (models.cpu_fast) through the BiRefNet adapter, on the stand-in repo whose
head is a deformable convolution, as BiRefNet's decoder has."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from models import birefnet, cpu_fast, devices, registry, runtime
from tests.conftest import red_subject_on_green
from tests.standins.factory import birefnet_repo_files

SMALL = (64, 64)  # the stand-in at a small input size: the same graph, exported in a second
PINNED = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def small_spec(offline_hub):
    spec = replace(registry.get_spec("birefnet_portrait"), input_size=SMALL, revision=PINNED)
    snapshot = offline_hub.add(spec.repo, birefnet_repo_files(), revision=PINNED)
    return spec, snapshot


def alpha_of(spec, device, photo):
    segmenter = birefnet.BiRefNetSegmenter(spec, device)
    return segmenter, segmenter.predict(photo)


def test_the_cpu_runs_the_export_kept_beside_the_weights_with_the_same_answer(small_spec):
    spec, snapshot = small_spec
    photo = red_subject_on_green((96, 80))
    fast, fast_alpha = alpha_of(spec, "cpu", photo)
    exact, exact_alpha = alpha_of(spec, devices.EXACT_CPU, photo)
    assert fast.model is None and fast.fast is not None
    assert exact.fast is None and exact.model.seen  # exact fp32: the eager model ran
    export = snapshot / f"cpu-fast-{PINNED[:12]}-64x64.onnx"
    assert sorted(p.name for p in snapshot.glob("*.onnx*")) == [export.name]
    assert np.abs(fast_alpha - exact_alpha).max() < 1e-5
    assert fast_alpha[40, 48] > 0.9 and fast_alpha[2, 2] < 0.1


def test_the_export_is_made_once(small_spec, monkeypatch):
    spec, _ = small_spec
    birefnet.BiRefNetSegmenter(spec, "cpu")

    def export_again(*args):
        raise AssertionError("exported again")

    monkeypatch.setattr(cpu_fast, "export", export_again)
    assert birefnet.BiRefNetSegmenter(spec, "cpu").fast is not None


def test_a_moved_pin_or_another_size_gets_its_own_export(small_spec, offline_hub):
    spec, snapshot = small_spec
    birefnet.BiRefNetSegmenter(spec, "cpu")
    birefnet.BiRefNetSegmenter(replace(spec, input_size=(96, 64)), "cpu")
    moved = "fedcba9876543210fedcba9876543210fedcba98"
    moved_snapshot = offline_hub.add(spec.repo, birefnet_repo_files(), revision=moved)
    birefnet.BiRefNetSegmenter(replace(spec, revision=moved), "cpu")
    assert sorted(p.name for p in snapshot.glob("*.onnx")) == [
        f"cpu-fast-{PINNED[:12]}-64x64.onnx",
        f"cpu-fast-{PINNED[:12]}-96x64.onnx",
    ]
    assert [p.name for p in moved_snapshot.glob("*.onnx")] == [f"cpu-fast-{moved[:12]}-64x64.onnx"]


def test_a_failed_export_leaves_no_file_and_the_model_still_answers(small_spec, monkeypatch):
    spec, snapshot = small_spec

    def export_dies_half_way(model, args, path, **kwargs):
        with open(path, "wb") as half:
            half.write(b"half a graph")
        raise MemoryError("killed half way")

    monkeypatch.setattr(torch.onnx, "export", export_dies_half_way)
    segmenter, alpha = alpha_of(spec, "cpu", red_subject_on_green((96, 80)))
    assert segmenter.fast is None and segmenter.model.seen  # eager PyTorch answered
    assert alpha[40, 48] > 0.9
    assert list(snapshot.glob("*.onnx*")) == []


def test_the_stand_in_keeps_the_deformable_convolution_trap(small_spec, tmp_path):
    """Without a symbolic for torchvision's deform_conv2d the export fails, as BiRefNet's does:
    so the tests above could fail if cpu_fast lost it."""
    spec, snapshot = small_spec
    model = birefnet.load_remote_model(snapshot).eval()
    cpu_fast._register_symbolics()  # for OPSET and later: the opset before has none
    with pytest.raises(Exception, match="torchvision::deform_conv2d"):  # noqa: B017
        torch.onnx.export(model, (torch.zeros(1, 3, 64, 64),), str(tmp_path / "m.onnx"),
                          opset_version=cpu_fast.OPSET - 1, dynamo=False)  # fmt: skip


@pytest.mark.parametrize("key", [s.key for s in registry.REGISTRY])
def test_exact_cpu_is_its_own_device_only_where_there_is_a_fast_path(key):
    spec = registry.get_spec(key)
    on = runtime.runs_on(spec, devices.EXACT_CPU)
    assert on == (devices.EXACT_CPU if spec.onnx_on_cpu else "cpu")
    assert devices.torch_device(on) == "cpu"


def test_the_sidebar_choice_resolves_to_exact_cpu():
    assert "CPU, exact fp32" in devices.device_options()
    assert devices.resolve_device("CPU, exact fp32") == devices.EXACT_CPU
    assert devices.resolve_device("CPU") == "cpu"


def test_exact_cpu_takes_the_eager_seconds():
    spec = registry.get_spec("birefnet_portrait")
    assert spec.seconds(devices.EXACT_CPU) > spec.seconds("cpu")
    assert spec.timeout(devices.EXACT_CPU) > spec.timeout("cpu")
