"""Refine: trimaps from a model's mask, pymatting's solvers on them, refined entries in the
service, the batch command and `portrait-blur models --check`."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import commands
from blur.trimap import BACKGROUND, FOREGROUND, UNKNOWN, band_pixels, trimap
from commands.models import main as models_main
from evaluation.synthetic import samples
from models import registry
from models.matting_refine import MattingRefiner
from models.runtime import Guide, ModelResult, refine_guide
from service import ModelPool, PhotoFile
from service.session import Session

SELFIE = registry.get_spec("mediapipe_selfie")
CLOSED_FORM = registry.get_refiner("closed_form")


def test_the_band_is_a_share_of_the_photo_not_pixels():
    assert band_pixels(0.01, (600, 400)) == 6
    assert band_pixels(0.01, (3000, 4000, 3)) == 40
    assert band_pixels(0.001, (100, 100)) == 2  # never thinner than a solver can use


def test_trimap_widens_the_edge_and_keeps_what_the_model_was_unsure_of():
    alpha = np.zeros((100, 100), np.float32)
    alpha[:, 50:] = 1.0
    alpha[10, 10] = 0.3  # an uncertain pixel deep in the background
    known = trimap(alpha, 5)
    assert set(np.unique(known)) == {BACKGROUND, UNKNOWN, FOREGROUND}
    row = known[50]
    assert (row[:45] == BACKGROUND).all() and (row[55:] == FOREGROUND).all()
    assert (row[45:55] == UNKNOWN).all()  # 5 px on each side of the edge
    assert known[10, 10] == UNKNOWN


@pytest.mark.parametrize("variant", ["cf", "knn"])
def test_refining_a_hard_mask_recovers_the_hair_it_cut(variant):
    """A binary mask (what SAM3 gives) of a composite with hair-like strands of known alpha:
    the refined alpha is closer to the truth in the soft band."""
    _, rgb, truth = next(samples(1))
    binary = (truth > 0.5).astype(np.float32)
    soft = (truth > 0.02) & (truth < 0.98)
    refiner = MattingRefiner(registry.get_refiner({"cf": "closed_form", "knn": "knn"}[variant]),
                             "cpu")  # fmt: skip
    alpha = refiner.refine(Image.fromarray(rgb), binary, registry.DEFAULT_TRIMAP_BAND)
    assert alpha.dtype == np.float32 and alpha.shape == truth.shape
    before = np.abs(binary - truth)[soft].mean()
    after = np.abs(alpha - truth)[soft].mean()
    assert after < 0.7 * before, (before, after)


def test_a_mask_with_nothing_sure_on_one_side_stays_as_it_was():
    rgb = Image.new("RGB", (64, 48), (120, 80, 40))
    everything = np.ones((48, 64), np.float32)
    assert MattingRefiner(CLOSED_FORM, "cpu").refine(rgb, everything, 0.01) is everything


def test_refined_entries_are_named_by_their_parts():
    spec = registry.refined(SELFIE, CLOSED_FORM, 0.015)
    assert spec.key == "mediapipe_selfie+closed_form@1.5"
    assert spec.label == "MediaPipe Selfie + closed-form matting (1.5% band)"
    assert spec.runner is CLOSED_FORM and spec.base is SELFIE
    assert registry.get_spec(spec.key) == spec
    assert registry.get_spec("mediapipe_selfie+closed_form").trimap_band == 0.01


def test_the_guide_says_why_there_is_nothing_to_refine():
    spec = registry.refined(SELFIE, CLOSED_FORM)
    assert "has no result for this photo yet" in refine_guide(spec, None, "cpu").error
    failed = ModelResult(SELFIE, "cpu", error="It broke.")
    assert refine_guide(spec, failed, "cpu").error.endswith("failed on this photo: It broke.")
    nobody = refine_guide(spec, ModelResult(SELFIE, "cpu", matte=np.zeros((4, 4), np.uint8)), "cpu")
    assert nobody.ok and not nobody.found_subject  # nobody to refine is no failure
    found = ModelResult(SELFIE, "cpu", matte=np.full((4, 4), 255, np.uint8))
    assert isinstance(refine_guide(spec, found, "cpu"), Guide)


def test_a_refined_result_is_kept_per_device_of_its_base(monkeypatch):
    from models import devices
    from service.session import result_key

    monkeypatch.setattr(devices, "cuda_available", lambda: True)
    spec = registry.refined(registry.get_spec("birefnet_portrait"), CLOSED_FORM)
    assert result_key("p", spec, "cuda") == ("p", spec.key, "cuda>cpu")
    assert result_key("p", spec, "cpu") == ("p", spec.key, "cpu>cpu")


@pytest.mark.parametrize("key", ["mediapipe_selfie+closed_form@9", "mediapipe_selfie+knn@x"])
def test_a_refined_key_with_a_bad_band_says_what_is_allowed(key):
    with pytest.raises(KeyError, match="0.2 to 5"):
        registry.get_spec(key)


def test_a_session_refines_its_models_mask_in_one_worker_per_refiner(astronaut_path):
    pool = ModelPool(ram_budget_mb=10_000)
    session = Session(pool)
    try:
        photo = session.add_photo("a", "a", "a", PhotoFile("a.png", astronaut_path.read_bytes()))
        alone = registry.refined(registry.get_spec("sam3"), CLOSED_FORM)  # SAM3 not asked for
        specs = [SELFIE, registry.refined(SELFIE, CLOSED_FORM), alone,
                 registry.refined(SELFIE, CLOSED_FORM, 0.03)]  # fmt: skip
        session.submit([photo.id], specs, "cpu")
        assert session.wait(120)
        raw, refined, orphan, wide = (session.result(photo.id, s, "cpu") for s in specs)
        assert refined.ok and refined.spec == specs[1]
        assert refined.matte.shape == raw.matte.shape
        assert 0.005 < (np.abs(refined.alpha - raw.alpha) > 0.05).mean() < 0.2
        assert wide.ok and not np.array_equal(wide.matte, refined.matte)
        assert orphan.error.startswith("Nothing to refine: SAM3 has no result")
        assert pool.starts == {(registry.IN_BOX, "cpu"): 1, ("closed_form", "cpu"): 1}
    finally:
        session.close()
        pool.shutdown()


def test_batch_command_writes_refined_results(tmp_path, astronaut_path, capsys):
    out = tmp_path / "out"
    args = [str(astronaut_path), "--model", "mediapipe_selfie", "--refine", "closed_form",
            "--refine-band", "1.5", "--out", str(out)]  # fmt: skip
    assert commands.main(args) == 0
    names = sorted(p.name for p in (out / "astronaut").iterdir())
    assert "mediapipe_selfie+closed_form@1.5_matte.png" in names
    assert "mediapipe_selfie_matte.png" in names and len(names) == 8
    refined = np.asarray(
        Image.open(out / "astronaut" / "mediapipe_selfie+closed_form@1.5_matte.png")
    )
    raw = np.asarray(Image.open(out / "astronaut" / "mediapipe_selfie_matte.png"))
    assert refined.shape == raw.shape and not np.array_equal(refined, raw)


def test_batch_command_checks_the_band(capsys):
    with pytest.raises(SystemExit):
        commands.main(["p.jpg", "--model", "mediapipe_selfie", "--refine", "knn",
                  "--refine-band", "9", "--out", "x"])  # fmt: skip
    assert "must be 0.2..5" in capsys.readouterr().err


def test_check_runs_a_refiner_on_the_offline_models_mask(capsys):
    assert models_main(["--check", "closed_form", "--device", "CPU"]) == 0
    out = capsys.readouterr().out
    assert "MediaPipe Selfie + closed-form matting on CPU: loaded in" in out


def test_pymattings_own_prints_stay_off_the_terminal(capsys, astronaut):
    """pymatting prints its solver's fallbacks; they go to the log at debug level."""
    from models import matting_refine

    refiner = matting_refine.build(registry.get_refiner("closed_form"), "cpu")

    def solve(rgb, known):
        print("PERFORMANCE WARNING:\nThresholded incomplete Cholesky decomposition failed")
        return known

    refiner.solve = solve
    mask = np.zeros((astronaut.height, astronaut.width), np.float32)
    mask[100:400, 100:400] = 1
    alpha = refiner.refine(astronaut, mask, 0.01)
    assert alpha.shape == mask.shape
    assert capsys.readouterr().out == ""
