from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from photo.samples import FOLDER

DATA = Path(__file__).parent / "data"
PHOTOS = FOLDER  # the sample photos the app ships: the tests' photos too
ROOT = Path(__file__).parent.parent


@pytest.fixture(autouse=True)
def pins_file(tmp_path, monkeypatch) -> Path:
    """Each test's own lock file of Hub pins (models.pins), never the user's: stand-in repos
    of different tests share names and commits but not code."""
    path = tmp_path / "pins.json"
    monkeypatch.setenv("PORTRAIT_BLUR_PINS", str(path))
    return path


@pytest.fixture(autouse=True)
def weights_dir(tmp_path, monkeypatch) -> Path:
    """Each test's own folder of weights downloaded from outside the Hub (models.hub)."""
    path = tmp_path / "weights"
    monkeypatch.setenv("PORTRAIT_BLUR_WEIGHTS", str(path))
    return path


@pytest.fixture(autouse=True)
def arena_db(tmp_path, monkeypatch) -> Path:
    """Each test's own arena database (a SQLite file), never the user's."""
    path = tmp_path / "arena.db"
    monkeypatch.setenv("PORTRAIT_BLUR_DB", str(path))
    return path


@pytest.fixture
def astronaut_path() -> Path:
    """NASA portrait of Eileen Collins (public domain), 512x512, from scikit-image's data."""
    return PHOTOS / "astronaut.png"


@pytest.fixture
def astronaut(astronaut_path) -> Image.Image:
    return Image.open(astronaut_path).convert("RGB")


@pytest.fixture
def astronaut_rgb(astronaut) -> np.ndarray:
    return np.asarray(astronaut)


@pytest.fixture
def standin_flags(tmp_path, monkeypatch) -> Path:
    """The folder stand-in workers read their flags from (see tests/standins/adapters.py);
    the shared pool is reset so its workers start with it."""
    from service import reset_shared_pool

    folder = tmp_path / "standin-flags"
    folder.mkdir()
    monkeypatch.setenv("STANDIN_FLAGS", str(folder))
    reset_shared_pool()
    yield folder
    reset_shared_pool()


@pytest.fixture
def add_standin_model(standin_flags, monkeypatch):
    """Registers a stand-in model that runs in a real worker: its behaviour is the key's
    part before any "-" (square, slow, hangs, crashes, greedy, spikes, broken, flickers, counts).

    Stand-ins test the app's and the service's plumbing, never a model's quality; nothing
    they return is shown as a model result.
    """
    from models import registry
    from models.registry import Family, ModelSpec

    def add(key: str, label: str, **spec_fields) -> ModelSpec:
        fields = dict(
            package="tests", mask_kind="alpha", licence="none", url="https://example.invalid",
            memory_mb=100,
        )  # fmt: skip
        spec = ModelSpec(
            key=key,
            label=label,
            family=Family("tests.standins.adapters"),
            **{**fields, **spec_fields},
        )
        monkeypatch.setattr(registry, "REGISTRY", registry.REGISTRY + (spec,))
        return spec

    return add


class HubCache:
    """A Hugging Face cache folder laid out as huggingface_hub writes it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def add(self, repo: str, files: dict[str, bytes], revision: str | None = None) -> Path:
        import hashlib

        commit = revision or hashlib.sha1(repo.encode()).hexdigest()
        repo_dir = self.root / f"models--{repo.replace('/', '--')}"
        snapshot = repo_dir / "snapshots" / commit
        snapshot.mkdir(parents=True)
        (repo_dir / "refs").mkdir(exist_ok=True)
        (repo_dir / "refs" / "main").write_text(commit)
        for name, data in files.items():
            (snapshot / name).write_bytes(data)
        return snapshot


@pytest.fixture
def offline_hub(tmp_path, monkeypatch):
    """An empty Hub cache in tmp_path, with the Hub switched off (HF_HUB_OFFLINE=1)."""
    from huggingface_hub import constants

    from service import reset_shared_pool

    cache = tmp_path / "hf-cache"
    cache.mkdir()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    reset_shared_pool()  # workers inherit the environment when they start
    yield HubCache(cache)
    reset_shared_pool()


@pytest.fixture
def hub_probes(monkeypatch) -> list[str]:
    """The addresses probed for reachability during the test, each answered "unreachable"
    at once: a run that must fail fast offline shows it by probing nothing (no time bound)."""
    from models import hub

    probes: list[str] = []
    monkeypatch.setattr(hub, "_probe", lambda url: probes.append(url) or False)
    yield probes
    hub.forget_probe()


def red_subject_on_green(size: tuple[int, int]) -> Image.Image:
    """A red rectangle (the "subject" of every stand-in) on a green background."""
    w, h = size
    image = np.zeros((h, w, 3), np.uint8)
    image[..., 1] = 200
    image[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4] = (220, 30, 30)
    return Image.fromarray(image)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the test item, for fixtures that act on failure."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def online(monkeypatch):
    """Downloads on; no proxy, which would be asked for 127.0.0.1 too."""
    from huggingface_hub import constants

    from models import hub

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    for name in (*hub.PROXY_VARIABLES, "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    hub.forget_probe()
    yield
    hub.forget_probe()


@pytest.fixture(scope="session")
def postgres_server():
    """One real PostgreSQL server for the test session (tests/databases.py)."""
    from tests.databases import PostgresServer, postgres_or_skip

    postgres_or_skip()
    server = PostgresServer()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """An empty database of each kind the arena supports: a SQLite file, and a new
    database on a real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'arena.db'}"
    return request.getfixturevalue("postgres_server").new_database()
