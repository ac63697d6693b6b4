"""withoutBG Focus through the withoutbg package's own loading, on a tiny ONNX made by torch."""

from __future__ import annotations

import numpy as np
import pytest

from models import registry, runtime
from tests.conftest import red_subject_on_green
from tests.standins.factory import withoutbg_bundle_files


@pytest.fixture
def withoutbg_hub(offline_hub, tmp_path):
    from withoutbg import models as withoutbg_models

    spec = registry.get_spec("withoutbg_focus")
    assert spec.repo == withoutbg_models.HF_REPO_ID
    assert spec.revision == withoutbg_models.HF_REVISION  # the registry pins what it pins
    assert spec.files == (withoutbg_models.HF_MODEL_FILENAME, withoutbg_models.HF_SIDECAR_FILENAME)
    offline_hub.add(spec.repo, withoutbg_bundle_files(tmp_path), withoutbg_models.HF_REVISION)
    yield offline_hub
    runtime.unload("withoutbg_focus")


def test_runs_the_package_pipeline_from_the_hub_cache(withoutbg_hub):
    photo = red_subject_on_green((1001, 667))
    result = runtime.run_model("withoutbg_focus", photo, "cuda")
    assert result.ok, result.error
    assert result.device == "cpu"  # its ONNX runtime session is CPU-only
    assert result.alpha.dtype == np.float32 and result.alpha.shape == (667, 1001)
    assert result.alpha[333, 500] > 0.9 and result.alpha[5, 5] < 0.1


def test_offline_without_the_bundle_says_how_to_get_it(offline_hub):
    result = runtime.run_model("withoutbg_focus", red_subject_on_green((64, 64)), "cpu")
    assert not result.ok
    assert "withoutbg/withoutbg-openweights-onnx" in result.error
    assert "--check withoutbg_focus" in result.error
