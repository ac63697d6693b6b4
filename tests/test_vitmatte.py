"""ViTMatte as a refiner, loaded by transformers from the Hub cache, on a stand-in of the
real architecture with random weights (tests/standins/factory.py)."""

from __future__ import annotations

import numpy as np
import pytest

from blur.trimap import BACKGROUND, FOREGROUND, band_pixels, trimap
from models import registry
from service import ModelPool, PhotoFile
from service.session import Session
from tests.standins.factory import vitmatte_repo_files

VITMATTE = registry.get_refiner("vitmatte")
SELFIE = registry.get_spec("mediapipe_selfie")


@pytest.fixture(scope="module")
def repo_files(tmp_path_factory) -> dict[str, bytes]:
    return vitmatte_repo_files(tmp_path_factory.mktemp("vitmatte"))


def refine_the_astronaut(astronaut_path, timeout: float):
    """MediaPipe Selfie and its mask refined by ViTMatte, through a session and the pool as
    the app runs them: (raw result, refined result, the pool's worker starts)."""
    pool = ModelPool(ram_budget_mb=10_000)
    session = Session(pool)
    try:
        photo = session.add_photo("a", "a", "a", PhotoFile("a.png", astronaut_path.read_bytes()))
        refined = registry.refined(SELFIE, VITMATTE)
        session.submit([photo.id], [SELFIE, refined], "cpu")
        assert session.wait(timeout)
        raw, result = (session.result(photo.id, s, "cpu") for s in (SELFIE, refined))
        return raw, result, dict(pool.starts)
    finally:
        session.close()
        pool.shutdown()


def test_refines_a_models_mask_in_the_band_only(offline_hub, repo_files, astronaut_path):
    offline_hub.add(VITMATTE.repo, repo_files)
    raw, result, _ = refine_the_astronaut(astronaut_path, 300)
    assert result.ok, result.error
    assert result.spec.runner == VITMATTE and result.matte.shape == raw.matte.shape == (512, 512)
    known = trimap(raw.alpha, band_pixels(result.spec.trimap_band, raw.matte.shape))
    assert (result.matte[known == FOREGROUND] == 255).all()
    assert (result.matte[known == BACKGROUND] == 0).all()
    band = (known != FOREGROUND) & (known != BACKGROUND)
    assert 0.01 < band.mean() < 0.3
    assert not np.array_equal(result.matte[band], raw.matte[band])  # the network decided


def test_not_downloaded_offline_says_so_without_starting_it(offline_hub, astronaut_path):
    _, result, starts = refine_the_astronaut(astronaut_path, 60)
    assert result.error.startswith(  # what is missing is the refiner, not the model
        "ViTMatte is not downloaded yet and the Hugging Face Hub cannot be reached (offline)"
    )
    assert "hustvl/vitmatte-small-composition-1k" in result.error
    assert "`uv run portrait-blur models --check vitmatte`" in result.error
    assert ("vitmatte", "cpu") not in starts
