"""The files a result is exported as, shared by the app's ZIP and the batch command.

Per photo and model: the mask overlay, the matte (8-bit PNG), the cut-out (RGBA PNG) and
the blurred photo, all at the photo's full resolution.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

import blur
from photo.decode import SRGB_ICC, encode_jpeg, safe_filename

KINDS = ("overlay.png", "matte.png", "cutout.png", "blur.jpg")


@dataclass
class Export:
    folder: str  # safe, unique per photo
    model_key: str
    rgb: np.ndarray  # full resolution
    alpha: np.ndarray  # float in [0, 1] or a uint8 matte, any size: resized to the photo
    soft: bool
    strength: int
    lens: str = "gaussian"
    clean_edges: bool = True  # the subject's own colour in soft pixels (blur and cut-out)
    exif: bytes | None = None  # written into the blurred JPEG (photo.export_exif)


def _png(array: np.ndarray, mode: str) -> bytes:
    """PNG bytes; colour images are tagged sRGB (a matte is data, not colour)."""
    buffer = io.BytesIO()
    tag = {"icc_profile": SRGB_ICC} if mode in ("RGB", "RGBA") else {}
    Image.fromarray(array, mode).save(buffer, "PNG", compress_level=1, **tag)
    return buffer.getvalue()


def _full_alpha(item: Export) -> np.ndarray:
    return blur.to_alpha(blur.resize_alpha(item.alpha, item.rgb.shape[:2]))


def _matte(item: Export) -> np.ndarray:
    return blur.to_matte(_full_alpha(item))


def _cutout(item: Export) -> bytes:
    alpha = _full_alpha(item)
    colours = blur.foreground_colours(item.rgb, alpha) if item.clean_edges else item.rgb
    return _png(np.dstack([colours, _matte(item)]), "RGBA")


def _blurred(item: Export) -> bytes:
    alpha = _full_alpha(item)
    return encode_jpeg(
        blur.blur_background(
            item.rgb, alpha, item.strength, item.soft, lens=item.lens, clean_edges=item.clean_edges
        ),
        exif=item.exif,
    )


MAKERS = {
    "overlay.png": lambda item: _png(blur.mask_overlay(item.rgb, _full_alpha(item)), "RGB"),
    "matte.png": lambda item: _png(_matte(item), "L"),
    "cutout.png": _cutout,
    "blur.jpg": _blurred,
}


def file_name(model_key: str, kind: str) -> str:
    return f"{model_key}_{kind}"


def make_file(item: Export, kind: str) -> bytes:
    """One exported file (a KINDS entry) of one photo and model, at full resolution."""
    return MAKERS[kind](item)


def result_files(item: Export) -> Iterable[tuple[str, bytes]]:
    """(file name within the photo's folder, bytes) for one photo and model, one at a time."""
    for kind in KINDS:
        yield file_name(item.model_key, kind), make_file(item, kind)


def photo_folders(names: list[str]) -> list[str]:
    """Safe folder names, one per photo, unique even when the photos' names are not."""
    folders, seen = [], set()
    for name in names:
        base = safe_filename(Path(name).stem)
        folder, n = base, 1
        while folder in seen:
            n += 1
            folder = f"{base}-{n}"
        seen.add(folder)
        folders.append(folder)
    return folders


def zip_file(items: Iterable[Export]) -> io.BufferedReader:
    """A ZIP of every item's files under its photo's folder, written to a temporary file and
    returned open for reading (the file is gone once closed). Items may be made lazily: one
    photo's full-resolution arrays and one file's bytes are in memory at a time. Images are
    stored, not deflated."""
    fd, path = tempfile.mkstemp(prefix="portrait-blur-", suffix=".zip")
    try:
        with os.fdopen(fd, "wb") as out, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
            for item in items:
                for name, data in result_files(item):
                    archive.writestr(f"{item.folder}/{name}", data)
        return open(path, "rb")  # noqa: SIM115 - the caller reads and closes it
    finally:
        with contextlib.suppress(OSError):  # POSIX: the open reader keeps the bytes
            os.unlink(path)


def write_files(item: Export, out_dir: Path) -> list[Path]:
    folder = out_dir / item.folder
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in result_files(item):
        path = folder / name
        path.write_bytes(data)
        written.append(path)
    return written
