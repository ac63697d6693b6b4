"""The sample photos the app ships (in the wheel too): the portrait *Try a sample portrait*
loads and ``portrait-blur models --check`` runs, and the photos the synthetic evaluation
set is made from. Origins and licences: README.md beside them."""

from __future__ import annotations

from pathlib import Path

FOLDER = Path(__file__).resolve().parent
PORTRAIT = "astronaut.png"  # 512x512, public domain: the sample portrait
NO_PERSON = ("coffee.png", "chelsea.png")  # backgrounds for the synthetic set


def sample_path(name: str = PORTRAIT) -> Path:
    """One sample photo's file; a name that is not a sample is a bug, so it asserts."""
    path = FOLDER / name
    assert path.is_file(), f"{name} is not one of the sample photos in {FOLDER}"
    return path
