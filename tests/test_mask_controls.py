"""Mask controls (sensitivity, grow/shrink, feather) on a matte, in the app and the CLI."""

from __future__ import annotations

import io
import zipfile

import cv2
import numpy as np
import pytest
from PIL import Image

import commands
from blur.composite import REFERENCE_SIDE
from blur.mask_controls import MaskControls, adjust, adjust_matte


def disc(side: int, soft: bool = False) -> np.ndarray:
    alpha = np.zeros((side, side), np.float32)
    cv2.circle(alpha, (side // 2, side // 2), side // 4, 1.0, -1)
    return cv2.GaussianBlur(alpha, (0, 0), side / 100) if soft else alpha


def test_the_defaults_leave_a_matte_untouched():
    matte = (disc(64, soft=True) * 255).astype(np.uint8)
    assert MaskControls().identity and MaskControls().tag == ""
    assert adjust_matte(matte, MaskControls()) is matte


def test_sensitivity_moves_the_half_point_of_soft_alpha_only():
    ramp = np.linspace(0, 1, 101, dtype=np.float32)[None, :]
    more = adjust(ramp, MaskControls(sensitivity=0.7))
    assert abs(float(np.interp(0.5, more[0], ramp[0])) - 0.3) < 0.01  # 0.3 becomes one half
    assert (more >= ramp - 1e-6).all() and (
        adjust(ramp, MaskControls(sensitivity=0.3)) <= ramp + 1e-6
    ).all()
    hard = disc(100)
    assert np.array_equal(adjust(hard, MaskControls(sensitivity=0.8)), hard)


@pytest.mark.parametrize("grow", [8, -8])
def test_grow_and_shrink_change_the_same_share_of_any_size_of_photo(grow):
    controls = MaskControls(grow=grow)
    shares = []
    for side in (REFERENCE_SIDE, REFERENCE_SIDE // 3):
        alpha = disc(side)
        shares.append((adjust(alpha, controls) > 0.5).mean() / (alpha > 0.5).mean())
    assert (shares[0] > 1.02) if grow > 0 else (shares[0] < 0.98)
    assert abs(shares[0] - shares[1]) < 0.01


def test_feather_softens_the_edge_in_proportion_to_the_photo():
    soft_share = []
    for side in (REFERENCE_SIDE, REFERENCE_SIDE // 3):
        out = adjust(disc(side), MaskControls(feather=6))
        soft_share.append(((out > 0.02) & (out < 0.98)).mean())
        assert out.min() >= 0 and out.max() <= 1
    assert soft_share[0] > 0.01 and abs(soft_share[0] - soft_share[1]) < 0.005


def test_the_tag_names_what_was_applied():
    assert MaskControls(0.7, 4, 2).tag == "-sensitivity0.7-grow+4px-feather2px"
    assert MaskControls(grow=-3).tag == "-grow-3px"


def test_the_app_applies_the_controls_to_views_and_downloads(astronaut_path):
    import weakref

    from streamlit.testing.v1 import AppTest

    from tests.apptest import image_urls, upload_and_run
    from tests.conftest import ROOT
    from ui.downloads import all_results_zip

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at = upload_and_run(at, "astronaut.png", astronaut_path.read_bytes())
    before = image_urls(at)
    session = at.session_state["session"]
    raw = session.result(session.photos()[0].id, *_selfie())
    next(s for s in at.sidebar.slider if s.label == "Grow / shrink").set_value(10).run()
    assert not at.exception and image_urls(at) != before
    assert any("grow+10px" in c.value for c in at.sidebar.caption)
    look = _look(at)
    archive = zipfile.ZipFile(all_results_zip(
        weakref.ref(session), [p.id for p in session.photos()], [_selfie()[0]], "cpu", look, False
    ))  # fmt: skip
    assert "astronaut/mediapipe_selfie-grow+10px_matte.png" in archive.namelist()
    grown = np.asarray(Image.open(io.BytesIO(
        archive.read("astronaut/mediapipe_selfie-grow+10px_matte.png"))))  # fmt: skip
    assert (grown > 127).mean() > (raw.matte > 127).mean() + 0.01
    next(s for s in at.sidebar.slider if s.label == "Grow / shrink").set_value(0).run()
    assert image_urls(at) == before  # the model's own mask again, its images kept


def _selfie():
    from models import registry

    return registry.get_spec("mediapipe_selfie"), "cpu"


def _look(at):
    from blur.mask_controls import MaskControls
    from ui.settings import Look

    grow = next(s for s in at.sidebar.slider if s.label == "Grow / shrink").value
    return Look(101, "gaussian", True, MaskControls(grow=grow))


def test_the_batch_command_applies_the_controls_and_names_them(tmp_path, astronaut_path):
    out = tmp_path / "out"
    base = [str(astronaut_path), "--model", "mediapipe_selfie", "--out", str(out)]
    assert commands.main(base) == 0
    assert commands.main([*base, "--grow", "-6", "--feather", "2"]) == 0
    folder = out / "astronaut"
    raw = np.asarray(Image.open(folder / "mediapipe_selfie_matte.png"))
    narrowed = np.asarray(Image.open(folder / "mediapipe_selfie-grow-6px-feather2px_matte.png"))
    assert (narrowed > 127).mean() < (raw > 127).mean() - 0.005
