"""Every network shipped in models/assets, through the registry and the path the app runs:
each ships with its licence, runs offline on the CPU, finds the astronaut, and finds
nobody by area, not by a stray pixel. Their masks against their authors' runtimes are
in each family's own tests (test_mediapipe_selfie, test_ext_portrait, test_u2net)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PIL import Image

from models import registry
from models.errors import ModelUnavailable
from models.paths import ASSETS, asset_file
from models.runtime import MIN_SUBJECT_SHARE, run_model, unload
from service import ModelPool, PhotoFile
from tests.conftest import DATA

IN_BOX = [spec for spec in registry.REGISTRY if spec.asset]
KEYS = [spec.key for spec in IN_BOX]
# The person segmenters: the rocket photo has no person, and they say so by area.
PEOPLE = ["mediapipe_selfie", "mediapipe_selfie_landscape", "sinet"]
SHIPPED_MB = 10  # all of models/assets together


@pytest.fixture(scope="module", autouse=True)
def unload_after():
    yield
    unload()


def test_each_shipped_network_has_its_licence_and_a_line_in_the_readme():
    readme = (ASSETS / "README.md").read_text()
    for spec in IN_BOX:
        assert asset_file(spec.asset).stat().st_size > 100_000, spec.key
        row = next(line for line in readme.splitlines() if f"`{spec.asset}`" in line)
        licence = row.split("`")[-2]  # the row ends with its licence file, in backticks
        assert licence.endswith(".LICENSE") and (ASSETS / licence).is_file(), row
    assert sum(p.stat().st_size for p in ASSETS.iterdir()) < SHIPPED_MB * 1e6


@pytest.mark.parametrize("key", KEYS)
def test_finds_the_astronaut_on_the_cpu_whatever_is_asked(key, astronaut):
    result = run_model(key, astronaut, "cuda")
    assert result.ok, result.error
    assert result.device == "cpu" and result.found_subject
    alpha = result.alpha
    assert alpha.shape == (512, 512) and alpha.dtype == np.float32
    assert alpha[224:288, 224:288].mean() > 0.9  # chest and face
    assert alpha[100:200, 180:260].mean() > 0.9  # face
    assert alpha[:16, :16].mean() < 0.05 and alpha[:32, -32:].mean() < 0.05  # flag, wall


@pytest.mark.parametrize("key", KEYS)
def test_an_odd_sized_photo_gets_its_own_size(key, astronaut):
    result = run_model(key, astronaut.resize((333, 517)), "cpu")
    assert result.ok and result.matte.shape == (517, 333)


@pytest.mark.parametrize("key", KEYS)
def test_an_empty_wall_has_nobody(key):
    result = run_model(key, Image.new("RGB", (320, 240), (128, 128, 128)), "cpu")
    assert result.ok and not result.found_subject


def test_the_rocket_has_nobody_by_area_though_some_pixels_are_over_the_old_threshold():
    """A launch photo: the person models leave a few pixels over 0.1 (MediaPipe Selfie) or
    0.5 (SINet), which a one-pixel rule called a subject; by area they find nobody."""
    rocket = Image.open(DATA / "rocket.jpg").convert("RGB")
    results = {key: run_model(key, rocket, "cpu") for key in PEOPLE}
    for key, result in results.items():
        assert result.ok and not result.found_subject, key
        assert result.subject_share < MIN_SUBJECT_SHARE
    assert results["mediapipe_selfie"].matte.max() >= 0.09 * 255
    assert results["sinet"].matte.max() >= 128


@pytest.mark.parametrize("spec", IN_BOX, ids=KEYS)
def test_a_missing_model_file_names_the_fix(spec):
    missing = dataclasses.replace(spec, asset="missing.onnx")
    with pytest.raises(ModelUnavailable, match="git checkout") as failure:
        missing.family.build(missing, "cpu")
    assert spec.label in str(failure.value) and "missing.onnx" in str(failure.value)


def test_all_of_them_run_in_one_worker_process_and_decode_the_photo_once(astronaut_path):
    pool = ModelPool(ram_budget_mb=10_000, gpu_budget_mb=0)
    photo = PhotoFile("astronaut.png", astronaut_path.read_bytes())
    try:
        results = [pool.run(spec, photo, "cpu") for spec in IN_BOX]
        again = pool.run(IN_BOX[0], photo, "cpu")
    finally:
        pool.shutdown()
    assert all(result.ok and result.found_subject for result in results)
    assert pool.starts == {(registry.IN_BOX, "cpu"): 1}
    assert results[0].load_s > 0 and again.load_s == 0  # each model is built once
    assert np.array_equal(again.matte, results[0].matte)


def test_a_model_is_ready_once_loaded_in_its_live_worker(astronaut_path):
    """What a session counts as quick (service.Session.seconds_left): a loaded model runs
    without a start; another of the same worker is not loaded until it first runs."""
    pool = ModelPool(ram_budget_mb=10_000, gpu_budget_mb=0)
    sinet, u2netp = registry.get_spec("sinet"), registry.get_spec("u2netp")
    assert not pool.ready(sinet, "cpu")
    try:
        assert pool.run(sinet, PhotoFile("astronaut.png", astronaut_path.read_bytes()), "cpu").ok
        assert pool.ready(sinet, "cpu") and not pool.ready(u2netp, "cpu")
    finally:
        pool.shutdown()
    assert not pool.ready(sinet, "cpu")
