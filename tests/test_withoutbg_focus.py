"""withoutBG Focus through the withoutbg package's own routed pipeline, on a stand-in bundle
in the package's real format (tests/standins/factory.py: router, matting and BiRefNet
graphs, SHA256-checked by the package)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from models import hub, registry, runtime
from tests.conftest import red_subject_on_green
from tests.standins.factory import withoutbg_bundle_files

SPEC = registry.get_spec("withoutbg_focus")


@pytest.fixture
def bundle():
    return withoutbg_bundle_files()


@pytest.fixture
def withoutbg_hub(offline_hub, bundle):
    from withoutbg import models as withoutbg_models

    assert SPEC.repo == withoutbg_models.HF_REPO_ID
    assert SPEC.revision == withoutbg_models.HF_REVISION  # the registry pins what it pins
    assert SPEC.files == (withoutbg_models.HF_MODEL_FILENAME, withoutbg_models.HF_SIDECAR_FILENAME)
    snapshot = offline_hub.add(SPEC.repo, bundle, withoutbg_models.HF_REVISION)
    yield snapshot
    runtime.unload(SPEC.key)


def red_mostly(size: tuple[int, int]) -> Image.Image:
    """Red filling most of the frame: the stand-in router sends it to the BiRefNet branch."""
    w, h = size
    image = np.zeros((h, w, 3), np.uint8)
    image[..., 1] = 200
    image[h // 10 :, :] = (220, 30, 30)
    return Image.fromarray(image)


@pytest.mark.parametrize("photo", [red_subject_on_green((1001, 667)), red_mostly((640, 480))])
def test_runs_the_package_pipeline_from_the_hub_cache(withoutbg_hub, photo):
    """Either branch: the matting graph (reusing the router's input and features) for a
    green-dominated photo, BiRefNet for a red-dominated one."""
    result = runtime.run_model(SPEC.key, photo, "cuda")
    assert result.ok, result.error
    assert result.device == "cpu"  # its ONNX runtime session is CPU-only
    w, h = photo.size
    assert result.alpha.dtype == np.float32 and result.alpha.shape == (h, w)
    assert result.alpha[h * 3 // 5, w // 2] > 0.9 and result.alpha[3, 3] < 0.1


def test_every_bundle_file_comes_through_the_hub_helper(withoutbg_hub, bundle, monkeypatch):
    """So all of the download shows progress, and the package itself never downloads."""
    from withoutbg import models as withoutbg_models

    fetched = []
    fetch = hub.fetch_file
    monkeypatch.setattr(hub, "fetch_file", lambda spec, name: fetched.append(name) or fetch(
        spec, name))  # fmt: skip

    def no_download(*args, **kwargs):
        raise AssertionError("the package downloaded by itself")

    monkeypatch.setattr(withoutbg_models, "hf_hub_download", no_download)
    assert runtime.run_model(SPEC.key, red_subject_on_green((64, 64)), "cpu").ok
    assert sorted(set(fetched)) == sorted(bundle)


def test_a_graph_missing_from_the_cache_means_not_ready(offline_hub, bundle):
    from withoutbg import models as withoutbg_models

    del bundle["birefnet.onnx"]
    offline_hub.add(SPEC.repo, bundle, withoutbg_models.HF_REVISION)
    assert hub.missing_files(SPEC) == ["birefnet.onnx"]
    assert hub.availability(SPEC) == hub.OFFLINE
    result = runtime.run_model(SPEC.key, red_subject_on_green((64, 64)), "cpu")
    assert not result.ok and f"--check {SPEC.key}" in result.error


def test_a_damaged_graph_is_refused_with_the_fix(withoutbg_hub):
    (withoutbg_hub / "matting.onnx").write_bytes(b"truncated")
    result = runtime.run_model(SPEC.key, red_subject_on_green((64, 64)), "cpu")
    assert not result.ok
    assert "does not match its checksum" in result.error and "Delete that folder" in result.error


def test_offline_without_the_bundle_says_how_to_get_it(offline_hub):
    result = runtime.run_model(SPEC.key, red_subject_on_green((64, 64)), "cpu")
    assert not result.ok
    assert "withoutbg/withoutbg-openweights-onnx" in result.error
    assert f"--check {SPEC.key}" in result.error
