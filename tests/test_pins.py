"""Hub code pinned on first use (models.pins), through the real adapters on stand-in repos,
and pickled weights that would run code refused in the model workers."""

from __future__ import annotations

import hashlib
import pickle

import pytest

from commands.models import main as models_main
from commands.models import registry_rows
from models import pins, registry, runtime
from service import ModelPool, PhotoFile
from tests.conftest import red_subject_on_green
from tests.standins.factory import ben2_repo_files, birefnet_repo_files

OLD, NEW = "a" * 40, "b" * 40
PORTRAIT = registry.get_spec("birefnet_portrait")


def run(spec):
    runtime.unload(spec.key)
    return runtime.run_model(spec, red_subject_on_green((64, 48)), "cpu")


@pytest.fixture
def portrait_repo(offline_hub):
    files = birefnet_repo_files()
    snapshot = offline_hub.add(PORTRAIT.repo, files, revision=OLD)
    yield offline_hub, files, snapshot
    runtime.unload(PORTRAIT.key)


def test_the_first_load_pins_the_commit_and_the_code(portrait_repo):
    _, files, _ = portrait_repo
    assert pins.describe(PORTRAIT) == "on first download"
    assert run(PORTRAIT).ok
    pin = pins.read_pins()[PORTRAIT.repo]
    assert pin.commit == OLD
    assert pin.code == {
        name: hashlib.sha256(files[name]).hexdigest()
        for name in ("birefnet.py", "BiRefNet_config.py")
    }
    assert pins.describe(PORTRAIT) == OLD[:7]
    assert next(row for row in registry_rows() if row[0] == PORTRAIT.key)[-1] == OLD[:7]


def test_a_newer_commit_runs_only_after_update(portrait_repo, capsys):
    hub_cache, files, _ = portrait_repo
    assert run(PORTRAIT).ok  # pinned at OLD
    upstream = {**files, "birefnet.py": b"raise RuntimeError('new upstream code ran')\n"}
    hub_cache.add(PORTRAIT.repo, upstream, revision=NEW)  # main moves on
    assert run(PORTRAIT).ok  # still OLD's code
    assert models_main(["--update", PORTRAIT.key]) == 0
    assert f"pinned at {NEW[:7]} (was {OLD[:7]})" in capsys.readouterr().out
    assert pins.read_pins()[PORTRAIT.repo].commit == NEW
    result = run(PORTRAIT)
    assert not result.ok and "new upstream code ran" in result.error


def test_code_changed_on_disk_is_refused_with_the_fix(portrait_repo):
    _, files, snapshot = portrait_repo
    assert run(PORTRAIT).ok
    (snapshot / "birefnet.py").write_bytes(files["birefnet.py"] + b"\nprint('patched')\n")
    result = run(PORTRAIT)
    assert not result.ok
    assert "birefnet.py" in result.error and "changed on disk" in result.error
    assert f"portrait-blur models --update {PORTRAIT.key}" in result.error


def test_ben2_pins_the_module_it_imports(offline_hub, tmp_path):
    spec = registry.get_spec("ben2")
    offline_hub.add(spec.repo, ben2_repo_files(tmp_path), revision=OLD)
    assert run(spec).ok
    assert list(pins.read_pins()[spec.repo].code) == ["BEN2.py"]
    runtime.unload(spec.key)


@pytest.mark.parametrize("key", ["mediapipe_selfie", "withoutbg_focus"])
def test_update_explains_a_model_without_a_pin_to_move(key, capsys):
    assert models_main(["--update", key]) == 2
    assert "has no pin to move" in capsys.readouterr().err


class OpensAFile:
    """A pickle that creates a file when loaded: what a malicious checkpoint could do."""

    def __init__(self, path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return open, (self.path, "w")


def test_weights_that_would_run_code_are_refused_in_the_worker(
    add_standin_model, standin_flags, tmp_path, astronaut_path
):
    marker = tmp_path / "code-ran"
    (standin_flags / "weights.pt").write_bytes(pickle.dumps({"model": OpensAFile(marker)}))
    spec = add_standin_model("pickles", "Pickled")
    pool = ModelPool(ram_budget_mb=10_000)
    try:
        result = pool.run(spec, PhotoFile("a.png", astronaut_path.read_bytes()), "cpu")
    finally:
        pool.shutdown()
    assert not marker.exists()
    assert not result.ok and "loads weights only" in result.error
