"""Small JSON files the app keeps in the user's cache (the pins, the Hub's download sizes):
read again only when they change (the sidebar asks on every rerun), written atomically."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path

_lock = threading.Lock()
_read: dict[Path, tuple[tuple, dict]] = {}  # the last read of each file, by its version


def read_json(path: Path) -> dict:
    """The file's object, or {} if it is missing or not a JSON object."""
    try:
        stat = path.stat()  # every write replaces the file: a new inode
        version = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        with _lock:
            known = _read.get(path)
        if known is not None and known[0] == version:
            return dict(known[1])
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    with _lock:
        _read[path] = (version, data)
    return dict(data)


def write_json(path: Path, data: dict) -> None:
    """Replace the file with ``data``: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".json")
    with os.fdopen(fd, "w") as out:
        json.dump(data, out, indent=2, sort_keys=True)
    os.replace(temporary, path)
