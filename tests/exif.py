"""Camera EXIF for tests: what a real camera writes, GPS position included."""

from __future__ import annotations

import io

from PIL import Image

from photo.decode import EXIF_IFD, GPS_IFD, ORIENTATION

MAKE, MODEL, TAKEN, EXPOSURE, MAKER_NOTE = 0x010F, 0x0110, 0x9003, 0x829A, 0x927C


def camera_exif(orientation: int = 6) -> Image.Exif:
    exif = Image.Exif()
    exif[MAKE], exif[MODEL], exif[ORIENTATION] = "Canon", "EOS R5", orientation
    settings = exif.get_ifd(EXIF_IFD)
    settings[TAKEN], settings[EXPOSURE] = "2026:05:17 18:42:07", (1, 250)
    settings[MAKER_NOTE] = b"serial 0123456789"
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2], gps[3], gps[4] = "N", (52.0, 22.0, 1.5), "E", (4.0, 53.0, 2.0)
    return exif


def read_exif(data: bytes) -> Image.Exif:
    return Image.open(io.BytesIO(data)).getexif()
