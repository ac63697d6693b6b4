"""The evaluation on a local Ray instance (CPU): the same rows as in this process."""

from __future__ import annotations

import json
import os

import pytest

import commands
from evaluation import cluster

IGNORED = ("inference_s", "worker_mb")  # timings and memory differ from run to run


@pytest.fixture(scope="module")
def local_ray(tmp_path_factory):
    """Ray started here with two CPUs and no dashboard; stand-in flags set before its
    workers start, so they see them."""
    ray = pytest.importorskip("ray")
    flags = tmp_path_factory.mktemp("standin-flags")
    old = os.environ.get("STANDIN_FLAGS")
    os.environ["STANDIN_FLAGS"] = str(flags)
    cluster.connect("local", cpus=2)
    yield ray
    ray.shutdown()
    if old is None:
        os.environ.pop("STANDIN_FLAGS", None)
    else:
        os.environ["STANDIN_FLAGS"] = old


def rows(folder) -> dict:
    lines = (folder / "per_image.jsonl").read_text().splitlines()
    found = [json.loads(line) for line in lines]
    return {(r["image"], r["model"]): {k: v for k, v in r.items() if k not in IGNORED}
            for r in found}  # fmt: skip


def test_ray_gives_the_same_per_image_metrics(local_ray, tmp_path, add_standin_model):
    add_standin_model("square", "Square")  # a stand-in: the actors get the spec itself
    common = ["eval", "--synthetic", "3", "--model", "mediapipe_selfie", "--model", "square"]
    assert commands.main([*common, "--out", str(tmp_path / "here")]) == 0
    assert commands.main([*common, "--out", str(tmp_path / "ray"), "--ray", "auto"]) == 0
    here, on_ray = rows(tmp_path / "here"), rows(tmp_path / "ray")
    assert len(here) == 6 and here == on_ray
    assert (tmp_path / "ray" / "mattes" / "square" / "synthetic-002.png").is_file()
    assert "| MediaPipe Selfie | 3 | 0 |" in (tmp_path / "ray" / "leaderboard.md").read_text()


def test_ray_resumes_too(local_ray, tmp_path):
    args = ["eval", "--synthetic", "2", "--model", "mediapipe_selfie", "--out", str(tmp_path),
            "--ray", "auto"]  # fmt: skip
    assert commands.main(args) == 0
    before = (tmp_path / "per_image.jsonl").read_text()
    assert commands.main(args) == 0
    assert (tmp_path / "per_image.jsonl").read_text() == before


class FailingActor(cluster.ModelActor):
    """The "square" model's actor cannot start, as on a node without this project; the
    "square-2" model's breaks on every photo it is handed; any other model runs. (Ray imports
    this module on its workers by name.)"""

    def __init__(self, spec, device) -> None:
        if spec.key == "square":
            raise ModuleNotFoundError("No module named 'evaluation'")
        super().__init__(spec, device)

    def __call__(self, batch: dict) -> dict:
        if self.spec.key == "square-2":
            raise ValueError("a bug in the scoring")
        return super().__call__(batch)


def test_models_that_fail_on_ray_say_why_in_a_line_each_and_the_rest_run(
    local_ray, tmp_path, add_standin_model, monkeypatch, capsys
):  # fmt: skip
    add_standin_model("square", "Square")
    add_standin_model("square-2", "Square 2")
    model_actor = cluster.ModelActor
    monkeypatch.setattr(cluster, "ModelActor", FailingActor)
    args = ["eval", "--synthetic", "2", "--model", "square", "--model", "square-2",
            "--model", "mediapipe_selfie", "--out", str(tmp_path), "--ray", "auto"]  # fmt: skip
    assert commands.main(args) == 1
    found = rows(tmp_path)
    assert all("sad" in found[(f"synthetic-00{n}", "mediapipe_selfie")] for n in (0, 1))
    err = capsys.readouterr().err
    assert "Full stack trace" not in err  # Ray Data's own report of what is said below
    failed = {line.split(" on ")[0]: line for line in err.splitlines() if " on synthetic" in line}
    assert sorted(failed) == ["square", "square-2"]  # a line per model, for both photos
    assert (
        "square on synthetic-000, synthetic-001: Square could not start on the Ray "
        "cluster (ModuleNotFoundError: No module named 'evaluation')" in failed["square"]
    )
    assert "uv sync --extra cluster" in failed["square"]
    assert "Square 2 failed on the Ray cluster (ValueError: a bug in the scoring)" \
           in failed["square-2"]  # fmt: skip
    assert "uv sync" not in failed["square-2"]  # not a missing install
    monkeypatch.setattr(cluster, "ModelActor", model_actor)
    assert commands.main(args) == 0  # a rerun tries the failed ones again


def test_without_ray_installed_the_flag_says_how_to_get_it(monkeypatch, tmp_path, capsys):
    import builtins

    real_import = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray":
            raise ImportError("No module named 'ray'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    args = ["eval", "--synthetic", "1", "--model", "mediapipe_selfie", "--out", str(tmp_path),
            "--ray", "auto"]  # fmt: skip
    assert commands.main(args) == 2
    assert "uv sync --extra cluster" in capsys.readouterr().err


def test_auto_starts_a_local_ray_where_no_cluster_runs(monkeypatch, capsys):
    """ray.init at its boundary: "auto" with no cluster to join falls back to one here."""
    import sys
    from types import SimpleNamespace

    calls = []

    def init(address=None, **kwargs):
        calls.append(address)
        if address == "auto":
            raise ConnectionError("Could not find any running Ray instance.")

    fake = SimpleNamespace(is_initialized=lambda: False, init=init)
    monkeypatch.setitem(sys.modules, "ray", fake)
    cluster.connect("auto", cpus=2)
    assert calls == ["auto", None]  # then a local instance (no address)
    assert "starting one here" in capsys.readouterr().err
