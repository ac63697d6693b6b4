"""BEN2 through the real loading code: module and weights from a stand-in Hub repo."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from models import registry, runtime
from tests.conftest import red_subject_on_green
from tests.standins.factory import ben2_repo_files


@pytest.fixture
def ben2_hub(offline_hub, tmp_path):
    offline_hub.add(registry.get_spec("ben2").repo, ben2_repo_files(tmp_path))
    yield offline_hub
    runtime.unload("ben2")


def test_module_and_weights_come_from_the_hub_cache(ben2_hub):
    photo = red_subject_on_green((1001, 667))
    result = runtime.run_model("ben2", photo, "cpu")
    assert result.ok, result.error
    assert result.alpha.dtype == np.float32 and result.alpha.shape == (667, 1001)
    assert result.alpha[333, 500] > 0.9 and result.alpha[5, 5] < 0.1
    assert result.alpha.min() == 0.0 and result.alpha.max() == 1.0  # BEN2 stretches its mask
    segmenter, _ = runtime.get_segmenter(registry.get_spec("ben2"), "cpu")
    assert segmenter.model.seen[-1] == (1024, 1024)


def test_importing_ben2_leaves_global_torch_settings_alone(ben2_hub):
    precision = torch.get_float32_matmul_precision()
    deterministic = torch.backends.cudnn.deterministic
    result = runtime.run_model("ben2", red_subject_on_green((64, 64)), "cpu")
    assert result.ok, result.error
    assert torch.get_float32_matmul_precision() == precision
    assert torch.backends.cudnn.deterministic == deterministic


def test_uniform_mask_does_not_divide_by_zero(ben2_hub):
    flat = red_subject_on_green((64, 64)).convert("L").convert("RGB")  # grey: red == green
    result = runtime.run_model("ben2", flat, "cpu")
    assert result.ok and np.isfinite(result.alpha).all()
