from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from models import mediapipe_selfie
from models.errors import ModelUnavailable
from models.runtime import run_model


@pytest.fixture(scope="module")
def segmenter():
    return mediapipe_selfie.SelfieSegmenter()


def test_model_file_ships_inside_the_wheel():
    path = mediapipe_selfie.model_file()
    assert "site-packages" in str(path) and path.name == "selfie_segmentation.tflite"
    assert path.read_bytes()[4:8] == b"TFL3"  # a TFLite flatbuffer


def test_portrait_centre_is_foreground_and_top_corners_background(segmenter, astronaut):
    alpha = segmenter.predict(astronaut)
    assert alpha.dtype == np.float32 and alpha.shape == (512, 512)
    assert alpha.min() >= 0.0 and alpha.max() <= 1.0
    assert alpha[224:288, 224:288].mean() > 0.9  # chest and face
    assert alpha[100:200, 180:260].mean() > 0.9  # face
    # The suit fills the bottom corners; the top corners show the flag and the wall.
    assert alpha[:32, :32].mean() < 0.05
    assert alpha[:32, -32:].mean() < 0.05


def test_odd_sized_photo_gives_alpha_at_photo_size(segmenter, astronaut):
    photo = astronaut.resize((333, 517))
    alpha = segmenter.predict(photo)
    assert alpha.shape == (517, 333)


def test_empty_scene_has_no_subject(segmenter):
    alpha = segmenter.predict(Image.new("RGB", (320, 240), (128, 128, 128)))
    assert alpha.max() < 0.1


def test_run_model_times_inference_and_runs_on_cpu_whatever_is_asked(astronaut):
    result = run_model("mediapipe_selfie", astronaut, "cuda")
    assert result.ok, result.error
    assert result.device == "cpu"
    assert result.found_subject
    assert 0 < result.inference_s < 30
    assert result.alpha.shape == (512, 512)


def test_missing_model_file_names_the_fix(monkeypatch):
    monkeypatch.setattr(mediapipe_selfie, "MODEL_FILE", "no_such_model.tflite")
    with pytest.raises(ModelUnavailable, match="uv sync"):
        mediapipe_selfie.model_file()
