"""SINet and ExtremeC3Net through onnxruntime: the authors' PyTorch masks, reproduced."""

from __future__ import annotations

import numpy as np
import pytest

from models import ext_portrait
from models.paths import asset_file
from models.registry import get_spec
from tests.references import agreement, reference_mask, reference_names, reference_photo

KEYS = ("sinet", "extremec3")


def test_models_ship_with_the_app_and_their_licence():
    for key in KEYS:
        assert 150_000 < asset_file(f"{key}.onnx").stat().st_size < 600_000
    licence = asset_file("ext_portrait_segmentation.LICENSE").read_text()
    assert "Copyright (c) 2019-present NAVER Corp." in licence
    assert "Permission is hereby granted, free of charge" in licence


@pytest.mark.parametrize(
    ("key", "name"),
    [(key, name) for key in KEYS for name in reference_names(f"{key}_reference")],
)
def test_masks_match_the_authors_pytorch_models(key, name):
    """Recorded by tools/ext_portrait_onnx.py with the authors' PyTorch models and their
    demo's preprocessing, at commit 9bc1bad of clovaai/ext_portrait_segmentation. The only
    difference expected is the references' 8-bit rounding (at most 0.002 a pixel, 0.001 on
    average); a >0.5 region may lose the odd pixel sitting at exactly 0.5, which rounds up
    (IoU 0.9998 at worst). The bounds leave twice that for another onnxruntime's arithmetic;
    no maximum is checked, as one flipped ExtremeC3Net logit near 0 moves a whole pixel."""
    alpha = ext_portrait.build(get_spec(key), "cpu").predict(reference_photo(name))
    assert alpha.dtype == np.float32
    iou, mean_difference = agreement(alpha, reference_mask(f"{key}_reference", name))
    assert iou >= 0.999 and mean_difference <= 0.002
