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
from blur.views import VIEWS, ViewOptions
from photo.decode import SRGB_ICC, encode_jpeg, safe_filename


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


class _FullSize:
    """An export's canvas for the table of views: the photo at full resolution."""

    def __init__(self, item: Export) -> None:
        self.item, self.rgb = item, item.rgb
        self.alpha = blur.to_alpha(blur.resize_alpha(item.alpha, item.rgb.shape[:2]))

    def colours(self, clean_edges: bool) -> np.ndarray:
        return blur.foreground_colours(self.rgb, self.alpha) if clean_edges else self.rgb

    def blurred(self, options: ViewOptions) -> np.ndarray:
        return blur.blur_background(
            self.rgb, self.alpha, options.strength, self.item.soft, lens=options.lens,
            clean_edges=options.clean_edges,
        )  # fmt: skip

    def reference(self) -> np.ndarray:
        raise AssertionError("the Difference view is not exported")


# Each file: the view it draws (transparent cut-out) and how it is encoded.
FILES = {
    "overlay.png": ("Overlay", lambda pixels, item: _png(pixels, "RGB")),
    "matte.png": ("Matte", lambda pixels, item: _png(pixels, "L")),
    "cutout.png": ("Cut-out", lambda pixels, item: _png(pixels, "RGBA")),
    "blur.jpg": ("Blur", lambda pixels, item: encode_jpeg(pixels, exif=item.exif)),
}
KINDS = tuple(FILES)  # the files of one result, in the order they are written


def file_name(model_key: str, kind: str) -> str:
    return f"{model_key}_{kind}"


def make_file(item: Export, kind: str) -> bytes:
    """One exported file (a KINDS entry) of one photo and model, at full resolution."""
    view, encode = FILES[kind]
    options = ViewOptions(item.strength, item.lens, item.clean_edges, backdrop=None)
    return encode(VIEWS[view].draw(_FullSize(item), options), item)


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


LEFT_OUT = "left-out.txt"  # in a ZIP: the results it does not hold, and why


def zip_file(items: Iterable[Export], left_out: list[str] = ()) -> io.BufferedReader:
    """A ZIP of every item's files under its photo's folder, written to a temporary file and
    returned open for reading (the file is gone once closed). Items may be made lazily: one
    photo's full-resolution arrays and one file's bytes are in memory at a time. Images are
    stored, not deflated. ``left_out``: a line per result not in it, written as LEFT_OUT."""
    fd, path = tempfile.mkstemp(prefix="portrait-blur-", suffix=".zip")
    try:
        with os.fdopen(fd, "wb") as out, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
            for item in items:
                for name, data in result_files(item):
                    archive.writestr(f"{item.folder}/{name}", data)
            if left_out:
                archive.writestr(LEFT_OUT, "Not in this archive:\n" + "\n".join(left_out) + "\n")
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
