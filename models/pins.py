"""Trust on first use for what a Hub repo runs here: its Python code and pickled weights.

The BiRefNet repos, RMBG 2.0 and BEN2 ship the Python modules the app imports, and SAM3's
weights are a pickle from a community mirror; a registry entry without a ``revision`` would
otherwise load whatever is on ``main`` today. The first time such a repo is loaded, its
commit and the sha256 of each of its ``.py`` files are written to a small lock file in the
user's cache; later loads use that commit only, and refuse code whose hash differs.
``portrait-blur models --update KEY`` moves a pin on purpose. (Pickled weights are loaded with
``weights_only=True``, which cannot run code; their commit is pinned all the same.)
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from models.cache_files import read_json, write_json
from models.errors import ModelUnavailable, shown_path
from models.paths import pins_file
from models.registry import ModelSpec

CODE_SUFFIXES = (".py",)
PICKLE_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt", ".pkl")

log = logging.getLogger("portrait_blur.pins")
_lock = threading.Lock()


@dataclass(frozen=True)
class Pin:
    commit: str
    code: dict[str, str]  # .py file name -> sha256 of its bytes
    pinned_at: str  # when, in UTC, ISO 8601


def pinned_files(spec: ModelSpec) -> tuple[str, ...]:
    """The files of ``spec`` that make its repo need a pin: code, or pickled weights."""
    return tuple(name for name in spec.files if name.endswith(CODE_SUFFIXES + PICKLE_SUFFIXES))


def needs_pin(spec: ModelSpec) -> bool:
    """A Hub model whose registry entry leaves the revision open and that runs repo code
    or unpickles repo weights."""
    return bool(spec.repo) and spec.revision is None and bool(pinned_files(spec))


def read_pins() -> dict[str, Pin]:
    """Every pin, by repo."""
    try:
        return {repo: Pin(**entry) for repo, entry in read_json(pins_file()).items()}
    except TypeError:  # an entry of another shape: as if unpinned
        return {}


def _write(pins: dict[str, Pin]) -> None:
    write_json(pins_file(), {repo: asdict(pin) for repo, pin in pins.items()})


@contextlib.contextmanager
def _exclusive():
    """This process's threads and other processes (model workers) edit the file in turn."""
    path = pins_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with _lock, open(path.with_suffix(".lock"), "a") as handle:
        try:
            import fcntl

            fcntl.flock(handle, fcntl.LOCK_EX)
        except ImportError:  # Windows: threads are still serialised
            pass
        yield


def pinned_commit(spec: ModelSpec) -> str | None:
    """The commit ``spec``'s repo loads from: the registry's, else its pin, else None."""
    if spec.revision or not needs_pin(spec):
        return spec.revision
    pin = read_pins().get(spec.repo)
    return pin.commit if pin else None


def code_hashes(snapshot: Path, spec: ModelSpec) -> dict[str, str]:
    return {
        name: hashlib.sha256((snapshot / name).read_bytes()).hexdigest()
        for name in pinned_files(spec)
        if name.endswith(CODE_SUFFIXES) and (snapshot / name).is_file()
    }


def verify(spec: ModelSpec, snapshot: Path) -> None:
    """Pin ``spec``'s repo at ``snapshot`` (a cache folder named after its commit) if it has
    no pin yet; else refuse a snapshot of another commit or code that differs from the pin."""
    if not needs_pin(spec):
        return
    commit, hashes = snapshot.name, code_hashes(snapshot, spec)
    with _exclusive():
        pins = read_pins()
        pin = pins.get(spec.repo)
        if pin is None:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            pins[spec.repo] = Pin(commit, hashes, stamp)
            _write(pins)
            log.info("Pinned %s at commit %s (%s)", spec.repo, commit, ", ".join(hashes))
            return
    if pin.commit != commit:
        raise ModelUnavailable(
            f"{spec.label}: the files in {shown_path(str(snapshot))} are commit {commit[:7]} of "
            f"{spec.repo}, but it is pinned at {pin.commit[:7]}. Run "
            f"`portrait-blur models --update {spec.key}` to move the pin there on purpose."
        )
    changed = sorted(name for name, digest in hashes.items() if pin.code.get(name) != digest)
    if changed:
        raise ModelUnavailable(
            f"{spec.label}: {', '.join(changed)} in {shown_path(str(snapshot))} is not the code "
            f"pinned on {pin.pinned_at[:10]} (commit {pin.commit[:7]} of {spec.repo}); it was "
            "changed on disk. Delete that folder to download it again, or run "
            f"`portrait-blur models --update {spec.key}` to trust the code as it is now."
        )


def forget(spec: ModelSpec) -> Pin | None:
    """Drop ``spec``'s pin (before moving it); returns the old one."""
    with _exclusive():
        pins = read_pins()
        old = pins.pop(spec.repo, None)
        _write(pins)
    return old


def restore(spec: ModelSpec, pin: Pin) -> None:
    with _exclusive():
        pins = read_pins()
        pins[spec.repo] = pin
        _write(pins)


def describe(spec: ModelSpec) -> str:
    """The pin, for tables and tooltips."""
    if spec.weights_md5:
        return f"MD5 {spec.weights_md5[:7]} (registry)"
    if not spec.repo:
        return "-"
    if spec.revision:
        return f"{spec.revision[:7]} (registry)"
    if not needs_pin(spec):
        return "main"
    pin = read_pins().get(spec.repo)
    return pin.commit[:7] if pin else "on first download"
