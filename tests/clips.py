"""Clips made here for tests, as phones and editors write them: rotation metadata, a sound
track, a variable frame rate, WebM and GIF. Nothing is downloaded.

Each frame is a grey field with a red block in its top-left quarter as shown (so a test can
tell which way up a frame came out) and a white bar whose place moves with the frame index.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

TIME_BASE = Fraction(1, 90_000)


def frame_at(index: int, size: tuple[int, int]) -> np.ndarray:
    """Frame ``index`` as it is meant to be shown, (w, h) = ``size``."""
    w, h = size
    rgb = np.full((h, w, 3), 96, np.uint8)
    rgb[: h // 4, : w // 4] = (220, 30, 30)
    x = (index * 7) % max(1, w - 8)
    rgb[h // 2 :, x : x + 8] = 255
    return rgb


def make_clip(
    path: Path,
    size: tuple[int, int] = (64, 48),
    frames: int = 12,
    fps: int = 24,
    *,
    rotation: int = 0,
    audio: str | None = None,
    times: list[float] | None = None,
    codec: str = "libx264",
) -> Path:
    """Write a clip of ``frames`` frames shown at ``size``. ``rotation`` stores them turned
    and says so in the display matrix, as a phone held upright does; ``audio`` adds a
    440 Hz tone in that codec ("aac", "opus"); ``times`` gives each frame's time (a
    variable rate)."""
    w, h = size
    turned = rotation % 180 == 90
    stored = (h, w) if turned else (w, h)
    with av.open(str(path), "w") as out:
        video = out.add_stream(codec, rate=fps)
        video.width, video.height = stored
        video.pix_fmt = "rgb8" if codec == "gif" else "yuv420p"
        video.time_base = TIME_BASE
        video.codec_context.time_base = TIME_BASE
        if rotation:
            video.set_display_rotation(rotation)
        sound = out.add_stream(audio, rate=48_000) if audio else None
        for index in range(frames):
            # Stored turned clockwise by ``rotation``; shown turned back counterclockwise.
            rgb = np.ascontiguousarray(np.rot90(frame_at(index, size), k=-(rotation // 90)))
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            t = times[index] if times else index / fps
            frame.pts, frame.time_base = round(t / TIME_BASE), TIME_BASE
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        if sound is not None:
            _tone(out, sound, (times[-1] if times else frames / fps))
    return path


def _tone(out, sound, seconds: float) -> None:
    rate, chunk = 48_000, 1024
    samples = int(seconds * rate)
    for start in range(0, samples, chunk):
        t = np.arange(start, min(samples, start + chunk)) / rate
        wave = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None, :]
        frame = av.AudioFrame.from_ndarray(wave, format="flt", layout="mono")
        frame.sample_rate, frame.pts = rate, start
        for packet in sound.encode(frame):
            out.mux(packet)
    for packet in sound.encode():
        out.mux(packet)


def audio_only(path: Path, seconds: float = 0.5) -> Path:
    with av.open(str(path), "w", format="mp4") as out:
        _tone(out, out.add_stream("aac", rate=48_000), seconds)
    return path


def audio_seconds(path: Path) -> float:
    """The length of a file's first sound track, decoded."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        return sum(frame.samples for frame in container.decode(stream)) / stream.rate
