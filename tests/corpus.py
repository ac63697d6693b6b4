"""A generated corpus of the files people upload: unusual but fine, broken, and hostile."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image

PORTRAIT_SIZE = (96, 72)


def encode(image: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def portrait(size=PORTRAIT_SIZE) -> Image.Image:
    w, h = size
    array = np.zeros((h, w, 3), np.uint8)
    array[..., 0] = np.linspace(0, 255, w, dtype=np.uint8)
    array[..., 1] = 120
    array[h // 4 : 3 * h // 4, w // 3 : 2 * w // 3] = (230, 180, 150)
    return Image.fromarray(array)


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    )


def bomb_png(side: int = 30000) -> bytes:
    """A 1-bit PNG of side x side pixels that compresses to a few hundred KB."""
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    row = b"\x00" * (1 + (side + 7) // 8)
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    signature = b"\x89PNG\r\n\x1a\n"
    return (
        signature + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", body) + _png_chunk(b"IEND", b"")
    )


def animated(fmt: str) -> bytes:
    frames = [portrait(), Image.new("RGB", PORTRAIT_SIZE, (0, 0, 255))]
    return encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)


def exif_rotated() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # shown rotated 90 degrees clockwise
    return encode(portrait(), "JPEG", exif=exif)


def sixteen_bit_grey() -> bytes:
    values = np.full((72, 96), 65535, np.uint16)
    values[:, :48] = 32896  # ~ 128 of 255
    return encode(Image.fromarray(values), "PNG")


def corrupt_png_data() -> bytes:
    data = bytearray(encode(portrait(), "PNG"))
    start = data.index(b"IDAT") + 8
    data[start : start + 16] = b"\xff" * 16  # damage the pixel stream, keep the header
    return bytes(data)


def corrupt_png_header() -> bytes:
    data = bytearray(encode(portrait(), "PNG"))
    data[16:24] = b"\x00" * 8  # zero width and height inside IHDR
    return bytes(data)


def truncated_jpeg() -> bytes:
    data = encode(portrait((400, 300)), "JPEG", quality=95)
    return data[: len(data) // 2]


# name -> (bytes, expected note or None) for files that must decode
GOOD = {
    "phone.jpg": (lambda: exif_rotated(), None),
    "iphone.heic": (lambda: encode(portrait(), "HEIF"), None),
    "web.webp": (lambda: encode(portrait(), "WEBP"), None),
    "print.jpg": (lambda: encode(portrait().convert("CMYK"), "JPEG"), None),
    "scan16.png": (sixteen_bit_grey, None),
    "grey.png": (lambda: encode(portrait().convert("L"), "PNG"), None),
    "palette.png": (lambda: encode(portrait().convert("P"), "PNG"), None),
    "cutout.png": (lambda: encode(portrait().convert("RGBA"), "PNG"), "flattened on white"),
    "grey-alpha.png": (lambda: encode(portrait().convert("LA"), "PNG"), "flattened on white"),
    "animated.gif": (lambda: animated("GIF"), "first frame"),
    "animated.webp": (lambda: animated("WEBP"), "first frame"),
}

# name -> (bytes, words the message must contain) for files that must be refused
BAD = {
    "empty.jpg": (lambda: b"", "empty"),
    "notes.jpg": (lambda: b"Dear diary, today I took a photo.", "not an image"),
    "invoice.jpg": (lambda: b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", "a PDF"),
    "half.jpg": (truncated_jpeg, "ends before the image does: it was cut short"),
    "bitrot.png": (corrupt_png_data, "the image is damaged"),
    "badheader.png": (corrupt_png_header, "PNG file but its header is damaged"),
    "dot.png": (lambda: encode(Image.new("RGB", (1, 1)), "PNG"), "too small"),
    "bomb.png": (bomb_png, "120 MP limit"),
}
