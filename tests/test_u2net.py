"""rembg's networks as one family (models/u2net.py): the shipped U^2-Net-p gives the rembg
package's own masks to the bit; the downloaded ones come through models.hub's release
download (progress, rembg's MD5, nothing partial kept, the offline message), tested on
stand-ins served by a local HTTP server in GitHub's place."""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from models import hub, registry, runtime, u2net
from models.paths import asset_file
from service import ModelPool, PhotoFile
from tests.conftest import red_subject_on_green
from tests.references import LARGE, reference_photo
from tests.release import Release
from tests.standins.factory import isnet_onnx

U2NETP = registry.get_spec("u2netp")
DOWNLOADED = [s for s in registry.REGISTRY if s.family == registry.U2NET and not s.asset]
REMBG_NAMES = {"u2netp": "u2netp", "u2net": "u2net", "u2net_human_seg": "u2net_human_seg",
               "silueta": "silueta", "isnet_general_use": "dis_general_use"}  # fmt: skip


def rembg_session_source(key: str) -> str:
    """rembg's session module for the entry ``key``: its URL, MD5 and constants."""
    import rembg

    return (Path(rembg.__file__).parent / "sessions" / f"{REMBG_NAMES[key]}.py").read_text()


@pytest.fixture
def rembg_home(tmp_path, monkeypatch) -> Path:
    """rembg's model folder (U2NET_HOME, where it looks before downloading), empty."""
    home = tmp_path / "u2net-home"
    home.mkdir()
    monkeypatch.setenv("U2NET_HOME", str(home))
    return home


def rembg_mask(image: Image.Image, name: str) -> np.ndarray:
    from rembg import new_session, remove

    return np.asarray(remove(image, session=new_session(name), only_mask=True))


def png(image: Image.Image) -> bytes:
    import io

    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def normalize_arguments(source: str) -> tuple:
    """(mean, std, size) of the session's ``self.normalize(img, mean, std, size)`` call."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "normalize":
            return tuple(ast.literal_eval(argument) for argument in node.args[1:4])
    raise AssertionError("no normalize call")


@pytest.mark.parametrize("key", sorted(REMBG_NAMES))
def test_the_registry_follows_rembg_s_session_code(key):
    spec, source = registry.get_spec(key), rembg_session_source(key)
    assert f"md5:{spec.weights_md5}" in source
    assert normalize_arguments(source) == (*spec.mean_std, spec.input_size)
    if spec.weights_url:
        assert f'"{spec.weights_url}"' in source


def test_the_shipped_file_is_rembg_s_release_file():
    assert hashlib.md5(asset_file(U2NETP.asset).read_bytes()).hexdigest() == U2NETP.weights_md5


@pytest.mark.parametrize("name", ["astronaut", "camera", "chelsea", "coffee", LARGE])
def test_u2netp_equals_the_rembg_package_to_the_bit(rembg_home, name):
    shutil.copy(asset_file(U2NETP.asset), rembg_home / "u2netp.onnx")  # found: no download
    photo = reference_photo(name)
    ours = u2net.build(U2NETP, "cpu").predict(photo)
    theirs = rembg_mask(photo, "u2netp")
    assert ours.dtype == np.float32 and ours.shape == theirs.shape
    assert np.array_equal(np.round(ours * 255).astype(np.uint8), theirs)


def test_is_net_s_constants_give_rembg_s_mask_too(rembg_home, weights_dir, tmp_path):
    """IS-Net's own size (1024) and normalisation (mean 0.5, std 1), on a stand-in graph
    (tests/standins/factory.py) placed where each side looks for the real file."""
    spec = registry.get_spec("isnet_general_use")
    standin = isnet_onnx(tmp_path / "isnet.onnx")
    os.link(standin, rembg_home / "isnet-general-use.onnx")
    target = hub.weights_file(spec)
    target.parent.mkdir(parents=True)
    os.link(standin, target)
    photo = red_subject_on_green((300, 200))
    result = runtime.run_model(spec, photo, "cpu")
    runtime.unload(spec.key)
    assert result.ok, result.error
    assert np.array_equal(result.matte, rembg_mask(photo, "isnet-general-use"))
    assert result.alpha[100, 150] > 0.9 and result.alpha[5, 5] < 0.1


@pytest.mark.parametrize("spec", DOWNLOADED, ids=[s.key for s in DOWNLOADED])
def test_a_downloaded_model_runs_in_a_worker_from_its_checked_release_file(online, spec, tmp_path):
    """U^2-Net, its human model and Silueta share U^2-Net-p's interface, so the shipped file
    stands in for each of their release files (the MD5 is the stand-in's); IS-Net gets its
    1024 px stand-in."""
    body = asset_file(U2NETP.asset).read_bytes()
    if spec.input_size == (1024, 1024):
        body = isnet_onnx(tmp_path / "standin.onnx").read_bytes()
    release = Release(body, name=f"{spec.variant}.onnx")
    served = dataclasses.replace(
        spec, weights_url=release.url, weights_md5=hashlib.md5(body).hexdigest()
    )
    states = []
    pool = ModelPool(ram_budget_mb=10_000, gpu_budget_mb=0)
    try:
        assert hub.availability(served) == f"~{spec.download_mb} MB download"
        photo = PhotoFile("red.png", png(red_subject_on_green((320, 240))))
        result = pool.run(served, photo, "cpu", on_state=states.append)
        again = pool.run(served, photo, "cpu")
    finally:
        pool.shutdown()
        release.close()
    assert result.ok, result.error
    assert result.matte.shape == (240, 320) and result.found_subject
    assert again.ok and release.requests == 1  # kept, not fetched again
    assert hub.weights_file(served).read_bytes() == body
    assert "downloading" in {state.stage for state in states}
    assert hub.availability(served) == hub.READY


def test_a_bad_download_keeps_nothing_and_names_the_model(online):
    release = Release(b"not a network", name="u2net.onnx")
    spec = dataclasses.replace(registry.get_spec("u2net"), weights_url=release.url)
    try:
        result = runtime.run_model(spec, red_subject_on_green((64, 48)), "cpu")
    finally:
        release.close()
    assert result.error.startswith("U²-Net") and "MD5" in result.error
    assert not list(hub.weights_file(spec).parent.iterdir())  # no file, no partial one


@pytest.mark.parametrize("spec", DOWNLOADED, ids=[s.key for s in DOWNLOADED])
def test_offline_it_fails_at_once_naming_github_and_the_fix(offline_hub, hub_probes, spec):
    pool = ModelPool(ram_budget_mb=10_000, gpu_budget_mb=0)
    try:
        result = pool.run(spec, PhotoFile("red.png", png(red_subject_on_green((64, 48)))), "cpu")
    finally:
        pool.shutdown()
    assert not pool.starts and hub_probes == []  # no worker started, no network waited on
    assert result.error.startswith(f"{spec.label} is not downloaded yet and github.com cannot")
    assert f"portrait-blur models --check {spec.key}`" in result.error
    assert hub.availability(spec) == hub.OFFLINE
