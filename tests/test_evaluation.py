"""`portrait-blur eval`: pairing, matte reading, the synthetic set, the leaderboard and the
report, through the real command, model workers and metrics."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

import commands
from evaluation import synthetic
from evaluation.dataset import pair_files, read_matte
from service import ModelPool
from tests.conftest import red_subject_on_green
from tests.standins.adapters import centre_square


def save(image: np.ndarray | Image.Image, path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    (Image.fromarray(image) if isinstance(image, np.ndarray) else image).save(path)


def test_the_synthetic_set_is_labelled_soft_and_repeatable():
    first = list(synthetic.samples(2, seed=3))
    again = list(synthetic.samples(2, seed=3))
    other = list(synthetic.samples(2, seed=4))
    for (_, image, alpha), (_, image2, alpha2) in zip(first, again, strict=True):
        assert np.array_equal(image, image2) and np.array_equal(alpha, alpha2)
    assert not np.array_equal(first[0][2], other[0][2])
    name, image, alpha = first[0]
    assert name == "synthetic-000" and image.shape == (512, 512, 3) and alpha.shape == (512, 512)
    assert alpha.min() == 0.0 and alpha.max() == 1.0
    assert ((alpha > 0) & (alpha < 1)).mean() > 0.01  # hair-like strands and a soft edge
    assert alpha[-1].mean() > 0.3  # the shoulders reach the frame's bottom


def test_pairing_reports_every_unpaired_file(tmp_path):
    images, mattes = tmp_path / "images", tmp_path / "mattes"
    for name in ("a.jpg", "b.png", "notes.txt"):
        save(red_subject_on_green((32, 32)), images / name) if name != "notes.txt" else None
    (images / "notes.txt").write_text("not a photo")
    save(np.zeros((32, 32), np.uint8), mattes / "a.png")
    save(np.zeros((32, 32), np.uint8), mattes / "c.png")
    items, problems = pair_files(images, mattes)
    assert [item.name for item in items] == ["a"]
    assert any(p.startswith("b.png: no matte") for p in problems)
    assert any(p.startswith("c.png: a matte with no photo") for p in problems)
    assert pair_files(tmp_path / "nowhere", mattes) == (
        [],
        [f"{tmp_path / 'nowhere'} is not a folder"],
    )


def test_mattes_are_read_from_grey_or_a_cutouts_alpha_and_checked(tmp_path):
    grey = np.tile(np.arange(0, 256, 16, dtype=np.uint8), (8, 1))
    save(grey, tmp_path / "grey.png")
    assert read_matte(tmp_path / "grey.png", (16, 8))[0, -1] == pytest.approx(240 / 255)
    cutout = np.zeros((8, 16, 4), np.uint8)
    cutout[..., 0], cutout[..., 3] = 255, grey
    save(cutout, tmp_path / "cutout.png")
    assert np.allclose(read_matte(tmp_path / "cutout.png", (16, 8)), grey / 255)
    save(np.asarray(red_subject_on_green((16, 8))), tmp_path / "colour.png")
    with pytest.raises(ValueError, match="colour.png: a colour image, not a matte"):
        read_matte(tmp_path / "colour.png", (16, 8))
    with pytest.raises(ValueError, match="grey.png: the matte is 16x8, its photo 8x16"):
        read_matte(tmp_path / "grey.png", (8, 16))
    (tmp_path / "broken.png").write_bytes(b"\x89PNG broken")
    with pytest.raises(ValueError, match="broken.png: not an image"):
        read_matte(tmp_path / "broken.png", (16, 8))


def test_a_model_that_matches_the_truth_scores_perfectly(tmp_path, add_standin_model):
    """The centre-square stand-in on photos whose true matte is that square: no pixel of
    misalignment anywhere between the photo, the model's matte and the metrics."""
    add_standin_model("square", "Square")
    for n, size in enumerate([(64, 48), (333, 517)]):
        photo = red_subject_on_green(size)
        save(photo, tmp_path / "images" / f"p{n}.png")
        save((centre_square(photo) * 255).astype(np.uint8), tmp_path / "mattes" / f"p{n}.png")
    folders = ["--images", str(tmp_path / "images"), "--mattes", str(tmp_path / "mattes")]
    code = commands.main(["eval", *folders, "--model", "square", "--out", str(tmp_path / "o")])
    assert code == 0
    rows = [
        json.loads(line) for line in (tmp_path / "o" / "per_image.jsonl").read_text().splitlines()
    ]
    assert len(rows) == 2
    assert all(r["sad"] == 0 and r["iou"] == 1 and r["boundary_iou"] == 1 for r in rows)


def test_synthetic_evaluation_writes_the_leaderboard_and_report_and_resumes(
    tmp_path, monkeypatch, capsys
):
    out = tmp_path / "results"
    args = ["eval", "--synthetic", "3", "--model", "mediapipe_selfie", "--out", str(out)]
    assert commands.main(args) == 0
    board = (out / "leaderboard.md").read_text()
    assert synthetic.NOTICE in board and "| MediaPipe Selfie | 3 | 0 |" in board
    rows = [json.loads(line) for line in (out / "per_image.jsonl").read_text().splitlines()]
    assert [r["image"] for r in rows] == ["synthetic-000", "synthetic-001", "synthetic-002"]
    assert all(r["sad"] > 0 and 0.5 < r["iou"] <= 1 and r["inference_s"] > 0 for r in rows)
    assert all(r["worker_mb"] > 50 for r in rows)  # measured, not planned
    csv_header = (out / "leaderboard.csv").read_text().splitlines()[0]
    assert csv_header.startswith("model,key,photos,failed,sad_mean,sad_median")
    report = (out / "report.html").read_text()
    assert "not claims about any model" in report
    shown = report.count('<img src="report/mediapipe_selfie/')
    assert shown == 4 * 3  # best two and worst one (three photos), four pictures each
    assert all((out / "report" / "mediapipe_selfie").glob("*.jpg"))

    def no_run(*args, **kwargs):
        raise AssertionError("a scored photo ran again")

    monkeypatch.setattr(ModelPool, "run", no_run)
    assert commands.main(args) == 0  # everything was scored before
    assert len((out / "per_image.jsonl").read_text().splitlines()) == 3


def test_a_bad_matte_is_reported_and_the_other_photos_are_scored(tmp_path, capsys):
    images, mattes = tmp_path / "images", tmp_path / "mattes"
    for name, image, alpha in synthetic.samples(2):
        save(image, images / f"{name}.png")
        save((alpha * 255).astype(np.uint8), mattes / f"{name}.png")
    save(np.zeros((10, 10), np.uint8), mattes / "synthetic-001.png")  # the wrong size
    save(red_subject_on_green((40, 40)), images / "lonely.png")
    code = commands.main(["eval", "--images", str(images), "--mattes", str(mattes),
                     "--model", "mediapipe_selfie", "--out", str(tmp_path / "o")])  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert "lonely.png: no matte" in err
    assert "synthetic-001.png: the matte is 10x10, its photo 512x512" in err
    rows = [
        json.loads(line)
        for line in (tmp_path / "o" / "per_image.jsonl").read_text().split("\n")
        if line
    ]
    assert [("error" in r) for r in rows] == [False, True]


@pytest.mark.parametrize(
    "args", [["eval", "--model", "mediapipe_selfie", "--out", "x"],
             ["eval", "--images", "i", "--model", "mediapipe_selfie", "--out", "x"],
             ["eval", "--synthetic", "0", "--model", "mediapipe_selfie", "--out", "x"],
             ["eval", "--synthetic", "2", "--model", "nope", "--out", "x"]],
)  # fmt: skip
def test_eval_refuses_bad_arguments(args):
    with pytest.raises(SystemExit) as exit_:
        commands.main(args)
    assert exit_.value.code == 2


def test_a_failure_is_tried_again_and_counted_once(tmp_path):
    images, mattes = tmp_path / "images", tmp_path / "mattes"
    (name, image, alpha), *_ = synthetic.samples(1)
    save(image, images / f"{name}.png")
    save(np.zeros((10, 10), np.uint8), mattes / f"{name}.png")  # wrong, then fixed
    args = ["eval", "--images", str(images), "--mattes", str(mattes), "--model",
            "mediapipe_selfie", "--out", str(tmp_path / "o")]  # fmt: skip
    assert commands.main(args) == 1
    save((alpha * 255).astype(np.uint8), mattes / f"{name}.png")
    assert commands.main(args) == 0
    board = (tmp_path / "o" / "leaderboard.md").read_text()
    assert "| MediaPipe Selfie | 1 | 0 |" in board  # one photo scored, no failure left
