"""Model files: the local cache first, the network only for what is missing.

Most files come from the Hugging Face Hub; a few weights are published elsewhere (a GitHub
release) and are fetched here too, into their own cache folder (``weights_dir``). A model
whose files are all cached never touches the network (huggingface_hub would otherwise ask
the Hub for updates and, offline, retry for ~23 s). Whether a host can be reached is probed
once, quickly, and remembered for a while, so a missing model says "offline" in well under a
second instead of retrying. ``HF_HUB_OFFLINE=1`` keeps every download off, not only the Hub's.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import logging
import os
import socket
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from urllib.parse import urlparse

from huggingface_hub import (
    constants,
    get_token,
    hf_hub_download,
    snapshot_download,
    try_to_load_from_cache,
)
from tqdm.auto import tqdm

from models import pins
from models.cache_files import read_json, write_json
from models.errors import (
    ModelUnavailable,
    checksum_message,
    download_failed_message,
    incomplete_message,
    offline_message,
)
from models.paths import hub_cache, sizes_file, weights_dir
from models.registry import ModelSpec

log = logging.getLogger("portrait_blur.hub")

PROBE_TIMEOUT_S = 1.5
# A reachable Hub is trusted for minutes; an unreachable one is probed again after seconds,
# so "Run" after reconnecting retries for real.
PROBE_MEMORY_S = {True: 300.0, False: 10.0}
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")

ProgressListener = Callable[[str, int, int], None]  # (model label, bytes done, bytes in all)
_listener: ProgressListener | None = None
_probe_lock = threading.Lock()
_last_probe: dict[str, tuple[bool, float]] = {}  # host -> (reachable, when)
_probing: dict[str, threading.Lock] = {}  # host -> held while it is being probed
_refreshing: set[str] = set()  # hosts a background probe has been started for
READ_TIMEOUT_S = 60.0  # a download that receives nothing for this long fails
CHUNK = 1 << 20


def set_progress_listener(listener: ProgressListener | None) -> None:
    """Receive the byte counts of every download in this process (a model worker's pipe)."""
    global _listener
    _listener = listener


def _can_connect(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=PROBE_TIMEOUT_S).close()
        return True
    except OSError:
        return False


def _probe(url: str) -> bool:
    if any(os.environ.get(name) for name in PROXY_VARIABLES):
        return True  # only the proxy knows; a failed download still gets its own message
    parsed = urlparse(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    answer: list[bool] = []
    # A thread bounds name resolution too, which socket timeouts do not cover.
    probe = threading.Thread(
        target=lambda: answer.append(_can_connect(parsed.hostname or "", port)), daemon=True
    )
    probe.start()
    probe.join(PROBE_TIMEOUT_S + 0.5)
    return bool(answer and answer[0])


def _remembered(host: str) -> bool | None:
    """The host's last probe while it is still trusted, else None."""
    with _probe_lock:
        if host not in _last_probe:
            return None
        reachable, when = _last_probe[host]
    return reachable if time.monotonic() - when < PROBE_MEMORY_S[reachable] else None


def hub_reachable(url: str | None = None) -> bool:
    """Whether downloads from ``url``'s host (the Hub's by default) can work: False at once
    in offline mode, else a remembered probe. One probe per host at a time; the lock the
    sidebar's known_offline takes is never held while a probe waits on the network."""
    if constants.HF_HUB_OFFLINE:
        return False
    url = url or constants.ENDPOINT
    host = urlparse(url).netloc
    remembered = _remembered(host)
    if remembered is not None:
        return remembered
    with _probe_lock:
        probing = _probing.setdefault(host, threading.Lock())
    with probing:
        remembered = _remembered(host)  # another thread may just have probed it
        if remembered is not None:
            return remembered
        reachable = _probe(url)
        with _probe_lock:
            _last_probe[host] = (reachable, time.monotonic())
        return reachable


def known_offline(url: str | None = None) -> bool:
    """Whether downloads from ``url``'s host (the Hub's by default) are known not to work:
    offline mode, or the host's last probe failed. Asked per model on every rerun, so it
    never waits on another thread's probe: the first question about a host nobody is
    probing probes it (at most PROBE_TIMEOUT_S; a closed network fails at once), and a
    stale answer is still given while a probe in the background refreshes it."""
    if constants.HF_HUB_OFFLINE:
        return True
    url = url or constants.ENDPOINT
    host = urlparse(url).netloc
    with _probe_lock:
        last = _last_probe.get(host)
        busy = host in _probing and _probing[host].locked()
    if not busy and _remembered(host) is None:
        if last is None:
            return not hub_reachable(url)
        _refresh(host, url)
    return last is not None and not last[0]


def _refresh(host: str, url: str) -> None:
    """One background probe of ``host`` at a time (every model of a page asks for it)."""
    with _probe_lock:
        if host in _refreshing:
            return
        _refreshing.add(host)

    def probe() -> None:
        try:
            hub_reachable(url)
        finally:
            with _probe_lock:
                _refreshing.discard(host)

    threading.Thread(target=probe, name="hub-probe", daemon=True).start()


def forget_probe() -> None:
    with _probe_lock:
        _last_probe.clear()


def source_url(spec: ModelSpec) -> str:
    """Where the model's downloads come from: its weights' address, else the Hub."""
    return spec.weights_url or constants.ENDPOINT


def weights_file(spec: ModelSpec) -> Path:
    assert spec.weights_url, f"{spec.key} has no weights_url"
    return weights_dir() / spec.key / PurePosixPath(urlparse(spec.weights_url).path).name


def cached_file(repo: str, filename: str, revision: str | None) -> Path | None:
    found = try_to_load_from_cache(repo, filename, revision=revision)
    return Path(found) if isinstance(found, str) else None


def index_entries(index: Path) -> list[str]:
    """The files a JSON index names: the "file" value of each of its entries."""
    entries = json.loads(index.read_text()).values()
    return [entry["file"] for entry in entries if isinstance(entry, dict) and "file" in entry]


def missing_files(spec: ModelSpec) -> list[str]:
    """The files ``spec`` needs that are not in the local cache: the registry's, and those
    its index names once the index is cached, and a weights file from outside the Hub."""
    if spec.weights_url:
        path = weights_file(spec)
        return [] if path.is_file() else [path.name]
    if not spec.repo:
        return []
    revision = pins.pinned_commit(spec)
    missing = [name for name in spec.files if cached_file(spec.repo, name, revision) is None]
    index = cached_file(spec.repo, spec.index_file, revision) if spec.index_file else None
    if index is not None:
        try:
            named = index_entries(index)
        except (OSError, ValueError, TypeError):
            return [*missing, spec.index_file]  # damaged: fetch it again
        missing += [name for name in named if cached_file(spec.repo, name, revision) is None]
    return missing


READY, GATED, OFFLINE = "ready", "gated, needs HF_TOKEN", "offline, not cached"


def availability(spec: ModelSpec) -> str:
    """What running ``spec`` takes now, from the local cache and what is known of its host
    (known_offline: one quick probe per host, then remembered): READY, GATED (no token for
    a gated repo), OFFLINE, or "N MB to download"."""
    if not missing_files(spec):
        return READY
    if spec.gated and not get_token():
        return GATED
    if known_offline(source_url(spec)):
        return OFFLINE
    measured = known_download_mb(spec)
    return f"{measured:,} MB download" if measured else f"~{spec.download_mb:,} MB download"


def _revision_name(spec: ModelSpec) -> str:
    return pins.pinned_commit(spec) or "main"


def known_download_mb(spec: ModelSpec) -> int | None:
    """The download ``spec`` needs, in MB, as the Hub's file listing gave it the last time
    it was reachable (for the revision it loads now); None if never measured."""
    entry = read_json(sizes_file()).get(spec.key)
    if isinstance(entry, dict) and entry.get("revision") == _revision_name(spec):
        return entry.get("mb")
    return None


def _needed(spec: ModelSpec, path: str, named: set[str]) -> bool:
    # Before its index is cached, a bundle's graphs are known only as its .onnx files.
    return path in named or (
        spec.index_file is not None and not named - set(spec.files) and path.endswith(".onnx")
    )


def measure_download_mb(spec: ModelSpec) -> int:
    """A network call: the sizes of the files ``spec`` needs from the Hub's listing at the
    revision it loads, summed in MB, and remembered (see known_download_mb)."""
    from huggingface_hub import HfApi

    revision = pins.pinned_commit(spec)
    named = set(spec.files)
    index = cached_file(spec.repo, spec.index_file, revision) if spec.index_file else None
    if index is not None:
        named |= set(index_entries(index))
    listing = HfApi().list_repo_tree(spec.repo, revision=revision, recursive=True)
    total = sum(
        getattr(item, "size", 0) or 0 for item in listing if _needed(spec, item.path, named)
    )
    mb = max(1, round(total / 1e6))
    sizes = read_json(sizes_file())
    sizes[spec.key] = {"revision": _revision_name(spec), "mb": mb}
    write_json(sizes_file(), sizes)
    return mb


_sizes_started = threading.Event()


def learn_download_sizes(specs) -> None:
    """Once per process, in the background: when the Hub is reachable, read the real
    download size of every model not cached yet (the registry's figures are estimates)."""
    if constants.HF_HUB_OFFLINE or _sizes_started.is_set():
        return
    _sizes_started.set()

    def learn() -> None:
        if not hub_reachable():
            return
        for spec in specs:
            if spec.repo and missing_files(spec) and known_download_mb(spec) is None:
                try:
                    measure_download_mb(spec)
                except Exception as error:  # noqa: BLE001 - an estimate stays shown
                    log.info("No Hub size for %s: %s", spec.label, error)

    threading.Thread(target=learn, name="hub-sizes", daemon=True).start()


def offline_reason(spec: ModelSpec) -> str | None:
    """The message for a model that needs a download the Hub cannot serve now, else None."""
    if missing_files(spec) and not hub_reachable(source_url(spec)):
        kept = weights_file(spec).parent if spec.weights_url else hub_cache()
        return offline_message(spec, str(kept))
    return None


def progress_class(label: str) -> type[tqdm]:
    """A silent tqdm that reports byte counts under ``label`` to the progress listener."""

    class Progress(tqdm):
        def __init__(self, *args, **kwargs):
            kwargs["file"] = io.StringIO()
            kwargs.pop("name", None)
            super().__init__(*args, **kwargs)

        def refresh(self, *args, **kwargs):
            listener = _listener
            if listener is not None and self.unit == "B" and self.total:
                listener(label, int(self.n), int(self.total))
            return super().refresh(*args, **kwargs)

        def update(self, n=1):
            result = super().update(n)
            self.refresh()
            return result

    return Progress


def _cached_snapshot(spec: ModelSpec, required: tuple[str, ...]) -> Path | None:
    if missing_files(spec):
        return None
    try:
        path = Path(
            snapshot_download(spec.repo, revision=pins.pinned_commit(spec), local_files_only=True)
        )
    except Exception:  # noqa: BLE001 - any cache problem means "download it"
        return None
    return path if all((path / name).is_file() for name in required) else None


def fetch_snapshot(
    spec: ModelSpec, allow_patterns: list[str] | None = None, required: tuple[str, ...] = ()
) -> Path:
    """The model's repo files in the local cache, downloading only what is missing.

    Offline, the Hub may hand back a snapshot folder that an interrupted download left
    incomplete; ``required`` files are checked so such a folder is never loaded. Repos that
    ship code are loaded at their pinned commit only (models.pins).
    """
    path = _cached_snapshot(spec, required)
    if path is None:
        path = Path(
            snapshot_download(
                spec.repo,
                revision=pins.pinned_commit(spec),
                allow_patterns=allow_patterns,
                tqdm_class=progress_class(spec.label),
            )
        )
    missing = [name for name in required if not (path / name).is_file()]
    if missing:
        raise ModelUnavailable(incomplete_message(spec, ", ".join(missing), path))
    pins.verify(spec, path)
    return path


def fetch_file(spec: ModelSpec, filename: str) -> Path:
    """One file of the model's repo in the local cache, downloading it if missing; at the
    pinned commit for repos that ship code or pickles (models.pins)."""
    revision = pins.pinned_commit(spec)
    path = cached_file(spec.repo, filename, revision)
    if path is None:
        path = Path(
            hf_hub_download(
                spec.repo, filename, revision=revision, tqdm_class=progress_class(spec.label)
            )
        )
    pins.verify(spec, path.parents[len(Path(filename).parts) - 1])
    return path


def fetch_weights(spec: ModelSpec) -> Path:
    """The model's weights file from outside the Hub, downloaded if missing: streamed to a
    partial file beside it, its MD5 checked against the registry's, then renamed, so a
    file at the final path is always complete and the one the registry names."""
    path = weights_file(spec)
    if path.is_file():
        return path
    if not hub_reachable(spec.weights_url):
        raise ModelUnavailable(offline_message(spec, str(path.parent)))
    path.parent.mkdir(parents=True, exist_ok=True)
    # Its own partial file: two workers (or the app and --check) may download at once.
    fd, name = tempfile.mkstemp(prefix=path.name + ".", suffix=".part", dir=path.parent)
    os.close(fd)
    partial = Path(name)
    try:
        digest = _download(spec, partial)
        if spec.weights_md5 and digest != spec.weights_md5:
            raise ModelUnavailable(checksum_message(spec, digest))
        partial.replace(path)
    except (OSError, http.client.HTTPException) as error:  # HTTPException: a cut connection
        raise ModelUnavailable(download_failed_message(spec, error)) from error
    finally:
        partial.unlink(missing_ok=True)
    return path


def _download(spec: ModelSpec, target: Path) -> str:
    """Stream ``spec.weights_url`` into ``target`` with progress; its MD5."""
    request = urllib.request.Request(spec.weights_url, headers={"User-Agent": "portrait-blur"})
    md5 = hashlib.md5()
    with urllib.request.urlopen(request, timeout=READ_TIMEOUT_S) as response:
        total = int(response.headers.get("Content-Length") or 0) or None
        bar = progress_class(spec.label)(total=total, unit="B", unit_scale=True)
        with bar, target.open("wb") as out:
            while chunk := response.read(CHUNK):
                out.write(chunk)
                md5.update(chunk)
                bar.update(len(chunk))
    return md5.hexdigest()
