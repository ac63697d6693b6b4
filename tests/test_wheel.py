"""The project as a user installs it (`pip install .`, `uv tool install .`): the wheel holds
every package and the files they read, and the sample portrait loads from an installed copy
in a fresh virtual environment, far from this checkout."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from models import registry
from models.paths import ASSETS
from tests.conftest import ROOT

UV = shutil.which("uv")
# What decoding a photo needs, at the versions this environment has (from uv's cache).
DECODING = ("pillow", "pillow-heif", "numpy")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    if UV is None:
        pytest.fail("uv is not on PATH: the README's commands need it (pip install uv)")
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([UV, "build", "--wheel", "--out-dir", str(out), str(ROOT)], check=True,
                   capture_output=True, timeout=300)  # fmt: skip
    (built,) = out.glob("*.whl")
    return built


def test_the_wheel_holds_the_pages_the_assets_and_the_samples(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    needed = {
        "app.py", "ui/pages/compare.py", "commands/__init__.py", "photo/samples/astronaut.png",
        "photo/samples/README.md", "models/assets/README.md",
        *(f"models/assets/{spec.asset}" for spec in registry.REGISTRY if spec.asset),
        *(f"models/assets/{path.name}" for path in ASSETS.glob("*.LICENSE")),
    }  # fmt: skip
    assert needed <= names, needed - names
    assert not any(name.startswith(("tests/", "bench/")) for name in names)


def test_the_sample_portrait_loads_from_an_installed_wheel(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([UV, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True,
                   timeout=120)  # fmt: skip
    python = venv / "bin" / "python"
    pinned = [f"{name}=={metadata.version(name)}" for name in DECODING]
    subprocess.run([UV, "pip", "install", "--quiet", "--python", str(python), "--no-deps",
                    str(wheel), *pinned], check=True, timeout=300)  # fmt: skip
    script = (
        "from photo.samples import sample_path\n"
        "from photo.decode import decode_photo\n"
        "path = sample_path()\n"
        "photo = decode_photo(path.read_bytes(), path.name)\n"
        "print(path)\n"
        "print(*photo.full_size)\n"
    )
    done = subprocess.run([python, "-I", "-c", script], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    where, size = done.stdout.splitlines()
    assert Path(where).is_relative_to(venv) and size == "512 512"
