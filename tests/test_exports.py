"""The ZIP, the per-result files and the batch command: same files, safe names, real images."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import commands
from commands.args import default_model_keys
from models import NO_SUBJECT
from photo.exports import KINDS, Export, make_file, photo_folders, result_files, zip_file
from tests.conftest import DATA, PHOTOS


def item(folder: str = "me", key: str = "standin", size=(60, 40)) -> Export:
    w, h = size
    rgb = np.zeros((h, w, 3), np.uint8)
    rgb[..., 2] = 200
    alpha = np.zeros((h // 2, w // 2), np.float32)  # at the model's working size
    alpha[5:15, 10:20] = 1.0
    return Export(folder, key, rgb, alpha, soft=True, strength=11)


def test_zip_holds_four_full_size_images_per_photo_and_model():
    made = (item(folder, key) for folder, key in (("me", "a"), ("me", "b"), ("you", "a")))
    with zip_file(made) as archive_file, zipfile.ZipFile(archive_file) as archive:
        names = sorted(archive.namelist())
        assert names == sorted(
            f"{folder}/{key}_{kind}"
            for folder, key in (("me", "a"), ("me", "b"), ("you", "a"))
            for kind in KINDS
        )
        modes = {}
        for name in names:
            image = Image.open(io.BytesIO(archive.read(name)))
            image.load()
            assert image.size == (60, 40)  # the photo's size, not the model's
            modes[name.split("_", 1)[1]] = image.mode
    assert modes == {
        "overlay.png": "RGB",
        "matte.png": "L",
        "cutout.png": "RGBA",
        "blur.jpg": "RGB",
    }


def test_matte_and_cutout_carry_the_alpha():
    files = dict(result_files(item()))
    matte = np.asarray(Image.open(io.BytesIO(files["standin_matte.png"])))
    cutout = np.asarray(Image.open(io.BytesIO(files["standin_cutout.png"])))
    assert matte[20, 30] == 255 and matte[2, 2] == 0
    assert np.array_equal(cutout[..., 3], matte)
    assert make_file(item(), "matte.png") == files["standin_matte.png"]


def test_photo_folders_are_safe_and_unique():
    names = ["me.jpg", "me.png", "../../etc/passwd", "me.jpg", "Été 2024.heic"]
    assert photo_folders(names) == ["me", "me-2", "passwd", "me-3", "Ete_2024"]


def test_batch_command_on_two_photos(tmp_path, capsys):
    out = tmp_path / "out"
    code = commands.main(
        [str(PHOTOS / "astronaut.png"), str(PHOTOS / "camera.png"), "--model", "mediapipe_selfie",
         "--out", str(out), "--strength", "51"]
    )  # fmt: skip
    assert code == 0
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert written == sorted(
        f"{photo}/mediapipe_selfie_{kind}" for photo in ("astronaut", "camera") for kind in KINDS
    )
    blurred = Image.open(out / "astronaut" / "mediapipe_selfie_blur.jpg")
    assert blurred.size == (512, 512)


def test_batch_command_takes_a_folder_with_the_apps_default_model(tmp_path):
    folder, out = tmp_path / "photos", tmp_path / "out"
    folder.mkdir()
    for name in ("astronaut.png", "camera.png"):
        (folder / name).write_bytes((PHOTOS / name).read_bytes())
    (folder / "notes.txt").write_text("not a photo: left alone")
    assert commands.main([str(folder), "--out", str(out)]) == 0
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert written == sorted(
        f"{photo}/{key}_{kind}"
        for photo in ("astronaut", "camera")
        for key in default_model_keys()
        for kind in KINDS
    )


def test_batch_command_says_nobody_and_writes_nothing_for_a_photo_without_a_person(
    tmp_path, capsys
):
    """The rocket: MediaPipe Selfie leaves a few pixels over 0.1 in the sky; by area, nobody."""
    out = tmp_path / "out"
    rocket = DATA / "rocket.jpg"
    status = commands.main([str(rocket), "--model", "mediapipe_selfie", "--out", str(out)])
    assert status == 0
    assert f"rocket.jpg: MediaPipe Selfie: {NO_SUBJECT}." in capsys.readouterr().err
    assert not [p for p in out.rglob("*") if p.is_file()]


def test_batch_command_refuses_a_folder_without_photos(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        commands.main([str(tmp_path), "--out", str(tmp_path / "out")])
    assert stop.value.code == 2
    assert "holds no photo" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_batch_help_shows_what_is_required_and_the_default_model(capsys):
    with pytest.raises(SystemExit):
        commands.main(["--help"])
    usage = " ".join(capsys.readouterr().out.split())
    assert "--out OUT" in usage and "[--out OUT]" not in usage
    assert "PHOTO [PHOTO ...]" in usage and "default: mediapipe_selfie" in usage


def test_batch_says_an_offline_model_once_and_runs_the_rest(tmp_path, offline_hub, capsys):
    photos = [str(PHOTOS / "astronaut.png"), str(PHOTOS / "camera.png")]
    code = commands.main([*photos, "--model", "mediapipe_selfie", "--model", "birefnet_portrait",
                          "--refine", "closed_form", "--out", str(tmp_path / "out")])  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert err.count("BiRefNet Portrait is not downloaded yet") == 1, err
    assert "Nothing to refine" not in err
    done = tmp_path / "out" / "camera"
    assert (done / "mediapipe_selfie+closed_form_blur.jpg").is_file()


def test_batch_says_an_offline_refiner_once_for_every_model_it_refines(
    tmp_path, offline_hub, add_standin_model, capsys
):
    add_standin_model("square", "Square Stand-in")  # a second model for the refiner
    photos = [str(PHOTOS / "astronaut.png"), str(PHOTOS / "camera.png")]
    code = commands.main([*photos, "--model", "mediapipe_selfie", "--model", "square",
                          "--refine", "vitmatte", "--out", str(tmp_path / "out")])  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert err.count("ViTMatte is not downloaded yet") == 1, err
    assert (tmp_path / "out" / "camera" / "mediapipe_selfie_blur.jpg").is_file()


def test_batch_command_reports_bad_photos_and_goes_on(tmp_path, capsys):
    bad = tmp_path / "notes.jpg"
    bad.write_text("not a photo")
    code = commands.main([str(bad), str(PHOTOS / "astronaut.png"), "--model", "mediapipe_selfie",
                     "--out", str(tmp_path / "out")])  # fmt: skip
    assert code == 1
    assert "notes.jpg: not an image" in capsys.readouterr().err
    assert (tmp_path / "out" / "astronaut" / "mediapipe_selfie_blur.jpg").is_file()


@pytest.mark.parametrize(
    "args", [["--model", "nope", "--out", "x", "p.jpg"], ["p.jpg"], ["--strength", "4", "--model",
             "mediapipe_selfie", "--out", "x", "p.jpg"]],
)  # fmt: skip
def test_batch_command_refuses_bad_arguments(args):
    with pytest.raises(SystemExit) as stop:
        commands.main(args)
    assert stop.value.code == 2


@pytest.mark.parametrize(
    ("device", "says"),
    [("GPU", "invalid choice: 'GPU'"), ("CUDA", "CUDA is not available on this machine")],
)
def test_batch_command_checks_the_device(device, says, capsys, monkeypatch):
    from models import devices

    monkeypatch.setattr(devices, "cuda_available", lambda: False)
    args = ["p.jpg", "--model", "mediapipe_selfie", "--out", "x", "--device", device]
    with pytest.raises(SystemExit) as stop:
        commands.main(args)
    assert stop.value.code == 2
    assert says in capsys.readouterr().err


def test_installed_console_script_lists_models():
    script = Path(sys.executable).parent / "portrait-blur"
    done = subprocess.run(
        [str(script), "--list-models"], capture_output=True, text=True, timeout=300,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "birefnet_portrait" in done.stdout and "mediapipe_selfie" in done.stdout


def test_cutout_uses_the_subjects_own_colour_in_soft_pixels():
    import blur
    from bench.scenes import portrait_scene

    scene = portrait_scene(320, 240, edge_fraction=0.02)
    clean = Export("s", "m", scene.photo, scene.alpha, soft=True, strength=31)
    raw = Export("s", "m", scene.photo, scene.alpha, soft=True, strength=31, clean_edges=False)
    clean_rgba = np.asarray(Image.open(io.BytesIO(make_file(clean, "cutout.png"))))
    raw_rgba = np.asarray(Image.open(io.BytesIO(make_file(raw, "cutout.png"))))
    assert np.array_equal(clean_rgba[..., :3], blur.foreground_colours(scene.photo, scene.alpha))
    assert np.array_equal(raw_rgba[..., :3], scene.photo)
    assert np.array_equal(clean_rgba[..., 3], raw_rgba[..., 3])


def test_the_zip_is_a_file_streamlit_can_serve():
    from streamlit.runtime.download_data_util import convert_data_to_bytes_and_infer_mime

    data, _ = convert_data_to_bytes_and_infer_mime(
        zip_file([item()]), unsupported_error=ValueError("Streamlit cannot serve this")
    )
    assert data.startswith(b"PK") and zipfile.ZipFile(io.BytesIO(data)).testzip() is None
