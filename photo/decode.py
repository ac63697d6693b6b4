"""Decode an uploaded file into an upright RGB photo, or say clearly why it cannot be."""

from __future__ import annotations

import io
import math
import re
import unicodedata
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from struct import error as struct_error

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

from photo.formats import UPLOAD_TYPES  # noqa: F401 - the files decode_photo takes

register_heif_opener()  # iPhone photos (HEIC/HEIF)

MIN_SIDE = 16  # smaller than this is not a photo anyone wants to segment
MAX_PIXELS = 120_000_000  # larger is refused before decoding (a decompression bomb, or beyond use)
MODEL_MAX_PIXELS = 16_000_000  # models see at most this; compositing stays at full size

# PIL's own guard, at our limit rather than its default (warning at 89 MP).
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
SRGB_ICC = SRGB.tobytes()  # embedded in every colour export: its pixels are sRGB
ORIENTATION, EXIF_IFD, GPS_IFD = 0x0112, 0x8769, 0x8825
DROPPED_TAGS = {0x927C, 0xA005}  # MakerNote, Interoperability IFD pointer


class PhotoError(ValueError):
    """An upload that cannot be used: the file's name and what is wrong with it."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{name}: {problem}")
        self.name = name
        self.problem = problem


@dataclass
class Photo:
    name: str
    image: Image.Image  # RGB, EXIF orientation applied; full resolution unless drafted
    notes: list[str] = field(default_factory=list)  # what was done to it, for a caption
    full_size: tuple[int, int] | None = None  # (w, h) upright at full resolution
    exif: bytes | None = None  # the file's EXIF as it came (see export_exif)

    def __post_init__(self) -> None:
        if self.full_size is None:
            self.full_size = self.image.size

    def fitted(self, max_side: int) -> Image.Image:
        """The photo scaled down (never up) so its longer side is at most ``max_side``."""
        w, h = self.image.size
        scale = max_side / max(w, h)
        if scale >= 1:
            return self.image
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        return self.image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)

    @cached_property
    def model_image(self) -> Image.Image:
        """What the models see: the photo, or a copy capped at MODEL_MAX_PIXELS."""
        w, h = self.image.size
        if w * h <= MODEL_MAX_PIXELS:
            return self.image
        scale = math.sqrt(MODEL_MAX_PIXELS / (w * h))
        size = (max(1, int(w * scale)), max(1, int(h * scale)))
        return self.image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _flatten_on_white(image: Image.Image) -> Image.Image:
    rgba = image.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, rgba).convert("RGB")


def _to_8bit_rgb(image: Image.Image) -> Image.Image:
    """Any mode to RGB: 16-bit and float greys are scaled, not clipped."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        values = np.asarray(image, dtype=np.float64)
        top = 65535.0 if image.mode.startswith("I;16") or values.max() > 255 else 255.0
        grey = np.clip(values / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return Image.fromarray(grey).convert("RGB")
    return image.convert("RGB")


_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "PNG",
    b"\xff\xd8\xff": "JPEG",
    b"GIF8": "GIF",
    b"%PDF-": "PDF",
}


def _to_srgb(image: Image.Image, icc: bytes | None) -> tuple[Image.Image, str | None]:
    """``image`` (RGB or CMYK) with its embedded colour profile converted to sRGB, which is
    what models were trained on and browsers assume; and a note naming the profile, if any
    conversion was done. Untagged and sRGB-tagged photos come back as they are."""
    if not icc or image.mode not in ("RGB", "CMYK"):
        return image, None
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        name = (ImageCms.getProfileDescription(profile) or "").strip() or "embedded"
        if "srgb" in name.lower() and image.mode == "RGB":
            return image, None
        converted = ImageCms.profileToProfile(
            image, profile, SRGB, renderingIntent=ImageCms.Intent.PERCEPTUAL, outputMode="RGB"
        )
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image, "its colour profile could not be read; colours are used as stored"
    return converted, f"colours converted from its {name} profile to sRGB"


def export_exif(raw: bytes | None, keep_gps: bool = False) -> bytes | None:
    """The photo's EXIF for a file made from it: a new block with the camera, date and
    settings; the orientation upright (the pixels already are); the GPS position only if
    ``keep_gps``. Left out: the thumbnail (the unblurred photo), the maker's private notes
    and the interoperability pointer, whose offsets point into the original file."""
    if not raw:
        return None
    source, out = Image.Exif(), Image.Exif()
    try:
        source.load(raw)
        for tag, value in source.items():
            if tag not in (EXIF_IFD, GPS_IFD):
                out[tag] = value
        settings = {t: v for t, v in source.get_ifd(EXIF_IFD).items() if t not in DROPPED_TAGS}
        if settings:
            out[EXIF_IFD] = settings
        position = source.get_ifd(GPS_IFD) if keep_gps else {}
        if position:
            out[GPS_IFD] = dict(position)
        out[ORIENTATION] = 1
        return out.tobytes()
    except (OSError, ValueError, SyntaxError, KeyError, TypeError, struct_error):
        return None  # unreadable EXIF: the file goes without it


def _sniff(data: bytes) -> str | None:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    if data[4:8] == b"ftyp":
        return "HEIF"
    return next((kind for magic, kind in _SIGNATURES.items() if data.startswith(magic)), None)


def _open(data: bytes, name: str) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        kind = _sniff(data)
        if kind == "PDF":
            problem = "a PDF, not a photo"
        elif kind:
            problem = f"looks like a {kind} file but its header is damaged"
        else:
            problem = "not an image this app can read"
        raise PhotoError(name, f"{problem} (expected JPEG, PNG, WebP or HEIC).") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError(name, _too_large()) from None


def damaged(error: BaseException) -> str:
    """What a decoder's failure means to the person who uploaded the file."""
    if "truncated" in str(error) or isinstance(error, EOFError):
        return (
            "the file ends before the image does: it was cut short (an upload or copy that "
            "did not finish). Export or copy the photo again."
        )
    return f"the image is damaged ({error}). Export or copy the photo again."


def _too_large(size: tuple[int, int] | None = None) -> str:
    dims = f"{size[0]}x{size[1]} ({size[0] * size[1] / 1e6:.0f} MP) " if size else ""
    return (
        f"refused, the image is {dims}larger than the {MAX_PIXELS / 1e6:.0f} MP limit "
        "(checked before decoding)."
    )


def _upright_size(size: tuple[int, int], decoded: Image.Image, upright: Image.Image):
    """``size`` (w, h) of the stored image, turned as EXIF orientation turned the decoded one."""
    turned = decoded.size != upright.size
    return (size[1], size[0]) if turned else size


def decode_photo(data: bytes, name: str, draft_side: int | None = None) -> Photo:
    """Check and decode an upload. With ``draft_side``, a JPEG is decoded at a reduced scale
    no smaller than that (libjpeg's DCT scaling: fast, a fraction of the memory), for
    previews; ``full_size`` still gives the photo's own size."""
    if not data:
        raise PhotoError(name, "the file is empty.")
    opened = _open(data, name)
    w, h = opened.size
    if w * h > MAX_PIXELS:  # from the header alone: nothing is decoded yet
        raise PhotoError(name, _too_large((w, h)))
    if min(w, h) < MIN_SIDE:
        raise PhotoError(
            name,
            f"{w}x{h} pixels is too small; use a photo at least {MIN_SIDE} pixels on each side.",
        )
    notes = []
    icc, exif = opened.info.get("icc_profile"), opened.info.get("exif")
    try:
        if getattr(opened, "n_frames", 1) > 1:
            notes.append("animated image: the first frame is used")
            opened.seek(0)
        if draft_side and opened.format == "JPEG":
            opened.draft("RGB", (draft_side, draft_side))
        opened.load()
        image = ImageOps.exif_transpose(opened)
        full_size = _upright_size((w, h), opened, image)
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise PhotoError(name, damaged(error)) from None

    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        notes.append("transparent areas were flattened on white")
        image = _flatten_on_white(image)
    image, converted = _to_srgb(image, icc)
    if converted:
        notes.append(converted)
    if image.mode != "RGB":
        image = _to_8bit_rgb(image)
    if w * h > MODEL_MAX_PIXELS:
        notes.append(
            f"{w * h / 1e6:.0f} MP photo: models ran on a {MODEL_MAX_PIXELS / 1e6:.0f} MP copy, "
            "the blur is composited at full size"
        )
    exif = exif if isinstance(exif, bytes) else None
    return Photo(name=name, image=image, notes=notes, full_size=full_size, exif=exif)


def safe_filename(name: str, fallback: str = "photo") -> str:
    """A name safe to write anywhere: no folders, no '..', only plain characters."""
    base = re.split(r"[\\/]", name)[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._-")
    return cleaned[:80] or fallback


def encode_jpeg(rgb, quality: int = 95, exif: bytes | None = None) -> bytes:
    """An sRGB array as JPEG bytes, for downloads: tagged sRGB, with ``exif`` if given."""
    buffer = io.BytesIO()
    extra = {"exif": exif} if exif else {}
    Image.fromarray(rgb).save(
        buffer, "JPEG", quality=quality, subsampling=0, icc_profile=SRGB_ICC, **extra
    )
    return buffer.getvalue()
