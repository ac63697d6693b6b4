"""Decode an uploaded file into an upright RGB photo, or say clearly why it cannot be."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from PIL import Image, ImageOps, UnidentifiedImageError

MIN_SIDE = 16  # smaller than this is not a photo anyone wants to segment


class PhotoError(ValueError):
    """An upload that cannot be used, with a message naming the file and the problem."""


@dataclass
class Photo:
    name: str
    image: Image.Image  # RGB, EXIF orientation applied
    notes: list[str] = field(default_factory=list)  # what was done to it, for a caption


def _flatten_on_white(image: Image.Image) -> Image.Image:
    rgba = image.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, rgba).convert("RGB")


def decode_photo(data: bytes, name: str) -> Photo:
    if not data:
        raise PhotoError(f"{name}: the file is empty.")
    try:
        with Image.open(io.BytesIO(data)) as opened:
            notes = []
            if getattr(opened, "n_frames", 1) > 1:
                notes.append("animated image: the first frame is used")
            opened.seek(0)
            image = ImageOps.exif_transpose(opened)
            image.load()
    except UnidentifiedImageError:
        raise PhotoError(
            f"{name}: not an image this app can read (JPEG, PNG or WebP expected)."
        ) from None
    except Image.DecompressionBombError as error:
        raise PhotoError(
            f"{name}: refused, the image is too large to decode safely ({error})."
        ) from None
    except (OSError, SyntaxError, ValueError) as error:
        raise PhotoError(f"{name}: the image is damaged or incomplete ({error}).") from None

    if min(image.size) < MIN_SIDE:
        raise PhotoError(
            f"{name}: {image.width}x{image.height} pixels is too small; "
            f"use a photo at least {MIN_SIDE} pixels on each side."
        )
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        notes.append("transparent areas were flattened on white")
        image = _flatten_on_white(image)
    elif image.mode != "RGB":
        image = image.convert("RGB")
    return Photo(name=name, image=image, notes=notes)


def encode_jpeg(rgb, quality: int = 95) -> bytes:
    """An RGB array as JPEG bytes, for downloads."""
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, "JPEG", quality=quality, subsampling=0)
    return buffer.getvalue()
