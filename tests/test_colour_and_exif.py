"""Honest colour and metadata: photos become sRGB on decode, exports are tagged sRGB and
keep the photo's EXIF (upright, GPS removed unless asked)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageCms

import commands
from photo.decode import EXIF_IFD, GPS_IFD, ORIENTATION, decode_photo, export_exif
from photo.exports import KINDS, Export, make_file
from tests.exif import EXPOSURE, MAKE, MAKER_NOTE, MODEL, TAKEN, camera_exif, read_exif
from tests.icc import convert, display_profile

COLOURS = np.array([[200, 100, 50], [40, 180, 90], [128, 128, 128], [250, 30, 30]], np.uint8)


def tagged_png(icc: bytes) -> bytes:
    """Four colour patches, 32x32 each, stored losslessly with the profile ``icc``."""
    patches = np.repeat(np.repeat(COLOURS[None], 32, axis=0), 32, axis=1)
    buffer = io.BytesIO()
    Image.fromarray(patches).save(buffer, "PNG", icc_profile=icc)
    return buffer.getvalue()


def patch_colours(image: Image.Image) -> np.ndarray:
    return np.asarray(image)[16, 16::32].astype(int)


def camera_jpeg(size=(64, 48)) -> bytes:
    """A landscape-stored JPEG that EXIF says to turn upright (orientation 6), with camera,
    date, exposure and a GPS position."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (90, 140, 200)).save(buffer, "JPEG", exif=camera_exif().tobytes())
    return buffer.getvalue()


def test_a_display_p3_photo_is_converted_to_srgb_on_decode():
    photo = decode_photo(tagged_png(display_profile("Display P3")), "iphone.png")
    # The same colours worked out from the primaries, not with LittleCMS.
    np.testing.assert_allclose(patch_colours(photo.image), convert(COLOURS), atol=1)
    assert not np.array_equal(patch_colours(photo.image), COLOURS)  # it did change them
    assert any("Display P3" in note and "sRGB" in note for note in photo.notes), photo.notes


def test_an_srgb_or_untagged_photo_keeps_its_pixels():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    for data in (tagged_png(srgb), tagged_png(b"")):
        photo = decode_photo(data, "plain.png")
        np.testing.assert_array_equal(patch_colours(photo.image), COLOURS)
        assert photo.notes == []


def test_an_unreadable_profile_is_said_and_the_photo_still_decodes():
    photo = decode_photo(tagged_png(b"not an icc profile at all" * 8), "odd.png")
    np.testing.assert_array_equal(patch_colours(photo.image), COLOURS)
    assert any("colour profile could not be read" in note for note in photo.notes)


def test_export_exif_keeps_the_camera_uprights_and_drops_the_position():
    photo = decode_photo(camera_jpeg(), "camera.jpg")
    assert photo.image.size == (48, 64)  # turned upright on decode
    kept = Image.Exif()
    kept.load(export_exif(photo.exif))
    assert (kept[MAKE], kept[MODEL], kept[ORIENTATION]) == ("Canon", "EOS R5", 1)
    assert kept.get_ifd(EXIF_IFD)[TAKEN] == "2026:05:17 18:42:07"
    assert kept.get_ifd(EXIF_IFD)[EXPOSURE] == (1, 250)
    assert MAKER_NOTE not in kept.get_ifd(EXIF_IFD)  # private, offsets into the original
    assert GPS_IFD not in kept and not kept.get_ifd(GPS_IFD)
    with_gps = Image.Exif()
    with_gps.load(export_exif(photo.exif, keep_gps=True))
    assert with_gps.get_ifd(GPS_IFD)[2] == (52.0, 22.0, 1.5)


def test_no_exif_or_broken_exif_gives_none():
    assert export_exif(None) is None
    assert export_exif(b"Exif\0\0garbage") is None


def export(exif: bytes | None) -> Export:
    rgb = np.full((48, 64, 3), 120, np.uint8)
    alpha = np.zeros((48, 64), np.float32)
    alpha[10:40, 20:44] = 1.0
    return Export("p", "m", rgb, alpha, True, 51, exif=exif)


@pytest.mark.parametrize("kind", KINDS)
def test_every_colour_export_is_tagged_srgb(kind):
    image = Image.open(io.BytesIO(make_file(export(None), kind)))
    icc = image.info.get("icc_profile")
    if kind == "matte.png":
        assert icc is None  # alpha values, not colours
    else:
        description = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc)))
        assert "sRGB" in description


def test_the_blurred_jpeg_carries_the_exif_it_is_given():
    exif = export_exif(camera_exif(orientation=1).tobytes())
    written = read_exif(make_file(export(exif), "blur.jpg"))
    assert written[MAKE] == "Canon" and GPS_IFD not in written
    assert not read_exif(make_file(export(None), "blur.jpg"))


def test_batch_command_keeps_exif_without_gps_unless_asked(tmp_path, astronaut_path):
    """A person photo with camera EXIF and a position, through the real command and model."""
    photo = tmp_path / "holiday.jpg"
    Image.open(astronaut_path).save(photo, "JPEG", exif=camera_exif(orientation=1).tobytes())
    for extra, has_gps in (([], False), (["--keep-gps"], True)):
        out = tmp_path / f"out{len(extra)}"
        code = commands.main([str(photo), "--model", "mediapipe_selfie", "--out", str(out), *extra])
        assert code == 0
        written = read_exif((out / "holiday" / "mediapipe_selfie_blur.jpg").read_bytes())
        assert written[MODEL] == "EOS R5"
        assert written.get_ifd(EXIF_IFD)[TAKEN] == "2026:05:17 18:42:07"
        assert bool(written.get_ifd(GPS_IFD)) is has_gps
