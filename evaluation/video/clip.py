"""Clips in and out through PyAV (FFmpeg): what a file holds, its frames upright and scaled,
and H.264 MP4s written with the source's timestamps and audio.

Frames are streamed, one at a time, so memory stays flat over a long clip. Anything that
is not a usable clip is refused up front with a ``ClipError`` naming the cause and the fix.
"""

from __future__ import annotations

import math
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

MAX_SECONDS = 60.0  # longer clips are refused: the page keeps every model's result
MAX_PIXELS = 3840 * 2160  # a frame beyond 4K is refused; smaller ones are scaled to work
WORK_MAX_SIDE = 1280  # frames are segmented, blurred and written at most this large
UPLOAD_TYPES = ["mp4", "mov", "m4v", "webm", "mkv", "avi", "gif"]
TIME_BASE = Fraction(1, 90_000)  # MPEG's clock: every source's timestamps fit it closely
COPIED_AUDIO = {"aac", "mp3", "alac", "ac3"}  # MP4 takes these as they are; others -> AAC
VARIABLE_RATE_SPREAD = 0.1  # frame durations further apart than this share: variable rate
# x264's fastest preset: twice veryfast's speed for a larger file, which a local page and a
# download do not mind; the encode is most of a frame's time (measured in bench video).
ENCODER_OPTIONS = {"preset": "ultrafast", "crf": "23"}
QUEUED_FRAMES = 8  # frames waiting for a background writer, at most


class ClipError(ValueError):
    """A file that cannot be used as a clip: its name and what is wrong, with the fix."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{name}: {problem}")
        self.name = name
        self.problem = problem


@dataclass(frozen=True)
class ClipInfo:
    """What a clip holds, as shown (rotation applied)."""

    name: str
    width: int
    height: int
    rotation: int  # degrees the stored frames are turned counterclockwise to be shown
    fps: float  # the average rate
    frame_count: int  # from the container, or estimated from the duration
    duration_s: float
    codec: str
    audio: str | None  # the audio codec, None without sound
    variable_rate: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def work_size(self) -> tuple[int, int]:
        """(w, h) the frames are processed and written at: at most WORK_MAX_SIDE on the
        longer side, each side even (H.264's 4:2:0 needs it)."""
        scale = min(1.0, WORK_MAX_SIDE / max(self.width, self.height))
        return _even(self.width * scale), _even(self.height * scale)


@dataclass(frozen=True)
class Frame:
    index: int
    time_s: float  # presentation time from the clip's start
    rgb: np.ndarray  # HxWx3 uint8 at the requested size, upright


def _even(side: float) -> int:
    return max(2, int(round(side / 2)) * 2)


def _open(path: Path, name: str):
    if not path.exists() or path.stat().st_size == 0:
        raise ClipError(name, "the file is empty. Upload the clip again, or another clip.")
    try:
        return av.open(str(path))
    except (av.FFmpegError, UnicodeDecodeError) as error:
        raise ClipError(
            name,
            f"is not a video FFmpeg can read ({error.__class__.__name__}): the file may be "
            "damaged or cut short. Export it again as MP4 (H.264), MOV, WebM or GIF.",
        ) from error


def probe(path: Path | str, name: str | None = None) -> ClipInfo:
    """The clip's size, rate, length and sound, after decoding its first frame (a header
    alone can lie); raises ClipError for an empty, damaged, silent-only, too long or too
    large file."""
    path = Path(path)
    name = name or path.name
    with _open(path, name) as container:
        if not container.streams.video:
            sound = " only sound" if container.streams.audio else " no pictures"
            raise ClipError(name, f"holds{sound}, no video track. Upload a video clip.")
        stream = container.streams.video[0]
        first = _first_frame(container, stream, name)
        rotation = int(first.rotation or 0) % 360
        width, height = (first.height, first.width) if rotation in (90, 270) else (
            first.width, first.height)  # fmt: skip
        duration = _duration_s(container, stream)
        fps = float(stream.average_rate or stream.guessed_rate or 0) or 25.0
        frames = stream.frames or max(1, round(duration * fps))
        audio = container.streams.audio[0].codec_context.name if container.streams.audio else None
    info = ClipInfo(name, width, height, rotation, fps, frames, duration, stream.codec_context.name,
                    audio, _variable_rate(path))  # fmt: skip
    _check_limits(info)
    _describe(info)
    return info


def _first_frame(container, stream, name: str):
    try:
        for frame in container.decode(stream):
            return frame
    except av.FFmpegError as error:
        raise ClipError(
            name,
            f"its video could not be decoded ({error.__class__.__name__}): the file may be "
            "damaged or cut short. Export it again as MP4 (H.264), MOV, WebM or GIF.",
        ) from error
    raise ClipError(name, "its video track has no frames. Upload a clip with pictures in it.")


def _duration_s(container, stream) -> float:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return 0.0


def _variable_rate(path: Path) -> bool:
    """Whether the first second's frame durations differ (a phone's variable rate)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        times = []
        for packet in container.demux(stream):
            if packet.pts is not None:
                times.append(float(packet.pts * stream.time_base))
            if len(times) > 60:
                break
    steps = np.diff(np.sort(times))
    steps = steps[steps > 0]
    if steps.size < 2:
        return False
    return bool((steps.max() - steps.min()) > VARIABLE_RATE_SPREAD * np.median(steps))


def _check_limits(info: ClipInfo) -> None:
    if info.duration_s > MAX_SECONDS:
        raise ClipError(
            info.name,
            f"is {info.duration_s:.0f} s long; the Video page takes clips of up to "
            f"{MAX_SECONDS:.0f} s. Trim it (the part you want to compare) and upload that.",
        )
    if info.width * info.height > MAX_PIXELS:
        raise ClipError(
            info.name,
            f"is {info.width}x{info.height}; frames of up to 4K (3840x2160) are taken. "
            "Export it at 4K or below.",
        )


def _describe(info: ClipInfo) -> None:
    w, h = info.work_size
    if (w, h) != (info.width, info.height):
        info.notes.append(f"processed at {w}x{h} (from {info.width}x{info.height})")
    if info.rotation:
        info.notes.append(f"turned {info.rotation}° as its metadata says")
    if info.variable_rate:
        info.notes.append("variable frame rate: each frame keeps its own time")


def read_frames(path: Path | str, size: tuple[int, int]) -> Iterator[Frame]:
    """The clip's frames in order, upright and scaled to ``size`` (w, h, as shown), with
    their presentation times."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        step = 1 / float(stream.average_rate or stream.guessed_rate or 25)
        start = None
        for index, frame in enumerate(container.decode(stream)):
            rotation = int(frame.rotation or 0) % 360
            stored = (size[1], size[0]) if rotation in (90, 270) else size
            rgb = frame.to_ndarray(format="rgb24", width=stored[0], height=stored[1])
            if rotation:
                rgb = np.ascontiguousarray(np.rot90(rgb, k=rotation // 90))
            time_s = float(frame.time) if frame.time is not None else index * step
            start = time_s if start is None else start
            yield Frame(index, time_s - start, rgb)


class ClipWriter:
    """An H.264 MP4 (yuv420p, plays in every browser, moov first) of frames at the times
    given; ``audio_from`` copies that clip's first sound track (re-encoded as AAC where
    MP4 cannot carry it). Use as a context manager; ``write`` frames in order."""

    def __init__(
        self, path: Path | str, size: tuple[int, int], fps: float, audio_from: Path | None = None
    ) -> None:
        self.path = Path(path)
        self._out = av.open(str(self.path), "w", format="mp4", options={"movflags": "+faststart"})
        self._video = self._out.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        self._video.width, self._video.height = size
        self._video.pix_fmt = "yuv420p"
        self._video.time_base = TIME_BASE
        self._video.codec_context.time_base = TIME_BASE
        self._video.options = dict(ENCODER_OPTIONS)
        self._last_pts = -1
        try:
            self._sound = _Sound(audio_from, self._out) if audio_from else None
        except Exception:
            self._out.close()
            raise

    def write(self, rgb: np.ndarray, time_s: float) -> None:
        frame = av.VideoFrame.from_ndarray(rgb, format="gray" if rgb.ndim == 2 else "rgb24")
        pts = max(self._last_pts + 1, round(time_s / TIME_BASE))
        frame.pts, frame.time_base, self._last_pts = pts, TIME_BASE, pts
        for packet in self._video.encode(frame):
            self._out.mux(packet)
        if self._sound:
            self._sound.until(time_s + 0.5)

    def close(self) -> None:
        for packet in self._video.encode():
            self._out.mux(packet)
        if self._sound:
            self._sound.until(math.inf)
            self._sound.close()
        self._out.close()

    def __enter__(self) -> ClipWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _Sound:
    """The source's first audio track, muxed into ``out`` as the video advances, moved as
    the video was: read_frames starts the clip at its first frame, so the sound starts
    there too (what came before it is dropped)."""

    def __init__(self, source: Path, out) -> None:
        self._in = av.open(str(source))
        video = self._in.streams.video[0] if self._in.streams.video else None
        start = video.start_time if video is not None else None
        self._start = float(start * video.time_base) if start else 0.0
        tracks = self._in.streams.audio
        self._track = tracks[0] if tracks else None
        self._packets = iter(())
        self._pending = None
        if self._track is None:
            return
        self._copy = self._track.codec_context.name in COPIED_AUDIO
        if self._copy:
            self._stream = out.add_stream_from_template(self._track)
        else:
            self._stream = out.add_stream(
                "aac", rate=self._track.codec_context.sample_rate or 48000
            )
        self._out = out
        self._packets = self._in.demux(self._track)

    def until(self, time_s: float) -> None:
        """Mux the sound up to ``time_s`` seconds."""
        while True:
            packet = self._pending or next(self._packets, None)
            self._pending = None
            if packet is None:
                return
            at = 0.0 if packet.pts is None else float(packet.pts * packet.time_base) - self._start
            if packet.pts is not None and at > time_s:
                self._pending = packet
                return
            if at + float((packet.duration or 0) * packet.time_base) > 0:
                self._mux(packet)

    def _mux(self, packet) -> None:
        if packet.dts is None and packet.size == 0:
            return  # the demuxer's flush packet
        if self._copy:
            shift = round(self._start / packet.time_base) if self._start else 0
            if shift:
                packet.pts = None if packet.pts is None else packet.pts - shift
                packet.dts = None if packet.dts is None else packet.dts - shift
            packet.stream = self._stream
            self._out.mux(packet)
            return
        for frame in packet.decode():
            frame.pts = None
            for encoded in self._stream.encode(frame):
                self._out.mux(encoded)

    def close(self) -> None:
        if self._track is not None and not self._copy:
            for encoded in self._stream.encode():
                self._out.mux(encoded)
        self._in.close()


class InBackground:
    """A writer (anything with ``write(*args)`` and ``close()``) run on a thread of its own,
    so several encoders and the compositing share the cores (FFmpeg lets go of Python's
    lock while it encodes). ``write`` waits only when QUEUED_FRAMES are already waiting;
    the writer's failure is raised by the next ``write`` or by ``close``."""

    def __init__(self, writer) -> None:
        self._writer = writer
        self._queue: queue.Queue = queue.Queue(QUEUED_FRAMES)
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._drain, name="clip-writer", daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while (args := self._queue.get()) is not None:
            if self._failure is None:
                try:
                    self._writer.write(*args)
                except BaseException as failure:  # noqa: BLE001 - handed to the caller
                    self._failure = failure

    def write(self, *args) -> None:
        if self._failure is not None:
            raise self._failure
        self._queue.put(args)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        try:
            self._writer.close()
        finally:
            if self._failure is not None:
                raise self._failure
