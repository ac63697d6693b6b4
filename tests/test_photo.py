"""Every kind of upload through the same decode function the app uses."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from PIL import Image

from photo.decode import MODEL_MAX_PIXELS, PhotoError, decode_photo, safe_filename
from tests.corpus import BAD, GOOD, bomb_png, encode
from ui.text import as_text


def test_png_portrait_decodes_to_rgb(astronaut_path):
    photo = decode_photo(astronaut_path.read_bytes(), "astronaut.png")
    assert photo.image.mode == "RGB" and photo.image.size == (512, 512)
    assert photo.notes == [] and photo.model_image is photo.image


@pytest.mark.parametrize("name", GOOD)
def test_unusual_but_valid_files_decode_to_rgb(name):
    make, note = GOOD[name]
    photo = decode_photo(make(), name)
    assert photo.image.mode == "RGB"
    assert min(photo.image.size) >= 16
    if note:
        assert any(note in n for n in photo.notes), photo.notes
    else:
        assert photo.notes == []


def test_exif_orientation_is_applied_before_anything_else():
    photo = decode_photo(GOOD["phone.jpg"][0](), "phone.jpg")
    assert photo.image.size == (72, 96)  # 96x72 stored, shown upright


def test_sixteen_bit_is_scaled_not_clipped():
    photo = decode_photo(GOOD["scan16.png"][0](), "scan16.png")
    pixels = np.asarray(photo.image)
    assert pixels[0, 0].tolist() == [128, 128, 128]
    assert pixels[0, -1].tolist() == [255, 255, 255]


def test_transparency_is_flattened_on_white():
    rgba = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    photo = decode_photo(encode(rgba, "PNG"), "cutout.png")
    assert np.asarray(photo.image)[0, 0].tolist() == [255, 255, 255]


def test_animation_keeps_the_first_frame():
    photo = decode_photo(GOOD["animated.gif"][0](), "animated.gif")
    assert np.asarray(photo.image)[36, 48].tolist() != [0, 0, 255]


@pytest.mark.parametrize("name", BAD)
def test_broken_files_get_a_message_naming_them(name):
    make, words = BAD[name]
    with pytest.raises(PhotoError) as caught:
        decode_photo(make(), name)
    assert caught.value.name == name
    assert str(caught.value).startswith(f"{name}: ")
    assert words in caught.value.problem


def test_a_decompression_bomb_is_refused_before_decoding():
    data = bomb_png()
    assert len(data) < 1_000_000  # a few hundred KB on disk, 900 MP in memory
    tracemalloc.start()
    with pytest.raises(PhotoError, match="900 MP|120 MP limit"):
        decode_photo(data, "bomb.png")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 20_000_000


def test_a_large_legitimate_photo_is_accepted_with_models_capped():
    image = Image.new("RGB", (8200, 6100), (90, 120, 150))  # 50 MP
    photo = decode_photo(encode(image, "PNG"), "big.png")
    assert photo.image.size == (8200, 6100)
    w, h = photo.model_image.size
    assert w * h <= MODEL_MAX_PIXELS and abs(w / h - 8200 / 6100) < 0.01
    assert any("models ran on a 16 MP copy" in note for note in photo.notes)


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("/abs/path/photo.jpg", "photo.jpg"),
        ("C:\\Users\\me\\My Photo (1).jpg", "My_Photo_1_.jpg"),
        ("..", "photo"),
        ("", "photo"),
        ("<script>alert(1)</script>.png", "script_.png"),
        ("ümlaut portrait.heic", "umlaut_portrait.heic"),
    ],
)
def test_names_written_anywhere_are_sanitised(name, safe):
    cleaned = safe_filename(name)
    assert cleaned == safe
    assert "/" not in cleaned and "\\" not in cleaned and not cleaned.startswith(".")


def test_names_shown_in_markdown_are_escaped():
    shown = as_text("[click me](javascript:alert(1)) <b>*x*</b> :smile:.png")
    for raw in ("[", "](", "<b>", "*x*", ":smile:"):
        assert raw not in shown.replace("\\" + raw[0], "")
    assert shown.replace("\\", "") == "[click me](javascript:alert(1)) <b>*x*</b> :smile:.png"


def test_the_models_copy_of_a_large_photo_is_made_once():
    image = Image.new("RGB", (5000, 4000), (90, 120, 150))  # 20 MP
    photo = decode_photo(encode(image, "PNG"), "big.png")
    assert photo.model_image is photo.model_image
