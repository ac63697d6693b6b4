"""`portrait-blur models`: the registry table and the one-model check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from commands.models import main
from models.registry import REFINERS, REGISTRY
from tests.conftest import ROOT


def test_table_lists_every_model_with_source_kind_licence_and_size(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == [
        "key", "label", "source", "mask", "licence", "download", "per", "photo", "pinned"
    ]  # fmt: skip
    assert len(lines) == 2 + len(REGISTRY) + len(REFINERS)
    for spec in REGISTRY:
        row = next(line for line in lines if line.startswith(spec.key + " "))
        assert spec.label in row and spec.mask_kind in row and spec.licence in row
    assert "briaai/RMBG-2.0" in out and "CC BY-NC 4.0" in out and "~3450 MB" in out
    assert "heavy: ~100 s CPU, ~10 s GPU" in out  # SAM3, measured on the CPU
    assert "on first download" in out and "(registry)" in out
    inspyrenet = next(line for line in lines if line.startswith("inspyrenet "))
    assert "transparent-background (PyPI), weights from github.com" in inspyrenet
    assert "~370 MB" in inspyrenet and "MD5" in inspyrenet  # a file outside the Hub: checked


def test_check_runs_the_offline_model(capsys):
    assert main(["--check", "mediapipe_selfie", "--device", "CPU"]) == 0
    out = capsys.readouterr().out
    assert "MediaPipe Selfie on CPU: loaded in" in out and "of the photo" in out


def test_check_of_unknown_key_lists_the_known_ones(capsys):
    assert main(["--check", "nope"]) == 2
    assert "birefnet_portrait" in capsys.readouterr().err


def test_check_offline_prints_the_message_not_a_traceback(tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(tmp_path)}
    done = subprocess.run(
        [Path(sys.executable).parent / "portrait-blur", "models", "--check", "birefnet_portrait"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "BiRefNet Portrait is not downloaded yet" in done.stderr
    assert str(tmp_path) in done.stderr
