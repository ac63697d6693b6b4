"""Hugging Face Hub downloads: cached, revision-pinned, with progress the UI can poll."""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from pathlib import Path

from huggingface_hub import constants, hf_hub_download, snapshot_download
from tqdm.auto import tqdm

from models.errors import ModelUnavailable, incomplete_message
from models.registry import ModelSpec


@dataclass(frozen=True)
class Download:
    label: str
    done_bytes: int
    total_bytes: int


_downloads: dict[str, Download] = {}
_downloads_lock = threading.Lock()


def active_downloads() -> list[Download]:
    """Downloads under way in this server process, for a progress line."""
    with _downloads_lock:
        return list(_downloads.values())


def cache_dir() -> Path:
    return Path(constants.HF_HUB_CACHE)


def _progress_class(label: str) -> type[tqdm]:
    """A silent tqdm that publishes byte counts under ``label``."""

    class Progress(tqdm):
        def __init__(self, *args, **kwargs):
            kwargs["file"] = io.StringIO()
            kwargs.pop("name", None)
            super().__init__(*args, **kwargs)

        def refresh(self, *args, **kwargs):
            if self.unit == "B" and self.total:
                with _downloads_lock:
                    shown = _downloads.get(label)
                    # Several bars (per file, transfer, reconstruction): show the largest.
                    if shown is None or self.total >= shown.total_bytes:
                        _downloads[label] = Download(label, int(self.n), int(self.total))
            return super().refresh(*args, **kwargs)

        def update(self, n=1):
            result = super().update(n)
            self.refresh()
            return result

    return Progress


class _Tracked:
    def __init__(self, label: str) -> None:
        self.label = label

    def __enter__(self) -> type[tqdm]:
        return _progress_class(self.label)

    def __exit__(self, *exc) -> None:
        with _downloads_lock:
            _downloads.pop(self.label, None)


def fetch_snapshot(
    spec: ModelSpec, allow_patterns: list[str] | None = None, required: tuple[str, ...] = ()
) -> Path:
    """The model's repo files in the local cache, downloading what is missing.

    Offline, the Hub may hand back a snapshot folder that an interrupted download left
    incomplete; ``required`` files are checked so such a folder is never loaded.
    """
    with _Tracked(spec.label) as progress:
        path = Path(
            snapshot_download(
                spec.repo,
                revision=spec.revision,
                allow_patterns=allow_patterns,
                tqdm_class=progress,
            )
        )
    missing = [name for name in required if not (path / name).is_file()]
    if missing:
        raise ModelUnavailable(incomplete_message(spec, ", ".join(missing), path))
    return path


def fetch_file(spec: ModelSpec, filename: str) -> Path:
    """One file of the model's repo in the local cache, downloading it if missing."""
    with _Tracked(spec.label) as progress:
        path = hf_hub_download(spec.repo, filename, revision=spec.revision, tqdm_class=progress)
    return Path(path)
