"""InSPyReNet through the transparent-background package, on a checkpoint of the package's
own network with random weights (tests/standins/factory.py), and its download from outside
the Hub: a local HTTP server stands in for GitHub's release files."""

from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path

import numpy as np
import pytest
import yaml

from models import hub, registry, runtime
from models.errors import ModelUnavailable
from service import ModelPool, PhotoFile
from tests.conftest import red_subject_on_green
from tests.release import Release
from tests.standins.factory import inspyrenet_checkpoint

BASE = registry.get_spec("inspyrenet")
FAST = registry.get_spec("inspyrenet_fast")


@pytest.fixture(scope="session")
def standin_checkpoint(tmp_path_factory) -> Path:
    return inspyrenet_checkpoint(tmp_path_factory.mktemp("inspyrenet") / "standin.pth")


def place(checkpoint: Path, spec) -> Path:
    target = hub.weights_file(spec)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.link(checkpoint, target)
    return target


def test_the_registry_names_the_packages_own_checkpoints():
    import transparent_background

    config = Path(transparent_background.__file__).parent / "config.yaml"
    modes = yaml.safe_load(config.read_text())
    for spec in (BASE, FAST):
        assert spec.weights_url == modes[spec.variant]["url"]
        assert spec.weights_md5 == modes[spec.variant]["md5"]


def test_fast_mode_runs_in_a_worker_from_the_downloaded_checkpoint(
    standin_checkpoint, offline_hub, weights_dir, tmp_path, monkeypatch
):
    """Through the pool, as the app runs it: a worker that loads weights only, the package's
    strict load of its own network; its config copy goes beside our weights, not $HOME."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    place(standin_checkpoint, FAST)
    photo = red_subject_on_green((320, 240))
    photo_file = PhotoFile("red.png", _png(photo))
    pool = ModelPool(ram_budget_mb=10_000, gpu_budget_mb=10_000)
    try:
        result = pool.run(FAST, photo_file, "cpu")
    finally:
        pool.shutdown()
    assert result.ok, result.error
    assert result.alpha.shape == (240, 320) and result.alpha.dtype == np.float32
    assert result.alpha.min() >= 0.0 and result.alpha.max() <= 1.0
    assert (weights_dir / ".transparent-background" / "config.yaml").is_file()
    assert not (tmp_path / "home" / ".transparent-background").exists()


def test_each_mode_feeds_the_network_its_own_size(standin_checkpoint, offline_hub, monkeypatch):
    from transparent_background.InSPyReNet import InSPyReNet

    seen = []
    pyramid = InSPyReNet.forward_inspyre  # the network's pass over the resized photo
    monkeypatch.setattr(
        InSPyReNet, "forward_inspyre", lambda m, x: seen.append(x.shape) or pyramid(m, x)
    )
    place(standin_checkpoint, FAST)
    try:
        result = runtime.run_model(FAST.key, red_subject_on_green((200, 150)), "cpu")
    finally:
        runtime.unload(FAST.key)
    assert result.ok, result.error
    assert seen == [(1, 3, 384, 384)]
    assert result.alpha.shape == (150, 200)


def test_not_downloaded_offline_fails_at_once_with_the_fix(offline_hub, hub_probes):
    pool = ModelPool(ram_budget_mb=10_000, gpu_budget_mb=10_000)
    try:
        result = pool.run(BASE, PhotoFile("red.png", _png(red_subject_on_green((64, 48)))), "cpu")
    finally:
        pool.shutdown()
    assert not pool.starts and hub_probes == []  # no worker started, no network waited on
    assert result.error.startswith(
        "InSPyReNet is not downloaded yet and github.com cannot be reached (offline)"
    )
    assert "portrait-blur models --check inspyrenet`" in result.error
    assert hub.availability(BASE) == hub.OFFLINE


def test_download_is_checked_then_kept_with_progress(online, monkeypatch):
    body = os.urandom(3 << 20)
    release = Release(body)
    spec = dataclasses.replace(
        FAST, weights_url=release.url, weights_md5=hashlib.md5(body).hexdigest()
    )
    progress = []
    hub.set_progress_listener(lambda label, done, total: progress.append((label, done, total)))
    try:
        assert hub.availability(spec) == "~370 MB download"
        path = hub.fetch_weights(spec)
        assert path.read_bytes() == body and path == hub.weights_file(spec)
        assert progress[-1] == (FAST.label, len(body), len(body))
        assert hub.availability(spec) == hub.READY
        assert hub.fetch_weights(spec) == path and release.requests == 1  # kept, not fetched
    finally:
        hub.set_progress_listener(None)
        release.close()


@pytest.mark.parametrize(
    ("status", "md5", "expected"),
    [
        (200, "0" * 32, "has MD5"),
        (404, None, "HTTP Error 404"),
    ],
)
def test_a_bad_download_keeps_nothing(online, status, md5, expected):
    release = Release(b"not a checkpoint", status=status)
    spec = dataclasses.replace(FAST, weights_url=release.url, weights_md5=md5)
    try:
        with pytest.raises(ModelUnavailable, match=expected) as raised:
            hub.fetch_weights(spec)
    finally:
        release.close()
    assert "InSPyReNet fast" in str(raised.value)
    assert not list(hub.weights_file(spec).parent.iterdir())  # no file, no partial one


def _png(image) -> bytes:
    import io

    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_an_unreachable_release_host_is_named_with_the_fix(online):
    """The Hub may be up while the weights' host is not: the message names the host."""
    spec = dataclasses.replace(FAST, weights_url="https://weights.invalid/ckpt_fast.pth")
    reason = hub.offline_reason(spec)
    assert reason.startswith("InSPyReNet fast is not downloaded yet and weights.invalid cannot")
    with pytest.raises(ModelUnavailable, match="weights.invalid cannot be reached"):
        hub.fetch_weights(spec)
