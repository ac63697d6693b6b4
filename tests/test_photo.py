from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from photo import PhotoError, decode_photo


def encode(image: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def test_png_portrait_decodes_to_rgb(astronaut_path):
    photo = decode_photo(astronaut_path.read_bytes(), "astronaut.png")
    assert photo.image.mode == "RGB" and photo.image.size == (512, 512)
    assert photo.notes == []


def test_exif_orientation_is_applied():
    wide = Image.new("RGB", (64, 32), (200, 10, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    photo = decode_photo(encode(wide, "JPEG", exif=exif), "phone.jpg")
    assert photo.image.size == (32, 64)


def test_transparency_is_flattened_on_white_and_said():
    rgba = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    photo = decode_photo(encode(rgba, "PNG"), "cutout.png")
    assert np.asarray(photo.image)[0, 0].tolist() == [255, 255, 255]
    assert any("flattened on white" in note for note in photo.notes)


def test_grayscale_becomes_rgb():
    photo = decode_photo(encode(Image.new("L", (40, 40), 90), "PNG"), "gray.png")
    assert photo.image.mode == "RGB"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"hello, I am text", "not an image"),
        (encode(Image.new("RGB", (4, 4)), "PNG"), "too small"),
    ],
)
def test_unusable_files_get_a_message_naming_them(data, message):
    with pytest.raises(PhotoError, match=message) as caught:
        decode_photo(data, "holiday.jpg")
    assert str(caught.value).startswith("holiday.jpg:")


def test_truncated_jpeg_is_reported_as_damaged(astronaut):
    data = encode(astronaut, "JPEG")
    with pytest.raises(PhotoError, match="damaged or incomplete"):
        decode_photo(data[: len(data) // 2], "cut.jpg")
