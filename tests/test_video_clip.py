"""Clips in and out: rotation, sound and frame times survive; bad files get clear messages."""

from __future__ import annotations

import numpy as np
import pytest

from evaluation.video.clip import MAX_SECONDS, ClipError, ClipWriter, probe, read_frames
from tests.clips import audio_only, audio_seconds, frame_at, make_clip


def copy_through(source, target):
    """What the pipeline does to a clip, minus the model: every frame decoded and written."""
    info = probe(source)
    with ClipWriter(target, info.work_size, info.fps, audio_from=source) as writer:
        for frame in read_frames(source, info.work_size):
            writer.write(frame.rgb, frame.time_s)
    return target


def red_corner(rgb: np.ndarray) -> bool:
    """The test pattern's red block is in the top-left quarter, as shown."""
    h, w = rgb.shape[:2]
    r, g, _ = rgb[h // 8, w // 8].astype(int)
    return r > 180 and g < 80


@pytest.mark.parametrize("rotation", [90, -90, 180])
def test_a_phones_rotation_is_honoured_and_written_upright(tmp_path, rotation):
    clip = make_clip(tmp_path / "phone.mp4", size=(48, 64), rotation=rotation)
    info = probe(clip)
    assert (info.width, info.height) == (48, 64)
    assert info.rotation == rotation % 360 and any("turned" in note for note in info.notes)
    frames = list(read_frames(clip, info.work_size))
    assert frames[0].rgb.shape == (64, 48, 3) and red_corner(frames[0].rgb)
    out = probe(copy_through(clip, tmp_path / "out.mp4"))
    assert (out.width, out.height, out.rotation) == (48, 64, 0)
    assert red_corner(next(read_frames(tmp_path / "out.mp4", out.work_size)).rgb)


def test_an_unturned_clip_reads_as_made(tmp_path):
    clip = make_clip(tmp_path / "plain.mp4", size=(64, 48), frames=5)
    frames = list(read_frames(clip, (64, 48)))
    assert len(frames) == 5 and frames[0].rgb.shape == (48, 64, 3)
    assert np.abs(frames[3].rgb.astype(int) - frame_at(3, (64, 48))).mean() < 6


@pytest.mark.parametrize("codec", ["aac", "libopus"])
def test_the_sound_survives(tmp_path, codec):
    container = "webm" if codec == "libopus" else "mp4"
    video = "libvpx-vp9" if codec == "libopus" else "libx264"
    clip = make_clip(tmp_path / f"talk.{container}", frames=24, audio=codec, codec=video)
    assert probe(clip).audio == ("opus" if codec == "libopus" else "aac")
    out = copy_through(clip, tmp_path / "out.mp4")
    assert probe(out).audio == "aac"  # copied as it is, or Opus re-encoded for MP4
    assert audio_seconds(out) == pytest.approx(audio_seconds(clip), abs=0.05)


def test_a_variable_frame_rate_keeps_each_frames_time(tmp_path):
    times = [0.0, 0.04, 0.1, 0.12, 0.2, 0.3, 0.31, 0.4]
    clip = make_clip(tmp_path / "vfr.mp4", frames=len(times), times=times)
    info = probe(clip)
    assert info.variable_rate
    out = copy_through(clip, tmp_path / "out.mp4")
    written = [frame.time_s for frame in read_frames(out, probe(out).work_size)]
    assert written == pytest.approx(times, abs=1e-3)


def test_an_animated_gif_is_a_clip(tmp_path):
    clip = make_clip(tmp_path / "loop.gif", frames=6, codec="gif")
    info = probe(clip)
    assert info.codec == "gif" and info.audio is None
    assert len(list(read_frames(clip, info.work_size))) == 6


def test_large_frames_are_processed_smaller_and_even(tmp_path):
    clip = make_clip(tmp_path / "wide.mp4", size=(1442, 806), frames=1)
    info = probe(clip)
    assert info.work_size == (1280, 716)
    assert any("processed at 1280x716" in note for note in info.notes)


def refused(path) -> str:
    with pytest.raises(ClipError) as caught:
        probe(path)
    return caught.value.problem


def test_an_empty_file_is_refused(tmp_path):
    (tmp_path / "empty.mp4").write_bytes(b"")
    assert "empty" in refused(tmp_path / "empty.mp4")


@pytest.mark.parametrize("cut", [300, None])
def test_a_corrupt_file_is_refused_with_the_fix(tmp_path, cut):
    whole = make_clip(tmp_path / "whole.mp4").read_bytes()
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(whole[:cut] if cut else b"\x00garbage" * 200)
    problem = refused(bad)
    assert "damaged" in problem and "Export it again" in problem


def test_an_audio_only_file_is_refused(tmp_path):
    assert "only sound" in refused(audio_only(tmp_path / "voice.m4a"))


def test_a_clip_over_the_length_cap_is_refused(tmp_path):
    long = make_clip(tmp_path / "long.mp4", size=(16, 16), frames=int(MAX_SECONDS) + 2, fps=1)
    assert "Trim it" in refused(long)


def test_a_frame_over_4k_is_refused(tmp_path):
    huge = make_clip(tmp_path / "8k.mp4", size=(4096, 2304), frames=1)
    assert "4K" in refused(huge)


def test_a_clip_whose_pictures_start_late_keeps_its_sound_in_step(tmp_path):
    """Frames are read from the first picture on, at time 0; the sound before it is cut so
    what is heard stays with what is seen."""
    times = [0.5 + i / 24 for i in range(24)]
    clip = make_clip(tmp_path / "late.mp4", frames=24, times=times, audio="aac")
    out = copy_through(clip, tmp_path / "out.mp4")
    assert [f.time_s for f in read_frames(out, (64, 48))][:2] == pytest.approx(
        [0, 1 / 24], abs=1e-3
    )
    assert audio_seconds(out) == pytest.approx(audio_seconds(clip) - 0.5, abs=0.06)
