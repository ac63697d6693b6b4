"""A labelled dataset on disk: photos and their true mattes, paired by file name."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from photo.decode import UPLOAD_TYPES

MATTE_TYPES = ("png", "jpg", "jpeg", "tif", "tiff", "webp", "bmp")


@dataclass(frozen=True)
class Item:
    """One labelled photo: the name its two files share, and the files."""

    name: str
    image: Path
    matte: Path


def _by_stem(folder: Path, suffixes) -> dict[str, Path]:
    found = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix.lower().lstrip(".") in suffixes:
            found.setdefault(path.stem, path)
    return found


def pair_files(images: Path, mattes: Path) -> tuple[list[Item], list[str]]:
    """Photos and mattes paired by file name without extension, and what could not be
    paired, in words (never an exception for a stray file)."""
    problems = [f"{folder} is not a folder" for folder in (images, mattes) if not folder.is_dir()]
    if problems:
        return [], problems
    photos, truths = _by_stem(images, UPLOAD_TYPES), _by_stem(mattes, MATTE_TYPES)
    items = [Item(name, photos[name], truths[name]) for name in photos if name in truths]
    problems += [f"{photos[n].name}: no matte named {n}.* in {mattes}" for n in photos
                 if n not in truths]  # fmt: skip
    problems += [f"{truths[n].name}: a matte with no photo named {n}.* in {images}"
                 for n in truths if n not in photos]  # fmt: skip
    return items, problems


def read_matte(source: Path | bytes, size: tuple[int, int], name: str | None = None) -> np.ndarray:
    """The true alpha (float32 in [0, 1]) from a greyscale image or a cut-out's alpha
    channel (a file, or its bytes and ``name``), upright by its EXIF orientation, at
    ``size`` (w, h) of its photo; ValueError with a message naming the file otherwise."""
    if isinstance(source, Path):
        name = source.name
    label = name or "the matte"
    try:
        opened_from = io.BytesIO(source) if isinstance(source, bytes) else source
        with Image.open(opened_from) as opened:
            image = ImageOps.exif_transpose(opened)
            image.load()
    except (OSError, UnidentifiedImageError, SyntaxError) as error:
        raise ValueError(f"{label}: not an image this can read ({error})") from None
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        values = np.asarray(image.convert("RGBA").getchannel("A"), np.float32) / 255
    elif image.mode in ("I;16", "I;16B", "I;16L", "I"):
        values = np.asarray(image, np.float32) / 65535
    elif image.mode == "F":
        values = np.asarray(image, np.float32)
    elif image.mode in ("L", "1", "P"):
        values = np.asarray(image.convert("L"), np.float32) / 255
    else:
        rgb = np.asarray(image.convert("RGB"), np.int16)
        if np.abs(rgb - rgb[..., :1]).max() > 2:
            raise ValueError(
                f"{label}: a colour image, not a matte (expected greyscale, or a cut-out "
                "with transparency)"
            )
        values = rgb[..., 0].astype(np.float32) / 255
    if values.shape[::-1] != tuple(size):
        raise ValueError(
            f"{label}: the matte is {values.shape[1]}x{values.shape[0]}, its photo "
            f"{size[0]}x{size[1]} (upright); they must be the same size"
        )
    return np.clip(values, 0.0, 1.0)
