"""Where the app keeps its files: every folder and file path in the user's cache, once.

The Hub's own cache (``HF_HUB_CACHE``, else ``~/.cache/huggingface/hub``) holds what comes
from the Hub; the app's folder (``~/.cache/portrait-blur``, under ``XDG_CACHE_HOME`` where
set) holds the pins of Hub code, the download sizes read from the Hub and the weights
published elsewhere. Each can be moved by its environment variable.
"""

from __future__ import annotations

import os
from pathlib import Path

PINS_ENV = "PORTRAIT_BLUR_PINS"  # the pins' lock file, if not in the app's folder
WEIGHTS_ENV = "PORTRAIT_BLUR_WEIGHTS"  # weights from outside the Hub, if not in the app's folder
APP_FOLDER = "portrait-blur"
ASSETS = Path(__file__).resolve().parent / "assets"  # model files shipped with the app


def app_cache() -> Path:
    """portrait-blur in the user's cache folder."""
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / APP_FOLDER


def hub_cache() -> Path:
    """The Hugging Face Hub's cache, as huggingface_hub resolves it."""
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def pins_file() -> Path:
    """The lock file of Hub code pins (models.pins)."""
    configured = os.environ.get(PINS_ENV)
    return Path(configured) if configured else app_cache() / "pins.json"


def sizes_file() -> Path:
    """Download sizes read from the Hub, kept beside the pins for offline use."""
    return pins_file().parent / "download-sizes.json"


def weights_dir() -> Path:
    """Weights published outside the Hub (GitHub releases), checked and kept by models.hub."""
    configured = os.environ.get(WEIGHTS_ENV)
    return Path(configured) if configured else app_cache() / "weights"


def asset_file(name: str) -> Path:
    """A model file shipped in models/assets (each beside its licence; see its README)."""
    return ASSETS / name
