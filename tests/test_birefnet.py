"""BiRefNet family and RMBG 2.0 through the real loading code, on a stand-in remote-code repo."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from models import birefnet, devices, registry, runtime, torch_runtime
from tests.conftest import red_subject_on_green
from tests.standins.factory import birefnet_repo_files, birefnet_variant

BIREFNET_KEYS = [s.key for s in registry.REGISTRY if s.family == registry.BIREFNET]


@pytest.fixture
def birefnet_hub(offline_hub):
    for key in BIREFNET_KEYS:
        repo = registry.get_spec(key).repo
        offline_hub.add(repo, birefnet_variant(repo))
    yield offline_hub
    for key in BIREFNET_KEYS:
        runtime.unload(key)


def test_ten_entries_share_one_adapter():
    assert sorted(BIREFNET_KEYS) == sorted(
        [
            "birefnet_portrait",
            "birefnet_matting",
            "birefnet_hr_matting",
            "birefnet_dynamic",
            "birefnet_dynamic_matting",
            "birefnet_general",
            "birefnet_general_hr",
            "birefnet_lite",
            "birefnet_lite_2k",
            "rmbg2",
        ]
    )


def test_transformers_from_pretrained_cannot_load_such_remote_code(birefnet_hub):
    """Why the adapter builds the class itself: the plain path fails on this transformers."""
    from transformers import AutoModelForImageSegmentation

    snapshot = birefnet.hub.fetch_snapshot(registry.get_spec("birefnet_portrait"))
    with pytest.raises(Exception):  # noqa: B017 - any failure proves the point
        model = AutoModelForImageSegmentation.from_pretrained(snapshot, trust_remote_code=True)
        model(torch.zeros(1, 3, 64, 64))


@pytest.mark.parametrize(
    ("key", "size", "expected_input"),
    [
        ("birefnet_portrait", (1001, 667), (1024, 1024)),
        ("birefnet_matting", (640, 480), (1024, 1024)),
        ("birefnet_hr_matting", (1001, 667), (2048, 2048)),
        ("rmbg2", (333, 517), (1024, 1024)),
        ("birefnet_dynamic", (1001, 667), (1024, 704)),
        ("birefnet_dynamic_matting", (640, 480), (640, 512)),
        ("birefnet_dynamic", (4000, 3000), (2048, 1536)),
        ("birefnet_general", (640, 480), (1024, 1024)),
        ("birefnet_general_hr", (640, 480), (2048, 2048)),
        ("birefnet_lite", (333, 517), (1024, 1024)),
        ("birefnet_lite_2k", (1001, 667), (2560, 1440)),  # (w, h): landscape
    ],
)
def test_loads_through_the_hub_cache_and_follows_the_input_policy(
    birefnet_hub, key, size, expected_input
):
    photo = red_subject_on_green(size)
    result = runtime.run_model(key, photo, "cpu")
    assert result.ok, result.error
    alpha = result.alpha
    assert alpha.dtype == np.float32 and alpha.shape == (size[1], size[0])
    assert alpha.min() >= 0.0 and alpha.max() <= 1.0
    w, h = size
    assert alpha[h // 2, w // 2] > 0.9  # the red subject
    assert alpha[5, 5] < 0.1  # the green background
    spec = registry.get_spec(key)
    segmenter, _ = runtime.get_segmenter(spec, "cpu")
    if spec.onnx_on_cpu:  # the export at the entry's size runs, the eager model is gone
        assert segmenter.model is None
        assert segmenter.fast.input_hw == (expected_input[1], expected_input[0])
    else:
        (seen_hw, dtype) = segmenter.model.seen[-1]
        assert seen_hw == (expected_input[1], expected_input[0])
        assert dtype == torch.float32


@pytest.mark.parametrize(
    ("key", "half"),
    [("birefnet_portrait", True), ("rmbg2", False), ("birefnet_matting", False),
     ("birefnet_hr_matting", False), ("birefnet_dynamic_matting", False)],
)  # fmt: skip
def test_half_precision_on_cuda_except_matting(key, half):
    spec = registry.get_spec(key)
    assert torch_runtime.use_half(spec, "cuda") is half
    assert torch_runtime.model_dtype(spec, "cpu") == torch.float32
    assert torch_runtime.model_dtype(spec, "mps") == torch.float32


@pytest.mark.parametrize("key", BIREFNET_KEYS)
def test_every_entry_runs_in_the_precision_it_gets_on_cuda(birefnet_hub, key):
    """The repo's own code in the dtype the adapter picks on CUDA (run here on the CPU):
    RMBG-2.0's float32 attention mask fails in half precision, so it must get float32."""
    spec = registry.get_spec(key)
    segmenter = birefnet.BiRefNetSegmenter(spec, devices.EXACT_CPU)  # the eager model
    dtype = torch_runtime.model_dtype(spec, "cuda")
    model = segmenter.model.to(dtype)
    logits = model(torch.rand(1, 3, 64, 64, dtype=dtype))[-1]
    assert logits.dtype == dtype


def test_the_rmbg2_stand_in_keeps_the_half_precision_trap(birefnet_hub):
    """Without the trap, the test above could not fail."""
    segmenter = birefnet.BiRefNetSegmenter(registry.get_spec("rmbg2"), devices.EXACT_CPU)
    model = segmenter.model.half()
    with pytest.raises(RuntimeError, match="same dtype"):
        model(torch.rand(1, 3, 64, 64, dtype=torch.float16))


def test_cuda_path_casts_model_and_input(monkeypatch, birefnet_hub):
    """No GPU here: record what the adapter asks of torch on a mocked CUDA device."""
    moves = []
    real_to = torch.nn.Module.to

    def fake_to(self, *args, **kwargs):
        moves.append(dict(kwargs))
        kwargs.pop("device", None)
        kwargs.pop("memory_format", None)
        return real_to(self, *args, **kwargs)

    monkeypatch.setattr(torch.nn.Module, "to", fake_to)
    spec = registry.get_spec("birefnet_portrait")
    segmenter = birefnet.BiRefNetSegmenter(spec, "cuda")
    assert {"device": "cuda", "dtype": torch.float16} in moves
    assert {"memory_format": torch.channels_last} in moves
    assert segmenter.dtype == torch.float16


def test_revision_pin_is_used(offline_hub):
    spec = registry.get_spec("birefnet_portrait")
    pinned = "0123456789abcdef0123456789abcdef01234567"
    offline_hub.add(spec.repo, birefnet_repo_files(), revision=pinned)
    from dataclasses import replace

    path = birefnet.hub.fetch_snapshot(replace(spec, revision=pinned))
    assert path.name == pinned


def test_missing_repo_offline_names_repo_cache_and_command(offline_hub):
    result = runtime.run_model("birefnet_portrait", red_subject_on_green((64, 64)), "cpu")
    assert not result.ok
    assert "ZhengPeng7/BiRefNet-portrait" in result.error
    assert str(offline_hub.root) in result.error
    assert "uv run portrait-blur models --check birefnet_portrait" in result.error


def test_an_interrupted_download_is_never_loaded(offline_hub):
    spec = registry.get_spec("birefnet_portrait")
    files = birefnet_repo_files()
    del files["model.safetensors"]  # the weights never finished downloading
    snapshot = offline_hub.add(spec.repo, files)
    blobs = snapshot.parent.parent / "blobs"
    blobs.mkdir()
    (blobs / "0123abcd.incomplete").write_bytes(b"half a file")
    result = runtime.run_model("birefnet_portrait", red_subject_on_green((64, 64)), "cpu")
    assert result.error.startswith("BiRefNet Portrait's download is incomplete")
    assert "model.safetensors missing" in result.error
    assert "--check birefnet_portrait" in result.error
