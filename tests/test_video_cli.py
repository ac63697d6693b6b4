"""`portrait-blur video`: the demo clip through an in-box model into a folder of clips and a
table of scores; a file that is no clip is refused with its reason."""

from __future__ import annotations

import csv

from commands import main
from evaluation.video.clip import probe
from tests.clips import audio_only, make_clip


def test_the_demo_clip_gives_every_file_and_a_scores_table(tmp_path, capsys, monkeypatch):
    import commands.video
    from evaluation.video.session import demo_clip

    made = tmp_path / "demo"  # the demo clip made in this test's folder
    monkeypatch.setattr(commands.video, "demo_clip", lambda: demo_clip(made))
    out = tmp_path / "out"
    code = main(["video", "--demo", "--model", "mediapipe_selfie_landscape", "--steady",
                 "--out", str(out)])  # fmt: skip
    assert code == 0
    for stem in ("mediapipe_selfie_landscape", "mediapipe_selfie_landscape-steady"):
        for suffix in (".blur.mp4", ".matte.mp4", ".overlay.mp4", ".mattes.mkv"):
            assert (out / f"{stem}{suffix}").stat().st_size > 0, stem + suffix
    assert probe(out / "mediapipe_selfie_landscape.blur.mp4").frame_count == 100
    assert (made / "demo clip (synthetic).mp4").exists()
    with open(out / "scores.csv") as file:
        rows = list(csv.DictReader(file))
    assert [row["Result"] for row in rows] == [
        "MediaPipe Selfie landscape", "MediaPipe Selfie landscape + steady"]  # fmt: skip
    assert all(float(row["MAD"]) > 0 and float(row["dtSSD"]) > 0 for row in rows)
    assert "Flicker" in capsys.readouterr().out
    with open(out / "frames.csv") as file:
        frames = list(csv.DictReader(file))
    assert len(frames) == 200 and frames[0]["flicker"] == "" and frames[1]["flicker"] != ""
    assert float(frames[1]["MAD"]) > 0 and frames[0]["dtSSD"] == ""


def test_a_clip_with_a_truth_folder_is_scored_and_a_bad_file_refused(tmp_path, capsys):
    import cv2
    import numpy as np

    clip = make_clip(tmp_path / "c.mp4", size=(64, 48), frames=6)
    truth = tmp_path / "truth"
    truth.mkdir()
    for index in range(6):
        matte = np.zeros((48, 64), np.uint8)
        matte[12:36, 16:48] = 255
        cv2.imwrite(str(truth / f"{index:03d}.png"), matte)
    out = tmp_path / "out"
    code = main(["video", str(clip), "--model", "u2netp", "--truth", str(truth),
                 "--out", str(out)])  # fmt: skip
    assert code == 0
    with open(out / "scores.csv") as file:
        (row,) = csv.DictReader(file)
    assert row["Result"] == "U²-Net-p" and float(row["MAD"]) >= 0
    assert main(["video", str(audio_only(tmp_path / "a.m4a")), "--out", str(out)]) == 2
    assert "only sound" in capsys.readouterr().err
