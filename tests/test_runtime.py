"""Loading, caching and failure handling, shared by every model family."""

from __future__ import annotations

import types

import numpy as np
import pytest
from PIL import Image

from models import registry, runtime
from models.errors import ModelUnavailable, describe_failure


class CountingSegmenter:
    """Stand-in that tests the loading plumbing, not a model: it returns a fixed square."""

    instances = 0

    def __init__(self, device: str) -> None:
        CountingSegmenter.instances += 1
        self.device = device
        self.closed = False

    def predict(self, image: Image.Image) -> np.ndarray:
        w, h = image.size
        alpha = np.zeros((h // 2, w // 2), np.float32)  # half size: the runtime must resize
        alpha[h // 8 : 3 * h // 8, w // 8 : 3 * w // 8] = 1.0
        return alpha

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def standin_family(monkeypatch):
    """An in-process adapter module (the runtime as a model worker runs it)."""
    import sys

    from models.registry import Family, ModelSpec

    CountingSegmenter.instances = 0
    module = types.ModuleType("tests_inprocess_standin")
    module.build = lambda spec, device: CountingSegmenter(device)
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setitem(sys.modules, "tests_inprocess_standin.adapter", module)
    spec = ModelSpec(
        key="standin", label="Stand-in", family=Family("tests_inprocess_standin.adapter"),
        mask_kind="alpha", licence="none", url="https://example.invalid", package="tests",
        devices=("cuda", "cpu"),
    )  # fmt: skip
    module.spec = spec
    monkeypatch.setattr(registry, "REGISTRY", registry.REGISTRY + (spec,))
    monkeypatch.setitem(sys.modules, spec.adapter, module)
    yield module
    runtime.unload("standin")


def test_registry_entries_are_complete_and_unique():
    keys = [spec.key for spec in registry.REGISTRY]
    assert len(keys) == len(set(keys))
    for spec in registry.REGISTRY:
        assert spec.mask_kind in ("alpha", "binary")
        assert spec.label and spec.source and spec.licence and spec.url.startswith("https://")
        assert "cpu" in spec.devices
    in_box = [s for s in registry.REGISTRY if s.asset]
    assert len(in_box) >= 5 and all(s.offline and s.worker_group == registry.IN_BOX for s in in_box)
    assert [s for s in registry.REGISTRY if s.default] == in_box  # the sample compares them all


def test_every_entry_names_an_adapter_that_can_build_it():
    """What a worker does first, for every entry: its family's module, with build()."""
    import importlib

    for spec in registry.REGISTRY + registry.REFINERS:
        assert isinstance(spec.family, registry.Family), spec.key
        adapter = importlib.import_module(spec.family.module)
        assert callable(adapter.build), spec.key


def test_a_misspelt_family_fails_when_the_entry_is_made():
    with pytest.raises(ImportError, match="models.birefnett"):
        registry.Family("models.birefnett")


def test_unknown_key_lists_known_ones():
    with pytest.raises(KeyError, match="mediapipe_selfie"):
        registry.get_spec("nope")


def test_model_is_loaded_once_per_device(standin_family):
    spec = registry.get_spec("standin")
    first, load_s = runtime.get_segmenter(spec, "cpu")
    again, again_s = runtime.get_segmenter(spec, "cpu")
    assert first is again and again_s == 0.0 and load_s >= 0.0
    assert CountingSegmenter.instances == 1


def test_switching_device_frees_the_old_copy(standin_family):
    spec = registry.get_spec("standin")
    on_cuda, _ = runtime.get_segmenter(spec, "cuda")
    on_cpu, _ = runtime.get_segmenter(spec, "cpu")
    assert on_cuda.closed and not on_cpu.closed
    assert ("standin", "cuda") not in runtime.loaded_models()
    assert ("standin", "cpu") in runtime.loaded_models()


def test_run_model_returns_alpha_at_photo_size(standin_family):
    result = runtime.run_model("standin", Image.new("RGB", (101, 67)), "cpu")
    assert result.ok
    assert result.alpha.dtype == np.float32 and result.alpha.shape == (67, 101)
    assert result.matte.dtype == np.uint8 and result.matte.max() == 255
    assert result.found_subject


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (MemoryError(), "ran out of memory. Choose CPU"),
        (RuntimeError("CUDA out of memory. Tried to allocate 2 GiB"), "ran out of memory"),
        (ModelUnavailable("Stand-in is offline: run X"), "Stand-in is offline: run X"),
        (ValueError("bad shape\nlong traceback detail"), "Stand-in failed: ValueError: bad shape"),
    ],
)
def test_failure_becomes_a_message_not_an_exception(standin_family, error, expected):
    def broken(image):
        raise error

    standin_family.build = lambda spec, device: types.SimpleNamespace(predict=broken)
    result = runtime.run_model("standin", Image.new("RGB", (32, 32)), "cpu")
    assert not result.ok and result.alpha is None
    assert expected in result.error
    assert "Traceback" not in result.error and "long traceback detail" not in result.error


def test_failure_to_load_is_reported_and_not_cached(standin_family):
    def fail(spec, device):
        raise OSError("weights missing")

    standin_family.build = fail
    result = runtime.run_model("standin", Image.new("RGB", (32, 32)), "cpu")
    assert result.error == "Stand-in failed: OSError: weights missing"
    assert ("standin", "cpu") not in runtime.loaded_models()


def test_as_alpha_enforces_the_contract():
    raw = np.array([[-0.5, 0.5], [np.nan, 2.0]], dtype=np.float64)
    alpha = runtime.as_alpha(raw, (4, 6))
    assert alpha.dtype == np.float32 and alpha.shape == (6, 4)
    assert alpha.min() >= 0.0 and alpha.max() <= 1.0
    with pytest.raises(ValueError, match="HxW"):
        runtime.as_alpha(np.zeros((2, 3, 4)), (3, 2))


def test_describe_failure_of_empty_message():
    spec = registry.get_spec("mediapipe_selfie")
    assert describe_failure(spec, KeyError()) == "MediaPipe Selfie failed: KeyError"


def test_every_entry_has_a_cost_class_that_sets_its_timeouts():
    from models.registry import HEAVY, LIGHT, MIN_TIMEOUT_S

    by_key = {spec.key: spec for spec in registry.REGISTRY}
    assert by_key["mediapipe_selfie"].cost is LIGHT
    heavy = {key for key, spec in by_key.items() if spec.cost is HEAVY}
    assert heavy == {"sam3", "birefnet_hr_matting", "birefnet_dynamic", "birefnet_dynamic_matting",
                     "birefnet_general_hr", "birefnet_lite_2k"}  # fmt: skip
    for spec in registry.REGISTRY:
        assert spec.timeout_s is None  # every limit comes from the class
        assert spec.timeout("cuda") >= MIN_TIMEOUT_S
        assert spec.timeout("cpu") >= spec.timeout("mps") >= spec.timeout("cuda")
    # HR Matting took 160-210 s a photo on two cores: its limit leaves room.
    assert by_key["birefnet_hr_matting"].timeout("cpu") >= 3 * 210
    assert by_key["sam3"].timeout("cpu") > by_key["birefnet_portrait"].timeout("cpu")
    assert by_key["birefnet_portrait"].timeout("cpu") > by_key["mediapipe_selfie"].timeout("cpu")
